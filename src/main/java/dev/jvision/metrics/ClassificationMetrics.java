package dev.jvision.metrics;

/**
 * Classification scores from predicted and true class ids: macro-F1 (the competition metric,
 * classes absent from both predictions and targets are left out of the mean), accuracy and the
 * confusion matrix, and top-k accuracy: the one implementation in jvision (training, cross-validation,
 * inference reports and streaming scores all call it), ties ranked by the lower class index.
 * Stateless and thread-safe.
 */
public final class ClassificationMetrics {
    /**
     * Top-k accuracy of host scores: the fraction of rows whose target is among the row's
     * {@code min(k, classes)} highest scores (ties broken by the lower class index, as a
     * stable sort would); 0 for no rows. {@code k = 5} gives the usual top-5, which for five
     * classes or fewer is 1.0.
     *
     * @param scores  {@code [rows][classes]} logits or probabilities
     * @param targets true class per row
     * @param k       &gt;= 1
     */
    public static double topKAccuracy(float[][] scores, int[] targets, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("top-k: " + k + " (expected: >= 1)");
        }
        if (scores.length != targets.length) {
            throw new IllegalArgumentException("targets: " + targets.length + " rows (expected: " + scores.length + ")");
        }
        if (scores.length == 0) {
            return 0;
        }
        int hit = 0;
        for (int i = 0; i < scores.length; i++) {
            float[] row = scores[i];
            int t = targets[i];
            if (t < 0 || t >= row.length) {
                throw new IllegalArgumentException("targets[" + i + "]: " + t + " (expected: 0.." + (row.length - 1) + ")");
            }
            if (inTopK(row, t, k)) {
                hit++;
            }
        }
        return (double) hit / scores.length;
    }

    /**
     * Whether class {@code target} (0..classes-1) is among the {@code k} highest scores of
     * {@code row}, ties broken by the lower class index (the rule of {@link #topKAccuracy}).
     */
    public static boolean inTopK(float[] row, int target, int k) {
        float v = row[target];
        int ahead = 0;
        for (int c = 0; c < row.length && ahead < k; c++) {
            if (row[c] > v || (row[c] == v && c < target)) {
                ahead++;
            }
        }
        return ahead < k;
    }

    private ClassificationMetrics() {}

    /** Confusion counts {@code [true][predicted]}. */
    public static long[][] confusion(int[] predicted, int[] target, int numClasses) {
        check(predicted, target);
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses: " + numClasses + " (expected: >= 1)");
        }
        long[][] m = new long[numClasses][numClasses];
        for (int i = 0; i < target.length; i++) {
            if (target[i] < 0 || target[i] >= numClasses || predicted[i] < 0 || predicted[i] >= numClasses) {
                throw new IllegalArgumentException("class id out of range at " + i + ": target " + target[i]
                        + ", predicted " + predicted[i] + " (expected: 0.." + (numClasses - 1) + ")");
            }
            m[target[i]][predicted[i]]++;
        }
        return m;
    }

    /** Macro-averaged F1 over the classes that occur in targets or predictions. */
    public static double macroF1(int[] predicted, int[] target, int numClasses) {
        long[][] m = confusion(predicted, target, numClasses);
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < numClasses; c++) {
            long tp = m[c][c];
            long fn = 0;
            long fp = 0;
            for (int k = 0; k < numClasses; k++) {
                if (k != c) {
                    fn += m[c][k];
                    fp += m[k][c];
                }
            }
            if (tp + fn + fp == 0) {
                continue;
            }
            sum += 2.0 * tp / (2.0 * tp + fp + fn);
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    /** Fraction of exact matches. */
    public static double accuracy(int[] predicted, int[] target) {
        check(predicted, target);
        if (target.length == 0) {
            return 0;
        }
        int ok = 0;
        for (int i = 0; i < target.length; i++) {
            if (predicted[i] == target[i]) {
                ok++;
            }
        }
        return (double) ok / target.length;
    }

    /** Row-wise argmax of probabilities or logits. */
    public static int[] argmax(float[][] scores) {
        int[] out = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            out[i] = argmax(scores[i]);
        }
        return out;
    }

    /** The index of the largest score of one row (the first of equal ones). */
    public static int argmax(float[] row) {
        int best = 0;
        for (int c = 1; c < row.length; c++) {
            if (row[c] > row[best]) {
                best = c;
            }
        }
        return best;
    }

    private static void check(int[] predicted, int[] target) {
        if (predicted.length != target.length) {
            throw new IllegalArgumentException("predicted has " + predicted.length + " entries (expected: "
                    + target.length + ", as targets)");
        }
    }
}
