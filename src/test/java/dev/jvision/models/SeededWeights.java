package dev.jvision.models;

import dev.jvision.runtime.Tensors;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The numerics matrix's seed rule (version 1), the Java twin of
 * {@code src/test/python/make_numerics_fixtures.py}, whose docstring states the rule: weights,
 * BatchNorm statistics, input images and gradient probes are drawn per tensor name from
 * {@code splitmix64(fnv1a64(name) ^ GLOBAL_SEED + (i + 1) * GOLDEN)}, top 24 bits, mapped by the
 * tensor's role in float64 and rounded once to float32, so that Java and numpy produce the same
 * float32 bits. Stateless and thread-safe; arrays and tensors returned belong to the caller.
 */
final class SeededWeights {
    static final long GLOBAL_SEED = 0x6A766973696F6E31L; // "jvision1"
    static final long GOLDEN = 0x9E3779B97F4A7C15L;
    static final double CLASSIFIER_GAIN = 1.0;
    static final int IMAGES = 2;

    private SeededWeights() {}

    static long fnv1a64(String text) {
        long h = 0xCBF29CE484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001B3L;
        }
        return h;
    }

    /** Element {@code i} of {@code seed}'s stream: a 24-bit fraction in [0, 1). */
    static double u01(long seed, long i) {
        long z = seed + (i + 1) * GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) * 0x1p-24;
    }

    static long seed(String name) {
        return fnv1a64(name) ^ GLOBAL_SEED;
    }

    /** The first {@code n} values of {@code name}'s stream mapped to {@code [lo, hi)}, as float32. */
    static float[] uniform(String name, int n, double lo, double hi) {
        long s = seed(name);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (lo + (hi - lo) * u01(s, i));
        }
        return out;
    }

    /** {lo, hi} of the state entry {@code name} of {@code shape}, or null to leave it as built. */
    static double[] range(String name, long[] shape, String classifier) {
        String leaf = name.substring(name.lastIndexOf('.') + 1);
        switch (leaf) {
            case "num_batches_tracked":
                return null;
            case "running_mean":
            case "bias":
                return new double[] {-0.1, 0.1};
            case "running_var":
            case "gamma":
                return new double[] {0.5, 1.5};
            case "relative_position_bias_table":
                return new double[] {-1.0, 1.0};
            case "weight":
                if (shape.length == 1) {
                    return new double[] {0.5, 1.5};
                }
                long fanIn = 1;
                for (int i = 1; i < shape.length; i++) {
                    fanIn *= shape[i];
                }
                double gain = name.startsWith(classifier + ".") ? CLASSIFIER_GAIN : Math.sqrt(2.0);
                double a = gain * Math.sqrt(3.0 / fanIn);
                return new double[] {-a, a};
            default:
                throw new IllegalArgumentException(name + ": no role in the seed rule");
        }
    }

    /** The seeded values of one state entry ({@code bnVarLog2}: BatchNorm prefix -> k, running_var x 2^k). */
    static float[] values(String name, long[] shape, String classifier, Map<String, Integer> bnVarLog2) {
        double[] r = range(name, shape, classifier);
        if (r == null) {
            return null;
        }
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = uniform(name, Math.toIntExact(n), r[0], r[1]);
        int dot = name.lastIndexOf('.');
        String leaf = name.substring(dot + 1);
        int k = bnVarLog2.getOrDefault(dot < 0 ? "" : name.substring(0, dot), 0);
        float scale = leaf.equals("running_var") ? (float) Math.scalb(1.0, k)
                : leaf.equals("running_mean") ? (float) Math.scalb(1.0, Math.floorDiv(k, 2)) : 1f;
        if (scale != 1f) {
            for (int i = 0; i < v.length; i++) {
                v[i] *= scale;
            }
        }
        return v;
    }

    /** Overwrites every floating parameter and buffer of {@code model} by the rule. */
    static void fill(ImageModel model, Map<String, Integer> bnVarLog2) {
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            Tensor t = e.getValue();
            if (t.scalar_type().intern() != torch.ScalarType.Float) {
                continue;
            }
            float[] v = values(e.getKey(), Tensors.shape(t), model.classifierName(), bnVarLog2);
            if (v != null) {
                write(e.getKey(), t, v);
            }
        }
    }

    /** Copies {@code v} into the contiguous float32 CPU tensor {@code t} (no autograd involvement). */
    static void write(String name, Tensor t, float[] v) {
        if (!t.is_contiguous() || t.is_cuda() || t.numel() != v.length) {
            throw new IllegalStateException(name + ": expected a contiguous CPU float tensor of " + v.length + " elements");
        }
        new FloatPointer(t.data_ptr()).put(v, 0, v.length);
    }

    /** The seeded 8-bit images {@code [IMAGES][3][size][size]} (channel-first levels 0..255). */
    static int[][][][] pixels(int size) {
        int m4 = (size + 3) / 4;
        int[][][][] out = new int[IMAGES][3][size][size];
        for (int n = 0; n < IMAGES; n++) {
            long sc = seed("input" + n + ".coarse");
            long sm = seed("input" + n + ".mid");
            long sf = seed("input" + n + ".fine");
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        double coarse = u01(sc, (c * 8L + y * 8 / size) * 8 + x * 8 / size);
                        double mid = u01(sm, ((long) c * m4 + y / 4) * m4 + x / 4);
                        double fine = u01(sf, ((long) c * size + y) * size + x);
                        double v = 0.55 * coarse + 0.30 * mid + 0.15 * fine;
                        out[n][c][y][x] = (int) Math.min(Math.floor(256.0 * v), 255.0);
                    }
                }
            }
        }
        return out;
    }

    /** The seeded input batch {@code [IMAGES, 3, S, S]} normalised with the spec's mean and std. */
    static Tensor images(ModelSpec spec) {
        int s = spec.inputSize();
        int[][][][] q = pixels(s);
        float[] a = new float[IMAGES * 3 * s * s];
        int i = 0;
        for (int n = 0; n < IMAGES; n++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        a[i++] = (float) ((q[n][c][y][x] / 255.0 - spec.mean()[c]) / spec.std()[c]);
                    }
                }
            }
        }
        return Tensors.fromFloats(a, IMAGES, 3, s, s);
    }

    /** sum_i bits(a_i) * (2i + 1) mod 2^64 as 16 hex digits (the fixture script's checksum). */
    static String checksum(float[] a) {
        long s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (Float.floatToRawIntBits(a[i]) & 0xFFFFFFFFL) * (2L * i + 1);
        }
        return String.format("%016x", s);
    }
}
