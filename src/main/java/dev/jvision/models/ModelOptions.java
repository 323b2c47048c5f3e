package dev.jvision.models;

/**
 * Options for {@link Models#create}: number of classes, classifier dropout and stochastic depth
 * rate. Immutable and thread-safe.
 */
public record ModelOptions(int numClasses, double dropRate, double dropPathRate) {
    public ModelOptions {
        if (numClasses < 1) {
            throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
        }
        if (dropRate < 0 || dropRate >= 1) {
            throw new IllegalArgumentException("drop_rate: " + dropRate + " (expected: in [0, 1))");
        }
        if (dropPathRate < 0 || dropPathRate >= 1) {
            throw new IllegalArgumentException("drop_path_rate: " + dropPathRate + " (expected: in [0, 1))");
        }
    }

    /** {@code numClasses} outputs, no dropout. */
    public static ModelOptions of(int numClasses) {
        return new ModelOptions(numClasses, 0, 0);
    }
}
