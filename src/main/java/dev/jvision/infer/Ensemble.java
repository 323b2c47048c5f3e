package dev.jvision.infer;

import java.util.List;

/**
 * Probability averaging for ensembles: weights are normalised to sum to 1 and the ensemble
 * probability of each class is the weighted mean of the members' probabilities (so rows still
 * sum to 1). Stateless and thread-safe; results are new arrays owned by the caller.
 */
public final class Ensemble {
    private Ensemble() {}

    /** {@code weights / sum(weights)}; every weight must be finite and &gt; 0. */
    public static double[] normalise(double[] weights) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("no ensemble members (expected: at least one)");
        }
        double s = 0;
        for (int i = 0; i < weights.length; i++) {
            if (!(weights[i] > 0) || !Double.isFinite(weights[i])) {
                throw new IllegalArgumentException("member " + i + " weight: " + weights[i] + " (expected: a finite number > 0)");
            }
            s += weights[i];
        }
        double[] out = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            out[i] = weights[i] / s;
        }
        return out;
    }

    /** The weighted mean of {@code probs} (each {@code [samples][classes]}, same shape). */
    public static float[][] weightedMean(List<float[][]> probs, double[] weights) {
        if (probs.size() != weights.length) {
            throw new IllegalArgumentException(probs.size() + " members for " + weights.length
                    + " weights (expected: one weight per member)");
        }
        double[] w = normalise(weights);
        int n = probs.get(0).length;
        int c = n == 0 ? 0 : probs.get(0)[0].length;
        double[][] sum = new double[n][c];
        for (int m = 0; m < probs.size(); m++) {
            float[][] p = probs.get(m);
            if (p.length != n || (n > 0 && p[0].length != c)) {
                throw new IllegalArgumentException("member " + m + ": probabilities " + p.length + "x"
                        + (p.length == 0 ? 0 : p[0].length) + " (expected: " + n + "x" + c + ", as member 0)");
            }
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < c; k++) {
                    sum[i][k] += w[m] * p[i][k];
                }
            }
        }
        float[][] out = new float[n][c];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                out[i][k] = (float) sum[i][k];
            }
        }
        return out;
    }

    /** The unweighted mean of {@code probs}. */
    public static float[][] mean(List<float[][]> probs) {
        double[] w = new double[probs.size()];
        java.util.Arrays.fill(w, 1.0);
        return weightedMean(probs, w);
    }
}
