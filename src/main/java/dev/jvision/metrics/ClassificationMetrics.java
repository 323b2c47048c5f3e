package dev.jvision.metrics;

/**
 * Classification scores from predicted and true class ids: macro-F1 (the competition metric,
 * classes absent from both predictions and targets are left out of the mean), accuracy and the
 * confusion matrix. Stateless and thread-safe.
 */
public final class ClassificationMetrics {
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
            int best = 0;
            for (int c = 1; c < scores[i].length; c++) {
                if (scores[i][c] > scores[i][best]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    private static void check(int[] predicted, int[] target) {
        if (predicted.length != target.length) {
            throw new IllegalArgumentException("predicted has " + predicted.length + " entries (expected: "
                    + target.length + ", as targets)");
        }
    }
}
