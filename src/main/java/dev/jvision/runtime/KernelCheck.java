package dev.jvision.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native self-check: runs each CPU kernel jvision leans on ({@link Kernels}) on small,
 * realistically shaped inputs (channel counts of real models, including ones that are not a
 * multiple of the vector width) and compares with a plain Java reference in double precision.
 * A kernel that is wrong or throws gets its safe path, with one warning naming the CPU and the
 * kernel; the safe path is then checked again. libtorch's oneDNN picks different code for
 * different CPUs (AVX2, AVX-512, AMX, odd cache sizes in VMs), so a result proven on one host
 * proves nothing on another: this runs on every start, in well under a second.
 *
 * <p>{@code -Djvision.selfcheck=off} skips it (every fast path stays on);
 * {@code -Djvision.selfcheck.fail=KERNEL[,KERNEL...]} (or {@code all}) makes kernels fail on
 * purpose, to exercise the safe paths. Runs once, from {@link NativeRuntime#init()}; not meant
 * to be called concurrently with model code.
 *
 * <p>Longer than 400 lines on purpose: each kernel's plain Java reference sits next to the
 * inputs it is checked on, so that a reader can verify a check without jumping between files.
 */
public final class KernelCheck {
    private static final Logger LOG = LoggerFactory.getLogger(KernelCheck.class);
    /** Largest accepted error, relative to the reference's largest magnitude (at least 1). */
    static final double TOLERANCE = 1e-4;
    /** Java reference outputs by shape; inputs are seeded by shape, so they are the same every run. */
    private static final Map<String, double[]> REFERENCES = new ConcurrentHashMap<>();

    /** The kernels checked. */
    public enum Kernel {
        CONV_1X1("1x1 convolution, contiguous input"),
        CONV_1X1_STRIDED("1x1 convolution on channels-last-strided and sliced input"),
        CONV_CHANNELS_LAST("convolutions in channels-last memory format (3x3, 1x1, depthwise 7x7)"),
        CONV_3X3("3x3 convolution, stride 2"),
        CONV_DEPTHWISE_7X7("depthwise 7x7 convolution"),
        LINEAR("linear (libtorch)"),
        LINEAR_ONEDNN("linear as oneDNN inner product, plain and with fused GELU (inference fast path)"),
        LINEAR_VIA_CONV("linear as oneDNN 1x1 convolution (training fast path)"),
        LAYER_NORM("layer norm, last dimension and channels-first"),
        GRID_SAMPLE("grid sample, bilinear, zeros/border/reflection padding");

        private final String description;

        Kernel(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        /** The property spelling: lower case, e.g. {@code conv_1x1_strided}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One kernel's outcome.
     *
     * @param kernel the kernel
     * @param maxError largest error relative to the reference magnitude (NaN when it threw)
     * @param ok whether it is within {@link #TOLERANCE}
     * @param detail the exception message when it threw, else empty
     */
    public record Outcome(Kernel kernel, double maxError, boolean ok, String detail) {}

    /**
     * The self-check's result.
     *
     * @param cpu the CPU as /proc/cpuinfo names it, with family and vector extensions
     * @param outcomes every kernel's first outcome
     * @param fallbacks what was switched to a safe path (empty when everything passed)
     * @param guards the guards in effect afterwards ({@link Kernels#describe()})
     * @param millis how long it took
     */
    public record Result(String cpu, List<Outcome> outcomes, List<String> fallbacks, String guards, long millis) {
        public boolean allPassed() {
            return outcomes.stream().allMatch(Outcome::ok);
        }
    }

    private KernelCheck() {}

    /** Runs the check with the failures forced by system properties, applies safe paths, logs. */
    static Result runAtStartup() {
        String mode = System.getProperty("jvision.selfcheck", "on");
        if (mode.equalsIgnoreCase("off") || mode.equalsIgnoreCase("false")) {
            return new Result(cpuName(), List.of(), List.of(), "self-check skipped (-Djvision.selfcheck=off)", 0);
        }
        return run(forcedFromProperty(System.getProperty("jvision.selfcheck.fail", "")));
    }

    static Set<Kernel> forcedFromProperty(String value) {
        Set<Kernel> forced = EnumSet.noneOf(Kernel.class);
        for (String k : value.split(",")) {
            String key = k.trim().toLowerCase(Locale.ROOT);
            if (key.isEmpty()) {
                continue;
            }
            if (key.equals("all")) {
                return EnumSet.allOf(Kernel.class);
            }
            boolean found = false;
            for (Kernel kernel : Kernel.values()) {
                if (kernel.key().equals(key)) {
                    forced.add(kernel);
                    found = true;
                }
            }
            if (!found) {
                throw new IllegalArgumentException("jvision.selfcheck.fail: '" + k.trim() + "' (expected: all or any of "
                        + String.join(", ", EnumSet.allOf(Kernel.class).stream().map(Kernel::key).toList()) + ")");
            }
        }
        return forced;
    }

    /**
     * Checks every kernel ({@code forced} ones count as wrong), switches wrong ones to their
     * safe path, checks the safe paths and logs one warning per wrong kernel.
     */
    static Result run(Set<Kernel> forced) {
        long t0 = System.nanoTime();
        String cpu = cpuName();
        Kernels.resetGuards();
        List<Outcome> outcomes = new ArrayList<>();
        Set<Kernel> bad = EnumSet.noneOf(Kernel.class);
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (Kernel k : Kernel.values()) {
                Outcome o = check(k, forced);
                outcomes.add(o);
                if (!o.ok()) {
                    bad.add(k);
                }
            }
            List<String> fallbacks = applyFallbacks(bad, forced, cpu, outcomes);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            Result r = new Result(cpu, List.copyOf(outcomes), List.copyOf(fallbacks), Kernels.describe(), ms);
            LOG.debug("native self-check on {}: {} kernels, {} ({} ms); {}", cpu, outcomes.size(),
                    r.allPassed() ? "all right" : "safe paths for " + bad, ms, r.guards());
            return r;
        }
    }

    private static List<String> applyFallbacks(Set<Kernel> bad, Set<Kernel> forced, String cpu, List<Outcome> outcomes) {
        List<String> fallbacks = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o.ok()) {
                continue;
            }
            String why = o.detail().isEmpty() ? String.format(Locale.ROOT, "max error %.3g (expected < %.0e)", o.maxError(), TOLERANCE)
                    : "it failed: " + o.detail();
            String fallback = switch (o.kernel()) {
                case CONV_1X1_STRIDED, CONV_CHANNELS_LAST -> "convolution inputs and weights made contiguous";
                case CONV_1X1, CONV_3X3, CONV_DEPTHWISE_7X7 -> "libtorch's convolutions without oneDNN";
                case LINEAR -> "oneDNN linear where it passed";
                case LINEAR_ONEDNN, LINEAR_VIA_CONV -> "libtorch's linear";
                case LAYER_NORM -> "layer norm from elementwise ops";
                case GRID_SAMPLE -> "libtorch's scalar grid sampler";
            };
            fallbacks.add(o.kernel().key() + ": " + fallback);
            LOG.warn("native self-check: {} is wrong on this CPU ({}): {}{}; using {}", o.kernel().description(), cpu, why,
                    forced.contains(o.kernel()) ? " [forced by jvision.selfcheck.fail]" : "", fallback);
        }
        if (bad.contains(Kernel.CONV_1X1_STRIDED) || bad.contains(Kernel.CONV_CHANNELS_LAST)) {
            Kernels.setConvContiguous(true);
        }
        if (bad.contains(Kernel.CONV_1X1) || bad.contains(Kernel.CONV_3X3) || bad.contains(Kernel.CONV_DEPTHWISE_7X7)) {
            Kernels.setMkldnnEnabled(false);
        }
        if (bad.contains(Kernel.LINEAR_ONEDNN)) {
            Kernels.setLinearOnednn(false);
        }
        if (bad.contains(Kernel.LINEAR_VIA_CONV) || !torch.globalContext().userEnabledMkldnn()) {
            Kernels.setLinearViaConv(false);
        }
        if (!torch.globalContext().userEnabledMkldnn()) {
            Kernels.setLinearOnednn(false);
        }
        if (bad.contains(Kernel.LAYER_NORM)) {
            Kernels.setLayerNormComposite(true);
        }
        if (bad.contains(Kernel.GRID_SAMPLE)) {
            Kernels.setGridSampleFallback(true);
        }
        // the safe paths themselves must be right; a forced failure is not re-forced here
        for (Kernel k : bad) {
            if (k == Kernel.LINEAR_ONEDNN || k == Kernel.LINEAR_VIA_CONV) {
                continue; // not used any more
            }
            Outcome again = check(k, EnumSet.noneOf(Kernel.class));
            if (!again.ok()) {
                LOG.warn("native self-check: the safe path for {} is wrong too on this CPU ({}): max error {}{}; "
                        + "results of models that use it cannot be trusted on this host", k.description(), cpu,
                        again.maxError(), again.detail().isEmpty() ? "" : " (" + again.detail() + ")");
                fallbacks.add(k.key() + ": no safe path found");
            }
        }
        return fallbacks;
    }

    private static Outcome check(Kernel k, Set<Kernel> forced) {
        if (forced.contains(k)) {
            return new Outcome(k, Double.POSITIVE_INFINITY, false, "");
        }
        double err;
        try (PointerScope scope = new PointerScope()) {
            err = switch (k) {
                case CONV_1X1 -> max(conv(2, 40, 160, 14, 1, 1, 0, 1, Layout.CONTIGUOUS),
                        conv(2, 160, 40, 7, 1, 1, 0, 1, Layout.CONTIGUOUS), conv(1, 64, 256, 8, 1, 1, 0, 1, Layout.CONTIGUOUS));
                case CONV_1X1_STRIDED -> max(conv(2, 40, 160, 14, 1, 1, 0, 1, Layout.PERMUTED),
                        conv(2, 160, 40, 7, 1, 1, 0, 1, Layout.PERMUTED), conv(1, 64, 256, 8, 1, 1, 0, 1, Layout.PERMUTED),
                        conv(2, 40, 160, 14, 1, 1, 0, 1, Layout.SLICED));
                case CONV_CHANNELS_LAST -> max(conv(2, 40, 160, 14, 1, 1, 0, 1, Layout.CHANNELS_LAST),
                        conv(2, 32, 64, 14, 3, 2, 1, 1, Layout.CHANNELS_LAST),
                        conv(2, 40, 40, 14, 7, 1, 3, 40, Layout.CHANNELS_LAST));
                case CONV_3X3 -> conv(2, 32, 64, 14, 3, 2, 1, 1, Layout.CONTIGUOUS);
                case CONV_DEPTHWISE_7X7 -> max(conv(2, 40, 40, 14, 7, 1, 3, 40, Layout.CONTIGUOUS),
                        conv(2, 64, 64, 8, 7, 1, 3, 64, Layout.CONTIGUOUS));
                case LINEAR -> max(linear(130, 96, 384, Kernels::linearPlain), linear(70, 384, 96, Kernels::linearPlain));
                case LINEAR_ONEDNN -> max(linear(130, 96, 384, Kernels::linearOnednn),
                        linear(70, 384, 96, Kernels::linearOnednn), linear(1, 320, 17, Kernels::linearOnednn),
                        linearGelu(130, 96, 384));
                case LINEAR_VIA_CONV -> max(linear(130, 96, 384, Kernels::linearViaConv),
                        linear(70, 384, 96, Kernels::linearViaConv), linear(784, 40, 160, Kernels::linearViaConv));
                case LAYER_NORM -> max(layerNorm(false), layerNorm(true));
                case GRID_SAMPLE -> max(gridSample(0), gridSample(1), gridSample(2));
            };
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            int nl = msg.indexOf('\n');
            return new Outcome(k, Double.NaN, false, nl > 0 ? msg.substring(0, nl) : msg);
        }
        return new Outcome(k, err, Double.isFinite(err) && err <= TOLERANCE, "");
    }

    private static double max(double... errors) {
        double m = 0;
        for (double e : errors) {
            if (!(e <= m)) {
                m = e; // NaN sticks
            }
        }
        return m;
    }

    // --- convolution --------------------------------------------------------------------------

    private enum Layout { CONTIGUOUS, PERMUTED, SLICED, CHANNELS_LAST }

    /** A square {@code size} input, {@code k}x{@code k} kernel; error of Kernels.conv2d against Java. */
    private static double conv(int n, int c, int o, int size, int k, int stride, int pad, int groups, Layout layout) {
        SplittableRandom r = new SplittableRandom(31L * c + o + 7L * k + 1009L * size + groups);
        float[] x = uniform(r, n * c * size * size, 1);
        float[] w = uniform(r, o * (c / groups) * k * k, 1 / Math.sqrt((double) (c / groups) * k * k));
        float[] b = uniform(r, o, 0.5);
        Tensor xt = Tensors.fromFloats(x, n, c, size, size);
        Tensor wt = Tensors.fromFloats(w, o, c / groups, k, k);
        switch (layout) {
            case PERMUTED -> xt = xt.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
            case SLICED -> {
                // every other column of a twice-as-wide image: neither contiguous nor channels-last
                float[] wide = new float[x.length * 2];
                for (int i = 0; i < x.length; i++) {
                    wide[2 * i] = x[i];
                    wide[2 * i + 1] = Float.NaN; // must never be read
                }
                xt = Tensors.fromFloats(wide, n, c, size, 2L * size).slice(3, new LongOptional(0),
                        new LongOptional(2L * size), 2);
            }
            case CHANNELS_LAST -> {
                xt = xt.contiguous(torch.MemoryFormat.ChannelsLast);
                wt = wt.contiguous(torch.MemoryFormat.ChannelsLast);
            }
            default -> { }
        }
        Tensor y = Kernels.conv2d(xt, wt, Tensors.fromFloats(b, o), new long[] {stride, stride}, new long[] {pad, pad},
                new long[] {1, 1}, groups);
        // the same shape gives the same data (seeded by shape): compute each reference once
        String key = "conv " + n + " " + c + " " + o + " " + size + " " + k + " " + stride + " " + pad + " " + groups;
        double[] ref = REFERENCES.computeIfAbsent(key, unused -> convReference(x, n, c, size, w, o, k, b, stride, pad, groups));
        return error(Tensors.toFloats(y), ref);
    }

    static double[] convReference(float[] x, int n, int c, int size, float[] w, int o, int k, float[] b, int stride,
                                  int pad, int groups) {
        int out = (size + 2 * pad - k) / stride + 1;
        int cg = c / groups;
        int og = o / groups;
        double[] y = new double[n * o * out * out];
        for (int in = 0; in < n; in++) {
            for (int oc = 0; oc < o; oc++) {
                int g = oc / og;
                for (int oy = 0; oy < out; oy++) {
                    for (int ox = 0; ox < out; ox++) {
                        double s = b[oc];
                        for (int ic = 0; ic < cg; ic++) {
                            int xc = g * cg + ic;
                            for (int ky = 0; ky < k; ky++) {
                                int iy = oy * stride - pad + ky;
                                if (iy < 0 || iy >= size) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = ox * stride - pad + kx;
                                    if (ix < 0 || ix >= size) {
                                        continue;
                                    }
                                    s += (double) x[((in * c + xc) * size + iy) * size + ix] * w[((oc * cg + ic) * k + ky) * k + kx];
                                }
                            }
                        }
                        y[((in * o + oc) * out + oy) * out + ox] = s;
                    }
                }
            }
        }
        return y;
    }

    // --- linear -------------------------------------------------------------------------------

    private interface LinearPath {
        Tensor apply(Tensor x, Tensor w, Tensor b);
    }

    private static double linear(int rows, int in, int out, LinearPath path) {
        SplittableRandom r = new SplittableRandom(rows * 131L + in * 7L + out);
        float[] x = uniform(r, rows * in, 1);
        float[] w = uniform(r, out * in, 1 / Math.sqrt(in));
        float[] b = uniform(r, out, 0.5);
        // a leading batch dimension, as the model code passes [B, tokens, C]
        Tensor y = path.apply(Tensors.fromFloats(x, 1, rows, in), Tensors.fromFloats(w, out, in), Tensors.fromFloats(b, out));
        if (y.dim() != 3 || y.size(0) != 1 || y.size(1) != rows || y.size(2) != out) {
            return Double.POSITIVE_INFINITY;
        }
        double[] ref = REFERENCES.computeIfAbsent("linear " + rows + " " + in + " " + out, unused -> {
            double[] t = new double[rows * out];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < out; j++) {
                    double s = b[j];
                    for (int q = 0; q < in; q++) {
                        s += (double) x[i * in + q] * w[j * in + q];
                    }
                    t[i * out + j] = s;
                }
            }
            return t;
        });
        return error(Tensors.toFloats(y), ref);
    }

    /** oneDNN inner product with its GELU post-op against the same reference, then Java's GELU. */
    private static double linearGelu(int rows, int in, int out) {
        linear(rows, in, out, Kernels::linearPlain); // fills the reference cache for this shape
        double[] plain = REFERENCES.get("linear " + rows + " " + in + " " + out);
        SplittableRandom r = new SplittableRandom(rows * 131L + in * 7L + out);
        float[] x = uniform(r, rows * in, 1);
        float[] w = uniform(r, out * in, 1 / Math.sqrt(in));
        float[] b = uniform(r, out, 0.5);
        Tensor y = Kernels.linearOnednn(Tensors.fromFloats(x, 1, rows, in), Tensors.fromFloats(w, out, in),
                Tensors.fromFloats(b, out), "gelu");
        double[] ref = new double[plain.length];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = 0.5 * plain[i] * (1 + erf(plain[i] / Math.sqrt(2)));
        }
        return error(Tensors.toFloats(y), ref);
    }

    /** erf, from a Chebyshev fit of erfc with fractional error below 1.2e-7 everywhere. */
    static double erf(double z) {
        double t = 1 / (1 + 0.5 * Math.abs(z));
        double ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return z >= 0 ? 1 - ans : ans - 1;
    }

    // --- layer norm ---------------------------------------------------------------------------

    private static double layerNorm(boolean channelsFirst) {
        int n = 2;
        int c = 96;
        int hw = 7 * 7;
        SplittableRandom r = new SplittableRandom(channelsFirst ? 11 : 13);
        float[] x = uniform(r, n * hw * c, 2); // [n, hw, c]
        for (int i = 0; i < x.length; i++) {
            x[i] += 0.5f; // a non-zero mean
        }
        float[] w = uniform(r, c, 1);
        float[] b = uniform(r, c, 0.5);
        double eps = 1e-6;
        Tensor xt = Tensors.fromFloats(x, n, 7, 7, c);
        if (channelsFirst) {
            // what LayerNorm2d sees: an NCHW view of NHWC memory, permuted back for the norm
            xt = xt.permute(0, 3, 1, 2).permute(0, 2, 3, 1);
        }
        Tensor y = Kernels.layerNorm(xt, new long[] {c}, Tensors.fromFloats(w, c), Tensors.fromFloats(b, c), eps);
        double[] ref = new double[x.length];
        for (int row = 0; row < n * hw; row++) {
            double mean = 0;
            for (int j = 0; j < c; j++) {
                mean += x[row * c + j];
            }
            mean /= c;
            double var = 0;
            for (int j = 0; j < c; j++) {
                double d = x[row * c + j] - mean;
                var += d * d;
            }
            var /= c;
            double inv = 1 / Math.sqrt(var + eps);
            for (int j = 0; j < c; j++) {
                ref[row * c + j] = (x[row * c + j] - mean) * inv * w[j] + b[j];
            }
        }
        return error(Tensors.toFloats(y.contiguous()), ref);
    }

    // --- grid sample --------------------------------------------------------------------------

    private static double gridSample(int padding) {
        int n = 2;
        int c = 3;
        int h = 9;
        int w = 11;
        int gh = 7;
        int gw = 8;
        SplittableRandom r = new SplittableRandom(17 + padding);
        float[] x = uniform(r, n * c * h * w, 1);
        float[] g = uniform(r, n * gh * gw * 2, 1.3); // some points fall outside [-1, 1]
        Tensor y = Kernels.gridSample(Tensors.fromFloats(x, n, c, h, w), Tensors.fromFloats(g, n, gh, gw, 2), 0, padding, false);
        double[] ref = new double[n * c * gh * gw];
        for (int in = 0; in < n; in++) {
            for (int oy = 0; oy < gh; oy++) {
                for (int ox = 0; ox < gw; ox++) {
                    int gi = ((in * gh + oy) * gw + ox) * 2;
                    double ix = sourceIndex(g[gi], w, padding);
                    double iy = sourceIndex(g[gi + 1], h, padding);
                    int x0 = (int) Math.floor(ix);
                    int y0 = (int) Math.floor(iy);
                    double tx = ix - x0;
                    double ty = iy - y0;
                    for (int ch = 0; ch < c; ch++) {
                        double s = 0;
                        for (int dy = 0; dy <= 1; dy++) {
                            for (int dx = 0; dx <= 1; dx++) {
                                int xx = x0 + dx;
                                int yy = y0 + dy;
                                if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
                                    continue; // zeros outside (border/reflection were clipped before)
                                }
                                double weight = (dx == 0 ? 1 - tx : tx) * (dy == 0 ? 1 - ty : ty);
                                s += weight * x[((in * c + ch) * h + yy) * w + xx];
                            }
                        }
                        ref[((in * c + ch) * gh + oy) * gw + ox] = s;
                    }
                }
            }
        }
        return error(Tensors.toFloats(y), ref);
    }

    /** grid coordinate in [-1, 1] to a pixel index (align_corners false), with the padding's rule. */
    private static double sourceIndex(double coord, int size, int padding) {
        double i = ((coord + 1) * size - 1) / 2;
        if (padding == 1) {
            return Math.min(size - 1, Math.max(0, i));
        }
        if (padding == 2) {
            // reflect about the image's outer edges (-0.5 and size - 0.5), then clip
            double lo = -0.5;
            double span = size;
            double d = Math.abs(i - lo);
            double extra = d % span;
            int flips = (int) Math.floor(d / span);
            i = flips % 2 == 0 ? lo + extra : lo + span - extra;
            return Math.min(size - 1, Math.max(0, i));
        }
        return i;
    }

    // --- helpers ------------------------------------------------------------------------------

    private static float[] uniform(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** Largest absolute difference, relative to max(1, largest reference magnitude). */
    static double error(float[] got, double[] ref) {
        if (got.length != ref.length) {
            return Double.POSITIVE_INFINITY;
        }
        double scale = 1;
        for (double v : ref) {
            scale = Math.max(scale, Math.abs(v));
        }
        double m = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(got[i] - ref[i]);
            if (!(d <= m)) {
                m = d;
            }
        }
        return m / scale;
    }

    /** The CPU's model name, family and vector extensions, from /proc/cpuinfo. */
    public static String cpuName() {
        Path info = Path.of("/proc/cpuinfo");
        String model = System.getProperty("os.arch");
        String family = "?";
        String flags = "";
        try {
            for (String line : Files.readAllLines(info)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("model name")) {
                    model = value;
                } else if (key.equals("cpu family")) {
                    family = value;
                } else if (key.equals("flags")) {
                    flags = value;
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return model;
        }
        List<String> isa = new ArrayList<>();
        Set<String> have = Set.of(flags.split(" "));
        for (String f : new String[] {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile"}) {
            if (have.contains(f)) {
                isa.add(f);
            }
        }
        return model + " (family " + family + (isa.isEmpty() ? "" : ", " + String.join(" ", isa)) + ")";
    }

}
