package dev.jvision.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.bytedeco.javacpp.Pointer;

/**
 * Samples named memory counters over a long loop (training steps, inference batches) and
 * reports each counter's start, end and trend over the second half of the samples, in units per
 * 1000 steps. The first half is left out so that warm-up (JIT, allocator pools, oneDNN primitive
 * caches) does not count as growth. The trend is the Theil-Sen slope (the median of the slopes
 * between every pair of samples): a leak grows a counter steadily and moves every pair, while a
 * transient bump (a JIT compilation's scratch memory, a garbage collection freeing unscoped
 * objects) moves few pairs and leaves the median alone. The least-squares slope, which such a
 * bump can swing, is reported beside it.
 *
 * <p>{@link #standard()} samples the resident set ({@code rss_bytes}), JavaCPP's tracked bytes
 * ({@code javacpp_bytes}, {@link Pointer#totalBytes()}), JavaCPP's live deallocators
 * ({@code javacpp_objects}, {@link Pointer#totalCount()}: one per live owned native object,
 * e.g. a {@code Tensor} handle that was retained or never closed) and JavaCPP's physical-bytes
 * reading ({@code physical_bytes}, {@link Pointer#physicalBytes()}, the same figure as RSS
 * through another path). More counters can be added with {@link #with}. libtorch keeps no
 * readable statistics for its CPU allocator (it counts bytes only while its profiler runs), so
 * native heap use has to come from the C library, where a caller has a way to read it.
 *
 * <p>Holds plain numbers only. Not thread-safe: sample from the thread that runs the loop.
 */
public final class MemoryTrend {
    /** Resident set size of the process, bytes. */
    public static final String RSS = "rss_bytes";
    /** Bytes JavaCPP tracks through its deallocators. */
    public static final String JAVACPP_BYTES = "javacpp_bytes";
    /** Live JavaCPP deallocators: owned native objects not yet freed. */
    public static final String JAVACPP_OBJECTS = "javacpp_objects";
    /** JavaCPP's own physical memory reading, bytes. */
    public static final String PHYSICAL = "physical_bytes";

    private final Map<String, LongSupplier> counters = new LinkedHashMap<>();
    private final List<Long> steps = new ArrayList<>();
    private final List<long[]> rows = new ArrayList<>();

    /** A trend with no counters; add them with {@link #with}. */
    public MemoryTrend() {}

    /** A trend over RSS and JavaCPP's counters (see the class comment). */
    public static MemoryTrend standard() {
        return new MemoryTrend()
                .with(RSS, Memory::residentBytes)
                .with(JAVACPP_BYTES, Pointer::totalBytes)
                .with(JAVACPP_OBJECTS, Pointer::totalCount)
                .with(PHYSICAL, Pointer::physicalBytes);
    }

    /**
     * Adds counter {@code name}, read at every {@link #sample}; returns this.
     *
     * @throws IllegalStateException after the first sample
     * @throws IllegalArgumentException when {@code name} is taken
     */
    public MemoryTrend with(String name, LongSupplier counter) {
        if (!rows.isEmpty()) throw new IllegalStateException("MemoryTrend: counters are fixed after the first sample");
        if (counters.containsKey(name)) throw new IllegalArgumentException("counter '" + name + "' (expected: a new name)");
        counters.put(name, counter);
        return this;
    }

    /** Counter names in sampling order. */
    public List<String> names() {
        return List.copyOf(counters.keySet());
    }

    /** Reads every counter now and records it against {@code step}. */
    public void sample(long step) {
        long[] row = new long[counters.size()];
        int i = 0;
        for (LongSupplier c : counters.values()) {
            row[i++] = c.getAsLong();
        }
        steps.add(step);
        rows.add(row);
    }

    /** Samples taken so far. */
    public int samples() {
        return rows.size();
    }

    /** The sampled steps, in order. */
    public long[] steps() {
        return steps.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Every sample of counter {@code name}, in order.
     *
     * @throws IllegalArgumentException for an unknown counter
     */
    public long[] values(String name) {
        int col = column(name);
        return rows.stream().mapToLong(r -> r[col]).toArray();
    }

    private int column(String name) {
        int col = names().indexOf(name);
        if (col < 0) throw new IllegalArgumentException("counter '" + name + "' (expected: one of " + names() + ")");
        return col;
    }

    /**
     * One counter over the run.
     *
     * @param name          the counter
     * @param first         its first sample
     * @param last          its last sample
     * @param min           smallest sample
     * @param max           largest sample
     * @param slopePer1000  Theil-Sen growth per 1000 steps over the second half of the samples
     * @param lsqSlopePer1000 least-squares growth per 1000 steps over the same samples
     * @param fromStep      first step of the second half
     * @param toStep        last sampled step
     */
    public record Trend(String name, long first, long last, long min, long max, double slopePer1000,
                        double lsqSlopePer1000, long fromStep, long toStep) {
        /** One line, bytes in MB for names ending in {@code _bytes}. */
        @Override
        public String toString() {
            if (name.endsWith("_bytes")) {
                return String.format("%s: %.1f -> %.1f MB (min %.1f, max %.1f), slope %+.3f MB/1000 steps "
                                + "(least squares %+.3f) over steps %d-%d", name, first / 1048576.0, last / 1048576.0,
                        min / 1048576.0, max / 1048576.0, slopePer1000 / 1048576.0, lsqSlopePer1000 / 1048576.0,
                        fromStep, toStep);
            }
            return String.format("%s: %d -> %d (min %d, max %d), slope %+.2f/1000 steps (least squares %+.2f) over "
                    + "steps %d-%d", name, first, last, min, max, slopePer1000, lsqSlopePer1000, fromStep, toStep);
        }
    }

    /**
     * The trend of counter {@code name}.
     *
     * @throws IllegalArgumentException for an unknown counter
     * @throws IllegalStateException with fewer than 4 samples
     */
    public Trend trend(String name) {
        int col = column(name);
        int n = rows.size();
        if (n < 4) throw new IllegalStateException("MemoryTrend: " + n + " samples (expected: >= 4)");
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long[] r : rows) {
            min = Math.min(min, r[col]);
            max = Math.max(max, r[col]);
        }
        int from = n / 2;
        double[] x = new double[n - from];
        double[] y = new double[n - from];
        for (int i = from; i < n; i++) {
            x[i - from] = steps.get(i);
            y[i - from] = rows.get(i)[col];
        }
        return new Trend(name, rows.get(0)[col], rows.get(n - 1)[col], min, max, 1000 * theilSen(x, y),
                1000 * slope(x, y), steps.get(from), steps.get(n - 1));
    }

    /** Every counter's trend, in sampling order. */
    public List<Trend> trends() {
        return names().stream().map(this::trend).toList();
    }

    /**
     * The trends whose slope is above its bound in {@code maxSlopePer1000} (counter name to
     * largest allowed growth per 1000 steps), one line each, naming the counter, its slope and
     * the bound; empty when every bounded counter is within. Counters without a bound are not
     * judged.
     */
    public static List<String> exceeding(List<Trend> trends, Map<String, Double> maxSlopePer1000) {
        List<String> out = new ArrayList<>();
        for (Trend t : trends) {
            Double max = maxSlopePer1000.get(t.name());
            if (max != null && !(t.slopePer1000() <= max)) {
                out.add(t.name().endsWith("_bytes")
                        ? String.format("%s: %+.3f MB/1000 steps (expected: <= %.3f)", t.name(),
                                t.slopePer1000() / 1048576.0, max / 1048576.0)
                        : String.format("%s: %+.2f/1000 steps (expected: <= %.2f)", t.name(), t.slopePer1000(), max));
            }
        }
        return out;
    }

    /**
     * Theil-Sen slope of {@code y} against {@code x}: the median of the slopes of all pairs of
     * points with different {@code x}.
     *
     * @throws IllegalArgumentException when the arrays differ in length, hold fewer than 2 points
     *     or {@code x} does not vary
     */
    public static double theilSen(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new IllegalArgumentException("points: " + x.length + " x, " + y.length + " y (expected: equal, >= 2)");
        }
        double[] s = new double[x.length * (x.length - 1) / 2];
        int k = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = i + 1; j < x.length; j++) {
                if (x[j] != x[i]) s[k++] = (y[j] - y[i]) / (x[j] - x[i]);
            }
        }
        if (k == 0) throw new IllegalArgumentException("x: all " + x[0] + " (expected: varying)");
        double[] d = Arrays.copyOf(s, k);
        Arrays.sort(d);
        return k % 2 == 1 ? d[k / 2] : (d[k / 2 - 1] + d[k / 2]) / 2;
    }

    /**
     * Least-squares slope of {@code y} against {@code x}.
     *
     * @throws IllegalArgumentException when the arrays differ in length, hold fewer than 2 points
     *     or {@code x} does not vary
     */
    public static double slope(double[] x, double[] y) {
        if (x.length != y.length || x.length < 2) {
            throw new IllegalArgumentException("points: " + x.length + " x, " + y.length + " y (expected: equal, >= 2)");
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= x.length;
        my /= y.length;
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        if (sxx == 0) throw new IllegalArgumentException("x: all " + mx + " (expected: varying)");
        return sxy / sxx;
    }
}
