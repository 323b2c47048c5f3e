package dev.jvision.config;

/**
 * The {@code augment:} section: training-time augmentation.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param policy {@code none} or {@code basic} (default {@code basic})
 * @param hflip probability of a horizontal flip, in [0, 1] (default 0.5)
 * @param vflip probability of a vertical flip, in [0, 1] (default 0.0)
 * @param rot90 probability of a random 90/180/270 degree rotation, in [0, 1] (default 0.0)
 * @param rotateDegrees free rotation, uniform in [-d, d]; d in [0, 180] (default 0.0)
 * @param scaleMin lower bound of the random zoom, &gt; 0 (default 1.0)
 * @param scaleMax upper bound of the random zoom, &gt;= scaleMin (default 1.0)
 * @param brightness brightness jitter strength, in [0, 1] (default 0.0)
 * @param contrast contrast jitter strength, in [0, 1] (default 0.0)
 */
public record AugmentConfig(
        String policy,
        double hflip,
        double vflip,
        double rot90,
        double rotateDegrees,
        double scaleMin,
        double scaleMax,
        double brightness,
        double contrast) {

    public AugmentConfig {
        Checks.oneOf("policy", policy, "none", "basic");
        Checks.probability("hflip", hflip);
        Checks.probability("vflip", vflip);
        Checks.probability("rot90", rot90);
        Checks.closed("rotate_degrees", rotateDegrees, 0.0, 180.0);
        Checks.positive("scale_min", scaleMin);
        Checks.finite("scale_max", scaleMax);
        if (!(scaleMax >= scaleMin)) throw Checks.fail("scale_max", scaleMax, ">= scale_min (" + scaleMin + ")");
        Checks.probability("brightness", brightness);
        Checks.probability("contrast", contrast);
    }

    /** @return the section with every field at its default */
    public static AugmentConfig defaults() {
        return new AugmentConfig("basic", 0.5, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0);
    }
}
