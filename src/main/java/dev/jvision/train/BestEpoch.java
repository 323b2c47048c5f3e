package dev.jvision.train;

/**
 * The validation scores of the best epoch so far (by {@code train.monitor}). Immutable.
 *
 * @param epoch    1-based epoch, -1 before the first validation
 * @param f1       macro-F1
 * @param accuracy accuracy
 * @param loss     mean negative log-likelihood
 */
public record BestEpoch(int epoch, double f1, double accuracy, double loss) {
    /** Before any validation. */
    public static final BestEpoch NONE = new BestEpoch(-1, -1, 0, 0);
}
