package dev.jvision.metrics;

/**
 * Test-set scores of class probabilities accumulated row by row, in memory that depends on the
 * number of classes only (three {@code long} counters per class, {@code bins} sums), so that a
 * test set of any size is scored in one pass without its {@code [rows][classes]} table or a
 * confusion matrix: accuracy, macro-F1, top-k accuracy, NLL and expected calibration error.
 *
 * <p>The numbers are those of the whole-table functions on the same rows:
 * {@link ClassificationMetrics#accuracy}, {@link ClassificationMetrics#macroF1} (of
 * {@link ClassificationMetrics#argmax}) and {@link ClassificationMetrics#topKAccuracy} exactly
 * (integer counts, the same tie rules); {@link ProbabilityMetrics#nllOfProbs} and
 * {@link ProbabilityMetrics#ece} up to the order of a floating-point sum (float64; within 1e-12
 * on test sets of any practical size).
 *
 * <p>Not thread-safe (one writer); the accumulated state is owned by this object.
 */
public final class StreamingScores {
    private final int numClasses;
    private final int k;
    private final int bins;
    private final long[] tp;
    private final long[] fp;
    private final long[] fn;
    private final double[] gap;
    private long rows;
    private long correct;
    private long topHits;
    private double logSum;

    /**
     * @param numClasses number of classes, &gt;= 1 (row length)
     * @param k          the k of top-k accuracy, &gt;= 1 (rows rank {@code min(k, classes)} classes)
     * @param bins       equal-width confidence bins of the calibration error, &gt;= 1
     */
    public StreamingScores(int numClasses, int k, int bins) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses: " + numClasses + " (expected: >= 1)");
        }
        if (k < 1) {
            throw new IllegalArgumentException("top-k: " + k + " (expected: >= 1)");
        }
        if (bins < 1) {
            throw new IllegalArgumentException("bins: " + bins + " (expected: >= 1)");
        }
        this.numClasses = numClasses;
        this.k = k;
        this.bins = bins;
        this.tp = new long[numClasses];
        this.fp = new long[numClasses];
        this.fn = new long[numClasses];
        this.gap = new double[bins];
    }

    /** Adds one row: {@code probs} (the row's class probabilities) and its true class. */
    public void add(float[] probs, int target) {
        if (probs.length != numClasses) {
            throw new IllegalArgumentException("row of " + probs.length + " probabilities (expected: " + numClasses
                    + ", one per class)");
        }
        if (target < 0 || target >= numClasses) {
            throw new IllegalArgumentException("target " + target + " (expected: 0.." + (numClasses - 1) + ")");
        }
        int pred = ClassificationMetrics.argmax(probs);
        rows++;
        if (pred == target) {
            correct++;
            tp[target]++;
        } else {
            fn[target]++;
            fp[pred]++;
        }
        if (ClassificationMetrics.inTopK(probs, target, k)) {
            topHits++;
        }
        logSum += Math.log(Math.max((double) probs[target], ProbabilityMetrics.MIN_PROBABILITY));
        double conf = probs[pred];
        int bin = (int) Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
        gap[bin] += (pred == target ? 1.0 : 0.0) - conf;
    }

    /** Adds rows {@code probs[i]} with true classes {@code targets[i]}. */
    public void addAll(float[][] probs, int[] targets) {
        if (probs.length != targets.length) {
            throw new IllegalArgumentException(probs.length + " rows for " + targets.length
                    + " targets (expected: one row per target)");
        }
        for (int i = 0; i < probs.length; i++) {
            add(probs[i], targets[i]);
        }
    }

    /** Rows added so far. */
    public long rows() {
        return rows;
    }

    /** Fraction of rows whose most probable class is the true one; 0 for no rows. */
    public double accuracy() {
        return rows == 0 ? 0 : (double) correct / rows;
    }

    /** Macro-averaged F1 over the classes that occur as a target or a prediction; 0 when none. */
    public double macroF1() {
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < numClasses; c++) {
            if (tp[c] + fn[c] + fp[c] == 0) {
                continue;
            }
            sum += 2.0 * tp[c] / (2.0 * tp[c] + fp[c] + fn[c]);
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    /** Fraction of rows whose true class is among the {@code min(k, classes)} most probable; 0 for no rows. */
    public double topKAccuracy() {
        return rows == 0 ? 0 : (double) topHits / rows;
    }

    /** Mean negative log-likelihood of the true classes (probabilities clamped at 1e-12); 0 for no rows. */
    public double nll() {
        return rows == 0 ? 0 : -(logSum / rows);
    }

    /** Expected calibration error over the bins, confidence = top probability, bins {@code (lo, hi]}; 0 for no rows. */
    public double ece() {
        if (rows == 0) {
            return 0;
        }
        double s = 0;
        for (double g : gap) {
            s += Math.abs(g);
        }
        return s / rows;
    }
}
