package dev.jvision.models.detect;

/**
 * Options for {@link Detectors#create}. Immutable and thread-safe.
 *
 * @param numClasses object classes, &gt;= 1
 * @param regMax     bins of each box side's distribution (the largest side distance a level can
 *                   predict is {@code (regMax - 1) * stride}), &gt;= 2; 16 by default
 */
public record DetectorOptions(int numClasses, int regMax) {
    public DetectorOptions {
        if (numClasses < 1) throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
        if (regMax < 2) throw new IllegalArgumentException("reg_max: " + regMax + " (expected: >= 2)");
    }

    /** {@code numClasses} classes, 16 bins per side. */
    public static DetectorOptions of(int numClasses) {
        return new DetectorOptions(numClasses, 16);
    }
}
