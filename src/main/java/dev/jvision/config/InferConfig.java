package dev.jvision.config;

/**
 * The {@code infer:} section: prediction on the test set.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param batchSize inference batch size, &gt;= 1 (default 64)
 * @param saveProbs also write per-class probabilities (default false)
 * @param tta test-time augmentation (default false)
 */
public record InferConfig(int batchSize, boolean saveProbs, boolean tta) {

    public InferConfig {
        Checks.atLeast("batch_size", batchSize, 1);
    }

    /** @return the section with every field at its default */
    public static InferConfig defaults() {
        return new InferConfig(64, false, false);
    }
}
