package dev.jvision.memprof;

import dev.jvision.config.ByteSize;
import dev.jvision.train.BatchSizePlanner;
import dev.jvision.train.StepEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Predicts the peak memory of a training step at any batch size from two measured profiles,
 * and the largest batch that fits a memory budget ({@code jvision memprof --fit}).
 *
 * <p>The model: {@code peak(b) = fixed + constant + perImage * b}, where {@code fixed} (weights,
 * gradients, optimizer state, EMA) is exact, {@code perImage} is the growth of input +
 * activations + workspace between the two probe batches and {@code constant} what remains
 * (batch-independent workspace). What must fit a budget is
 * {@code peak(b) * overhead + context}: {@code overhead} is the caching allocator's reserved
 * over allocated bytes at the larger probe (1 on the CPU) and {@code context} the memory outside
 * the allocator (CUDA context and libraries; on the CPU the process before the model).
 * Stateless and thread-safe; {@link #measure} runs models (see {@link MemoryProfiler}).
 */
public final class MemoryPlanner {
    private static final double MIB = 1024.0 * 1024.0;

    private MemoryPlanner() {}

    /**
     * A fitted memory model for one model, image size and precision.
     *
     * @param fixed    exact batch-independent bytes
     * @param constant batch-independent part of the measured rest (workspace), bytes; may be negative
     * @param perImage bytes per image (input, activations, workspace)
     * @param overhead reserved / allocated at the larger probe (>= 1)
     * @param context  bytes used outside the allocator
     * @param small    the profile at the smaller probe batch
     * @param large    the profile at the larger probe batch
     */
    public record Fit(long fixed, double constant, double perImage, double overhead, long context, MemoryProfile small,
                      MemoryProfile large) {
        /** Predicted peak bytes in use (allocated) at batch {@code b}: comparable to {@link MemoryProfile#peak()}. */
        public long peak(int b) {
            return Math.round(fixed + constant + perImage * b);
        }

        /** Predicted total memory at batch {@code b}, with the allocator's overhead and the context: what a budget must hold. */
        public long total(int b) {
            return Math.round(peak(b) * overhead) + context;
        }

        /** The largest batch whose {@link #total} fits {@code budget} bytes; 0 when not even one image fits. */
        public int largestBatch(long budget) {
            double room = (budget - context) / overhead - fixed - constant;
            if (room < perImage) return 0;
            if (perImage <= 0) return Integer.MAX_VALUE;
            int b = (int) Math.min(Integer.MAX_VALUE, Math.floor(room / perImage));
            while (b > 0 && total(b) > budget) b--; // rounding
            return b;
        }
    }

    /** Fits the memory model to two profiles of the same configuration at different batch sizes. */
    public static Fit fit(MemoryProfile a, MemoryProfile b) {
        MemoryProfile small = a.batch() <= b.batch() ? a : b;
        MemoryProfile large = small == a ? b : a;
        if (small.batch() == large.batch()) {
            throw new IllegalArgumentException("probe batches: " + small.batch() + " and " + large.batch()
                    + " (expected: two different batch sizes)");
        }
        double perImage = (double) (large.batchBytes() - small.batchBytes()) / (large.batch() - small.batch());
        double constant = large.batchBytes() - perImage * large.batch();
        double overhead = large.peak() > 0 ? Math.max(1.0, (double) large.reserved() / large.peak()) : 1.0;
        return new Fit(large.fixedBytes(), constant, perImage, overhead, large.context(), small, large);
    }

    /** Profiles {@code base} at batch sizes {@code b1} and {@code b2} and fits the model. */
    public static Fit measure(MemoryProfiler.Options base, int b1, int b2) {
        return fit(MemoryProfiler.profile(base.withBatch(b1)), MemoryProfiler.profile(base.withBatch(b2)));
    }

    /** On the CPU, the growth between the probes that {@link #measureSteady} asks for: well above the heap's noise. */
    static final long CPU_SIGNAL_BYTES = 128L << 20;
    /** The largest probe batch {@link #measureSteady} runs. */
    static final int MAX_PROBE_BATCH = 512;

    /**
     * {@link #measure}, widened on the CPU until the probes differ by {@link #CPU_SIGNAL_BYTES}.
     *
     * <p>On the CPU the batch-dependent bytes are read from glibc's heap, which other threads of the
     * JVM use too (the JIT compilers' arenas, the collector): a few MB to tens of MB that come and go.
     * Two small probes of a small model (resnet18 at 64 px: 4 and 8 images, 10 MB apart) are buried
     * in that noise; fits from them were seen anywhere from -1.3 to 3.2 MiB per image in one test JVM
     * where the true figure is 2.4. So when the larger probe grew less than the signal over the
     * smaller one (or the slope is not positive), a larger probe replaces it: sized from the bytes
     * per image seen so far, at least twice the batch, at most 8 times, never past
     * {@link #MAX_PROBE_BATCH} and never one the budget cannot hold. At most three more probes. CUDA
     * statistics are exact, so there the probes stay as given.
     *
     * @param budget the memory budget in bytes the answer is for (the probes stay inside it); 0 for none
     */
    public static Fit measureSteady(MemoryProfiler.Options base, int b1, int b2, long budget) {
        MemoryProfile small = MemoryProfiler.profile(base.withBatch(b1));
        MemoryProfile large = MemoryProfiler.profile(base.withBatch(b2));
        Fit f = fit(small, large);
        if (base.device().isCuda()) return f;
        for (int round = 0; round < 3; round++) {
            long growth = large.batchBytes() - small.batchBytes();
            if (growth >= CPU_SIGNAL_BYTES && f.perImage() > 0) break;
            int next = nextProbe(small, large, f, budget);
            if (next <= large.batch()) break;
            large = MemoryProfiler.profile(base.withBatch(next));
            f = fit(small, large);
        }
        return f;
    }

    /** The next, larger probe batch for {@link #measureSteady}; at most {@code large.batch()} when none should run. */
    static int nextProbe(MemoryProfile small, MemoryProfile large, Fit f, long budget) {
        // bytes per image seen at the larger probe (with its share of the constant: errs high, so the probe errs small)
        double rough = Math.max(64 * 1024.0, (double) large.batchBytes() / large.batch());
        double want = small.batch() + CPU_SIGNAL_BYTES / rough;
        long next = Math.max(2L * large.batch(), (long) Math.ceil(want));
        next = Math.min(next, 8L * large.batch());
        next = Math.min(next, MAX_PROBE_BATCH);
        if (budget > 0) {
            double room = budget - f.context() - f.fixed() - Math.max(0, f.constant());
            next = Math.min(next, (long) Math.floor(room * 0.9 / rough));
        }
        return (int) next;
    }

    /**
     * The planner {@code train.auto_batch_size} starts from: profiles a training step with the
     * experiment's settings ({@link MemoryProfiler.Options#of}) at two batch sizes (CPU: 4 and 8, as
     * {@code memprof --fit}, widened as {@link #measureSteady} says; CUDA: 8 and 16, steadier and
     * still cheap there), fits this model and returns {@link Fit#largestBatch} for the budget. Each
     * prediction runs two to five short profiles of three steps each, plus a throwaway batch-1
     * profile the first time in a process on a device. The returned
     * planner is stateless; not thread-safe (it runs models).
     */
    public static BatchSizePlanner forTraining() {
        BatchSizePlanner cpu = forTraining(4, 8);
        BatchSizePlanner cuda = forTraining(8, 16);
        return (exp, arch, device, budget) -> (device.isCuda() ? cuda : cpu).predict(exp, arch, device, budget);
    }

    /** {@link #forTraining()} with probe batch sizes {@code b1 < b2} on every device. */
    public static BatchSizePlanner forTraining(int b1, int b2) {
        if (b1 < 1 || b2 <= b1) {
            throw new IllegalArgumentException("probe batches: " + b1 + ", " + b2 + " (expected: 1 <= b1 < b2)");
        }
        return (exp, arch, device, budget) -> {
            Fit f = measureSteady(MemoryProfiler.Options.of(exp, arch, device, b1), b1, b2, budget);
            return new BatchSizePlanner.Prediction(f.largestBatch(budget), describe(f));
        };
    }

    /** One line on a fit: its parts in MiB and the probes it came from. */
    static String describe(Fit f) {
        return String.format(Locale.ROOT, "fixed %.0f MiB + const %.0f MiB + %.2f MiB/image, allocator x%.3f, outside "
                + "%.0f MiB; probes at batch %d and %d", f.fixed() / MIB, f.constant() / MIB, f.perImage() / MIB,
                f.overhead(), f.context() / MIB, f.small().batch(), f.large().batch());
    }

    /**
     * One row of the planner's table.
     *
     * @param model   model name
     * @param imgSize image side
     * @param amp     precision
     * @param fit     the fitted model, or null when the probes ran out of memory
     * @param batches the largest batch per budget (0: does not fit)
     */
    public record Row(String model, int imgSize, StepEngine.Amp amp, Fit fit, int[] batches) {}

    /**
     * Measures every model x size x precision of {@code base} at probe batches {@code b1} and
     * {@code b2} and returns, per combination, the largest batch for each budget.
     */
    public static List<Row> plan(MemoryProfiler.Options base, List<String> models, List<Integer> sizes,
                                 List<StepEngine.Amp> amps, List<Long> budgets, int b1, int b2) {
        List<Row> rows = new ArrayList<>();
        for (String m : models) {
            for (int s : sizes) {
                for (StepEngine.Amp a : amps) {
                    MemoryProfiler.Options o = base.withModel(m).withImgSize(s).withAmp(a);
                    Fit f;
                    try {
                        f = measure(o, b1, b2);
                    } catch (dev.jvision.runtime.DeviceOutOfMemoryException e) {
                        rows.add(new Row(m, s, a, null, new int[budgets.size()]));
                        continue;
                    }
                    int[] bs = new int[budgets.size()];
                    for (int i = 0; i < bs.length; i++) bs[i] = f.largestBatch(budgets.get(i));
                    rows.add(new Row(m, s, a, f, bs));
                }
            }
        }
        return rows;
    }

    /** The planner's table: one line per row, one column per budget (0: not even one image fits). */
    public static String table(List<Row> rows, List<String> budgetNames) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-18s %5s %5s %9s %9s %9s %9s %8s", "model", "size", "amp", "fixed MiB",
                "const MiB", "MiB/image", "ctx MiB", "overhead"));
        for (String b : budgetNames) s.append(String.format(Locale.ROOT, " %6s", b));
        s.append(System.lineSeparator());
        for (Row r : rows) {
            String amp = r.amp().name().toLowerCase(Locale.ROOT);
            Fit f = r.fit();
            if (f == null) {
                s.append(String.format(Locale.ROOT, "%-18s %5d %5s %9s %9s %9s %9s %8s", r.model(), r.imgSize(), amp,
                        "OOM", "-", "-", "-", "-"));
            } else {
                s.append(String.format(Locale.ROOT, "%-18s %5d %5s %9.1f %9.1f %9.2f %9.1f %8.3f", r.model(), r.imgSize(),
                        amp, f.fixed() / MIB, f.constant() / MIB, f.perImage() / MIB, f.context() / MIB, f.overhead()));
            }
            for (int b : r.batches()) {
                s.append(String.format(Locale.ROOT, " %6s", b == Integer.MAX_VALUE ? "any" : Integer.toString(b)));
            }
            s.append(System.lineSeparator());
        }
        for (Row r : rows) {
            if (r.fit() == null) continue;
            MemoryProfile a = r.fit().small();
            MemoryProfile b = r.fit().large();
            s.append(String.format(Locale.ROOT, "probes %s %d %s: batch %d peak %.1f MiB (activations %.1f), batch %d peak "
                    + "%.1f MiB (activations %.1f)%n", r.model(), r.imgSize(), r.amp().name().toLowerCase(Locale.ROOT),
                    a.batch(), a.peak() / MIB, a.activations() / MIB, b.batch(), b.peak() / MIB, b.activations() / MIB));
        }
        return s.toString();
    }

    /**
     * Parses a memory size: {@code 8GB}, {@code 8G}, {@code 8GiB}, {@code 512MB}, {@code 1.5TB}.
     * Units are binary (GB = 2^30 bytes, as GPU memory is counted).
     *
     * @throws IllegalArgumentException naming {@code key} and the value
     */
    public static long parseBytes(String key, String value) {
        return ByteSize.parse(key, value);
    }
}
