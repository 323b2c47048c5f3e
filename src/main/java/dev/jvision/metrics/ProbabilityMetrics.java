package dev.jvision.metrics;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Scores of class probabilities, computed with libtorch on the device the tensors live on: the
 * temperature-scaled softmax, the negative log-likelihood (of logits or of probabilities), the
 * expected calibration error and the top-k classes (top-k accuracy, with its tie rule, is
 * {@link ClassificationMetrics#topKAccuracy}). jvision computes these nowhere else: the
 * trainer's validation loss, temperature scaling, ensembles and the serving {@code Classifier}
 * all call this class.
 *
 * <p>Arithmetic is float64 (logits and probabilities are promoted first), so a host array and a
 * device tensor give the same numbers up to summation order. The {@code float[][]} overloads copy
 * to a CPU tensor and back. Methods returning a tensor leave it to the caller's
 * {@code PointerScope}; methods returning Java values free their temporaries before returning.
 * Stateless and thread-safe (tensors themselves must not be shared across threads meanwhile).
 */
public final class ProbabilityMetrics {
    /** Probabilities are clamped to this before taking a log. */
    public static final double MIN_PROBABILITY = 1e-12;

    private ProbabilityMetrics() {}

    /**
     * Row-wise {@code softmax(logits / temperature)} of {@code [N, C]} logits (any floating dtype),
     * computed in float64 on the logits' device.
     *
     * @return float64 {@code [N, C]}, owned by the caller's scope
     */
    public static Tensor softmax(Tensor logits, double temperature) {
        checkTemperature(temperature);
        Tensor z = logits.to(torch.ScalarType.Double);
        if (temperature != 1.0) {
            z = z.div(new Scalar(temperature));
        }
        return z.softmax(1);
    }

    /** Row-wise {@code softmax(logits / temperature)} as float32 rows (computed in float64). */
    public static float[][] softmax(float[][] logits, double temperature) {
        if (logits.length == 0) {
            return new float[0][];
        }
        try (var scope = Memory.step()) {
            return rows(softmax(matrix(logits), temperature), logits.length);
        }
    }

    /**
     * Mean negative log-likelihood of {@code targets} (int64 {@code [N]}, same device) under
     * {@code softmax(logits / temperature)}; 0 for no rows.
     */
    public static double nll(Tensor logits, Tensor targets, double temperature) {
        checkTemperature(temperature);
        if (logits.size(0) == 0) {
            return 0;
        }
        try (var scope = Memory.step()) {
            Tensor z = logits.to(torch.ScalarType.Double);
            if (temperature != 1.0) {
                z = z.div(new Scalar(temperature));
            }
            Tensor logp = z.log_softmax(1);
            return logp.gather(1, targets.view(-1, 1)).mean().neg().item_double();
        }
    }

    /** As {@link #nll(Tensor, Tensor, double)} for host arrays. */
    public static double nll(float[][] logits, int[] targets, double temperature) {
        checkRows(logits.length, targets);
        if (logits.length == 0) {
            return 0;
        }
        try (var scope = Memory.step()) {
            return nll(matrix(logits), labels(targets), temperature);
        }
    }

    /**
     * Mean negative log-likelihood of {@code targets} under probabilities {@code probs}
     * (each clamped at {@link #MIN_PROBABILITY}); 0 for no rows.
     */
    public static double nllOfProbs(Tensor probs, Tensor targets) {
        if (probs.size(0) == 0) {
            return 0;
        }
        try (var scope = Memory.step()) {
            Tensor p = probs.to(torch.ScalarType.Double).gather(1, targets.view(-1, 1));
            return p.clamp_min(new Scalar(MIN_PROBABILITY)).log().mean().neg().item_double();
        }
    }

    /** As {@link #nllOfProbs(Tensor, Tensor)} for host arrays. */
    public static double nllOfProbs(float[][] probs, int[] targets) {
        checkRows(probs.length, targets);
        if (probs.length == 0) {
            return 0;
        }
        try (var scope = Memory.step()) {
            return nllOfProbs(matrix(probs), labels(targets));
        }
    }

    /**
     * Expected calibration error: the sample-weighted mean over {@code bins} equal-width
     * confidence bins of |accuracy - mean confidence|, confidence being the top probability (a
     * confidence of exactly k/bins falls in the bin below, as {@code (lo, hi]}); 0 for no rows.
     */
    public static double ece(Tensor probs, Tensor targets, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins: " + bins + " (expected: >= 1)");
        }
        long n = probs.size(0);
        if (n == 0) {
            return 0;
        }
        try (var scope = Memory.step()) {
            T_TensorTensor_T top = probs.to(torch.ScalarType.Double).max(1, false);
            Tensor conf = top.get0();
            Tensor correct = top.get1().eq(targets.view(-1)).to(torch.ScalarType.Double);
            Tensor bin = conf.mul(new Scalar((double) bins)).ceil().sub(new Scalar(1.0))
                    .clamp(new org.bytedeco.pytorch.ScalarOptional(new Scalar(0.0)),
                            new org.bytedeco.pytorch.ScalarOptional(new Scalar((double) (bins - 1))))
                    .to(torch.ScalarType.Long);
            TensorOptions opts = new TensorOptions(torch.ScalarType.Double).device(new org.bytedeco.pytorch.DeviceOptional(
                    probs.device()));
            Tensor gap = torch.zeros(new long[] {bins}, opts).index_add_(0, bin, correct.sub(conf));
            return gap.abs().sum().item_double() / n;
        }
    }

    /** As {@link #ece(Tensor, Tensor, int)} for host arrays. */
    public static double ece(float[][] probs, int[] targets, int bins) {
        checkRows(probs.length, targets);
        if (bins < 1) {
            throw new IllegalArgumentException("bins: " + bins + " (expected: >= 1)");
        }
        if (probs.length == 0) {
            return 0;
        }
        try (var scope = Memory.step()) {
            return ece(matrix(probs), labels(targets), bins);
        }
    }

    /**
     * The {@code k} highest-scoring classes of each row, best first (ties: the lower class id
     * first is not guaranteed; libtorch's order).
     *
     * @param ids    {@code [N][k]} class ids
     * @param scores {@code [N][k]} their scores (probabilities when given probabilities)
     */
    public record TopK(int[][] ids, float[][] scores) {}

    /** The top {@code k} (1..C) classes of each row of {@code [N, C]} scores; copied to the host. */
    public static TopK topK(Tensor scores, int k) {
        long c = scores.size(1);
        if (k < 1 || k > c) {
            throw new IllegalArgumentException("top-k: " + k + " (expected: 1.." + c + ", the number of classes)");
        }
        int n = (int) scores.size(0);
        try (var scope = Memory.step()) {
            T_TensorTensor_T t = scores.topk(k, 1, true, true);
            float[] v = Tensors.toFloats(t.get0());
            long[] ix = Tensors.toLongs(t.get1());
            int[][] ids = new int[n][k];
            float[][] s = new float[n][k];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    ids[i][j] = (int) ix[i * k + j];
                    s[i][j] = v[i * k + j];
                }
            }
            return new TopK(ids, s);
        }
    }

    /** A float32 CPU {@code [N, C]} tensor of rectangular rows (caller's scope). */
    public static Tensor matrix(float[][] rows) {
        int n = rows.length;
        int c = n == 0 ? 0 : rows[0].length;
        float[] flat = new float[n * c];
        for (int i = 0; i < n; i++) {
            if (rows[i].length != c) {
                throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values (expected: " + c
                        + ", as row 0)");
            }
            System.arraycopy(rows[i], 0, flat, i * c, c);
        }
        return Tensors.fromFloats(flat, n, c);
    }

    /** An int64 CPU {@code [N]} tensor of class ids (caller's scope). */
    public static Tensor labels(int[] targets) {
        return Tensors.fromInts(targets);
    }

    /** The rows of an {@code [n, C]} tensor as float32 arrays. */
    public static float[][] rows(Tensor t, int n) {
        float[] flat = Tensors.toFloats(t);
        int c = n == 0 ? 0 : flat.length / n;
        float[][] out = new float[n][c];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }

    private static void checkTemperature(double t) {
        if (!(t > 0) || !Double.isFinite(t)) {
            throw new IllegalArgumentException("temperature: " + t + " (expected: a finite number > 0)");
        }
    }

    private static void checkRows(int rows, int[] targets) {
        if (rows != targets.length) {
            throw new IllegalArgumentException(rows + " rows for " + targets.length
                    + " targets (expected: one row per target)");
        }
    }
}
