package dev.jvision.train;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.ByteSize;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.DeviceOutOfMemoryException;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.track.MemoryStats;
import dev.jvision.train.task.ClassificationTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code train.auto_batch_size}: chooses the training batch size from a memory budget.
 *
 * <ul>
 *   <li><b>CUDA</b>: the budget is {@code train.memory_budget}, else the whole device (the planner
 *       subtracts what is used outside this process's allocator: the CUDA context, other processes).
 *       The {@link BatchSizePlanner} predicts the largest batch that fits; real forward/backward/
 *       optimizer steps on random images with throwaway models from the fit's {@link ModelFactory}
 *       then confirm it: a probe at the prediction, one 15% above it (the planner's error bound), and
 *       on out-of-memory a step down, then bisection to 1/8 ({@link #guided}). With an explicit budget
 *       the probes never go above the prediction (a smaller budget than the device cannot be checked by
 *       running out of memory). Without a planner (a {@link Trainer} built without one) the search is
 *       blind: doubling from {@code train.batch_size}, then bisecting ({@link #blind}).</li>
 *   <li><b>CPU</b>: there is no hard memory limit to probe against. With {@code train.memory_budget}
 *       the planner's prediction is used as it is (the budget covers the whole process: JVM, image
 *       cache, libraries, measured as the resident set, plus the step's peak); without one the
 *       configured {@code batch_size} is kept, with an INFO line.</li>
 * </ul>
 *
 * <p>The batch size used is 90% of the largest that fits (headroom for fragmentation, the uint8
 * batch, augmentation and validation buffers that a trial step does not hold at once). The
 * learning rate is <b>not</b> scaled with the batch size: {@code train.lr} stays as configured
 * (warm-up and schedule are counted in epochs, so their step counts follow the new size). The
 * pipeline resolves the size once per run ({@link #resolve}) and records it as the run's
 * {@code train.batch_size} (with {@code auto_batch_size: false}) in {@code config.yaml}, so a
 * resumed run trains at the same size, and writes the search to {@code auto_batch.json}.
 *
 * <p>Stateless; not thread-safe (trial steps use process-wide libtorch state).
 */
public final class AutoBatch {
    private static final Logger LOG = LoggerFactory.getLogger(AutoBatch.class);

    /** The largest batch size considered. */
    static final int MAX = 4096;
    /** The fraction of the largest fitting batch that is used. */
    static final double HEADROOM = 0.9;
    /** The first step away from the planner's prediction: its error bound. */
    static final double BAND = 0.15;
    /** The file {@link Resolved#write} writes into the run folder. */
    public static final String FILE = "auto_batch.json";

    private AutoBatch() {}

    /**
     * One trial step.
     *
     * @param batch the batch size tried
     * @param fits  false when it ran out of memory
     */
    public record Probe(int batch, boolean fits) {
        @Override
        public String toString() {
            return batch + (fits ? " fits" : " OOM");
        }
    }

    /**
     * The outcome of a search.
     *
     * @param largest the largest batch that fitted (0: not even 1)
     * @param probes  every probe, in order
     */
    record Search(int largest, List<Probe> probes) {}

    /**
     * How the batch size of one architecture was chosen.
     *
     * @param model      the architecture
     * @param device     e.g. {@code cuda:0}
     * @param requested  {@code train.batch_size} as configured
     * @param chosen     the batch size to train with
     * @param method     {@code planner+probes} (CUDA), {@code planner} (CPU with a budget), {@code probes}
     *                   (CUDA without a planner) or {@code kept} (CPU without a budget)
     * @param budgetBytes the budget, 0 when none
     * @param budget     where the budget came from: {@code train.memory_budget 8GB}, {@code device total} or {@code none}
     * @param predicted  the planner's prediction (capped at 4096), -1 when the planner was not used
     * @param largestFit the largest batch the probes (or, on the CPU, the planner) found to fit
     * @param probes     the trial steps, in order (empty on the CPU)
     * @param planner    the planner's one-line basis, or why it was not used
     */
    public record Decision(String model, String device, int requested, int chosen, String method, long budgetBytes,
                           String budget, int predicted, int largestFit, List<Probe> probes, String planner) {
        public Decision {
            probes = List.copyOf(probes);
        }

        /** The decision as {@code auto_batch.json} lists it (snake_case keys, bytes). */
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", model);
            m.put("device", device);
            m.put("method", method);
            m.put("requested", requested);
            m.put("chosen", chosen);
            m.put("budget_bytes", budgetBytes);
            m.put("budget", budget);
            m.put("predicted", predicted);
            m.put("largest_fit", largestFit);
            List<Map<String, Object>> ps = new ArrayList<>();
            for (Probe p : probes) ps.add(Map.of("batch", p.batch(), "fits", p.fits()));
            m.put("probes", ps);
            m.put("planner", planner);
            return m;
        }

        /** The log line. */
        String describe() {
            StringBuilder s = new StringBuilder("auto batch size for ").append(model).append(" on ").append(device)
                    .append(": ");
            if (method.equals("kept")) {
                return s.append("keeping batch_size ").append(chosen).append(" (").append(planner).append(')').toString();
            }
            if (budgetBytes > 0) s.append("budget ").append(ByteSize.format(budgetBytes)).append(" (").append(budget).append("), ");
            if (predicted >= 0) s.append("planner predicts ").append(predicted).append(" [").append(planner).append("], ");
            if (!probes.isEmpty()) s.append("probes ").append(probes.stream().map(Probe::toString)
                    .collect(Collectors.joining(", "))).append(", ");
            return s.append("largest that fits ").append(largestFit).append(", using ").append(chosen)
                    .append(" (").append(Math.round(HEADROOM * 100)).append("%; batch_size was ").append(requested)
                    .append(')').toString();
        }
    }

    /**
     * A run's resolved experiment and how its batch size was chosen.
     *
     * @param experiment the experiment to train: {@code train.batch_size} chosen and {@code auto_batch_size}
     *                   off; {@code exp} itself when auto batch size is off
     * @param decisions  one per architecture the selected folds train (empty when auto batch size is off)
     */
    public record Resolved(Experiment experiment, List<Decision> decisions) {
        public Resolved {
            decisions = List.copyOf(decisions);
        }

        /** Writes {@code auto_batch.json} into {@code runDir} (atomically); nothing when no size was chosen. */
        public void write(Path runDir) throws IOException {
            if (decisions.isEmpty()) return;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requested_batch_size", decisions.get(0).requested());
            m.put("batch_size", experiment.train().batch().size());
            m.put("lr", experiment.train().optimizer().lr());
            m.put("lr_scaled_with_batch_size", false);
            m.put("headroom", HEADROOM);
            List<Map<String, Object>> models = new ArrayList<>();
            for (Decision d : decisions) models.add(d.toMap());
            m.put("models", models);
            AtomicFiles.write(runDir.resolve(FILE), tmp -> Checkpoints.JSON.writeValue(tmp.toFile(), m));
        }
    }

    /**
     * Chooses the batch size of a run once, before its folds train: for each architecture the
     * selected folds use (see {@code model.fold_models}) the size is found as the class comment
     * says and the smallest is taken, on every rank of {@code group} (nullable) alike. Returns
     * {@code exp} unchanged when {@code train.auto_batch_size} is off.
     *
     * @param planner nullable: without one, CUDA searches blindly and the CPU keeps the batch size
     * @throws IllegalArgumentException when {@code train.memory_budget} does not hold one image
     * @throws IllegalStateException    when not even batch size 1 fits on the GPU
     */
    public static Resolved resolve(Experiment exp, Device device, BatchSizePlanner planner, ProcessGroup group)
            throws IOException {
        TrainConfig t = exp.train();
        if (!t.batch().auto()) return new Resolved(exp, List.of());
        Set<String> archs = new LinkedHashSet<>();
        for (int f : CrossValidation.selectedFolds(exp)) archs.add(exp.model().modelForFold(f));
        List<Decision> decisions = new ArrayList<>();
        int chosen = Integer.MAX_VALUE;
        for (String arch : archs) {
            Decision d = find(ModelFactory.of(exp.model(), arch, exp.model().numClasses(), device), arch, exp, t, device,
                    planner);
            decisions.add(d);
            chosen = Math.min(chosen, d.chosen());
        }
        if (group != null) {
            // every rank must run the same steps: the smallest batch any rank found
            for (float[] r : group.allGatherRows(new float[][] {{chosen}}, 1)) chosen = Math.min(chosen, (int) r[0]);
        }
        if (archs.size() > 1 || group != null) LOG.info("auto batch size: using {} for every fold and rank", chosen);
        LOG.info("train.batch_size {} (auto_batch_size); train.lr {} is not scaled with the batch size", chosen, t.optimizer().lr());
        Experiment out = new Experiment(exp.experiment(), exp.data(), exp.model(), exp.augment(),
                t.withChosenBatchSize(chosen), exp.infer(), exp.task(), exp.detect());
        return new Resolved(out, decisions);
    }

    /**
     * Chooses the batch size for one architecture (trial models from {@code factory}); logs the
     * decision. See the class comment.
     */
    static Decision find(ModelFactory factory, String arch, Experiment exp, TrainConfig t, Device device,
                         BatchSizePlanner planner) {
        return decide(arch, exp, t, device, planner, b -> fits(factory, t, exp, device, b), () -> deviceBytes(device));
    }

    /** {@link #find} with the trial step and the device's total memory given: testable without a GPU. */
    static Decision decide(String arch, Experiment exp, TrainConfig t, Device device, BatchSizePlanner planner,
                           IntPredicate trial, LongSupplier deviceBytes) {
        Decision d = decideQuietly(arch, exp, t, device, planner, trial, deviceBytes);
        LOG.info(d.describe());
        return d;
    }

    private static Decision decideQuietly(String arch, Experiment exp, TrainConfig t, Device device,
                                          BatchSizePlanner planner, IntPredicate trial, LongSupplier deviceBytes) {
        int requested = t.batch().size();
        String dev = device.toString();
        long budget = t.batch().memoryBudget() == null ? 0 : t.batch().memoryBudget().bytes();
        String budgetFrom = budget > 0 ? "train.memory_budget " + t.batch().memoryBudget() : "none";
        if (!device.isCuda() && (budget == 0 || planner == null)) {
            String why = budget == 0 ? "the CPU has no hard memory limit: set train.memory_budget to plan for one"
                    : "no memory planner given to the trainer";
            return new Decision(arch, dev, requested, requested, "kept", budget, budgetFrom, -1, requested, List.of(), why);
        }
        if (planner == null) return blindDecision(arch, t, device, trial, "no memory planner given to the trainer");
        if (budget == 0) {
            budget = deviceBytes.getAsLong();
            budgetFrom = "device total";
        }
        BatchSizePlanner.Prediction p;
        try {
            p = planner.predict(exp, arch, device, budget);
        } catch (UnsupportedOperationException e) {
            LOG.warn("memory planner unavailable ({}); {}", e.getMessage(),
                    device.isCuda() ? "searching by trial steps alone" : "keeping batch_size");
            if (device.isCuda()) return blindDecision(arch, t, device, trial, "planner unavailable: " + e.getMessage());
            return new Decision(arch, dev, requested, requested, "kept", budget, budgetFrom, -1, requested, List.of(),
                    "planner unavailable: " + e.getMessage());
        } catch (DeviceOutOfMemoryException e) {
            if (!device.isCuda()) throw e;
            p = new BatchSizePlanner.Prediction(0, "the planner's own probes ran out of memory: " + e.getMessage());
        }
        int predicted = Math.min(p.batch(), MAX);
        boolean explicit = t.batch().memoryBudget() != null;
        if (predicted == 0 && (explicit || !device.isCuda())) {
            throw new IllegalArgumentException("train.memory_budget: " + t.batch().memoryBudget() + " (expected: room for at least "
                    + "one image of " + arch + " at " + exp.data().imgSize() + " px; planner: " + p.detail() + ")");
        }
        if (!device.isCuda()) {
            return new Decision(arch, dev, requested, headroom(predicted), "planner", budget, budgetFrom, predicted,
                    predicted, List.of(), p.detail());
        }
        Search s = guided(Math.max(1, predicted), trial, explicit ? predicted : MAX);
        if (s.largest() == 0) throw nothingFits(arch, exp, device, s, "planner predicted " + predicted);
        return new Decision(arch, dev, requested, headroom(s.largest()), "planner+probes", budget, budgetFrom, predicted,
                s.largest(), s.probes(), p.detail());
    }

    private static Decision blindDecision(String arch, TrainConfig t, Device device, IntPredicate trial, String why) {
        Search s = blind(t.batch().size(), trial, MAX);
        if (s.largest() == 0) {
            throw new IllegalStateException("train.auto_batch_size: even batch size 1 does not fit on " + device + " for "
                    + arch + " (probes: " + s.probes() + ")");
        }
        return new Decision(arch, device.toString(), t.batch().size(), headroom(s.largest()), "probes", 0, "none", -1,
                s.largest(), s.probes(), why);
    }

    private static IllegalStateException nothingFits(String arch, Experiment exp, Device device, Search s, String why) {
        return new IllegalStateException("train.auto_batch_size: even batch size 1 does not fit on " + device + " for "
                + arch + " at " + exp.data().imgSize() + " px (" + why + "; probes: " + s.probes() + ")");
    }

    /** The batch size used when {@code largest} fits: 90% of it, at least 1. */
    static int headroom(int largest) {
        return Math.max(1, (int) (largest * HEADROOM));
    }

    /**
     * The search from a planner's prediction: probes {@code predicted}; if it fits, 15% above it
     * and then doubling until a probe runs out of memory; if it does not, 15% below it and then
     * halving until one fits; then bisects between the largest fit and the smallest failure until
     * they are within 1/8. Never probes above {@code max}. Pure: {@code fits} is the only effect.
     */
    static Search guided(int predicted, IntPredicate fits, int max) {
        return search(predicted, BAND, fits, max);
    }

    /** The search without a prediction: doubling (or halving) from {@code start}, then bisecting. Pure. */
    static Search blind(int start, IntPredicate fits, int max) {
        return search(start, 1.0, fits, max);
    }

    private static Search search(int start, double firstStep, IntPredicate fits, int max) {
        if (max < 1) throw new IllegalArgumentException("max batch: " + max + " (expected: >= 1)");
        List<Probe> probes = new ArrayList<>();
        IntPredicate probe = b -> {
            boolean ok = fits.test(b);
            probes.add(new Probe(b, ok));
            return ok;
        };
        int lo = 0; // largest batch known to fit
        int hi = max + 1; // smallest batch known not to fit
        int s = Math.max(1, Math.min(start, max));
        double step = firstStep;
        if (probe.test(s)) {
            lo = s;
            while (lo < max) {
                int next = (int) Math.min(max, Math.max(lo + 1L, (long) Math.ceil(lo * (1 + step))));
                step = 1.0;
                if (!probe.test(next)) {
                    hi = next;
                    break;
                }
                lo = next;
            }
        } else {
            hi = s;
            while (lo == 0) {
                int next = Math.min(hi - 1, (int) Math.floor(hi / (1 + step)));
                step = 1.0;
                if (next < 1) return new Search(0, List.copyOf(probes));
                if (probe.test(next)) lo = next;
                else hi = next;
            }
        }
        while (hi <= max && hi - lo > Math.max(1, lo / 8)) {
            int mid = (lo + hi) >>> 1;
            if (probe.test(mid)) lo = mid;
            else hi = mid;
        }
        return new Search(lo, List.copyOf(probes));
    }

    private static long deviceBytes(Device device) {
        return dev.jvision.runtime.CudaMemory.totalBytes(device);
    }

    /** One trial: two real training steps at batch {@code b}; false when they run out of memory. */
    private static boolean fits(ModelFactory factory, TrainConfig t, Experiment exp, Device device, int b) {
        int size = exp.data().imgSize();
        try (ImageModel model = factory.create();
             BatchTransform transform = new BatchTransform(exp.augment(), model.spec().mean(), model.spec().std(), device,
                     exp.model().channelsLast());
             StepStack stack = StepStack.build(model, t.withBatchSize(b), StepEngine.resolveAmp(t.precision().amp(), device), device,
                     1, ClassificationTask.objective(t, null), null)) {
            StepEngine engine = stack.engine();
            for (int i = 0; i < 2; i++) {
                try (var scope = Memory.step()) {
                    Tensor raw = torch.randint(255, new long[] {b, size, size, 3},
                            new TensorOptions(torch.ScalarType.Byte).device(new org.bytedeco.pytorch.DeviceOptional(device.toNative())));
                    Tensor x = transform.train(raw, i);
                    Tensor y = torch.zeros(new long[] {b, model.numClasses()},
                            new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(device.toNative())))
                            .add(new Scalar(1.0 / model.numClasses()));
                    engine.accumulate(x, y);
                    engine.step(t.optimizer().lr());
                }
            }
            dev.jvision.runtime.CudaMemory.synchronize(device);
            return true;
        } catch (RuntimeException e) {
            if (DeviceOutOfMemoryException.detect(e)) return false;
            throw e;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            MemoryStats.emptyCudaCache();
        }
    }
}
