package dev.jvision.augment.detect;

/**
 * Settings of {@link BoxAugmenter}. Immutable and thread-safe.
 *
 * @param mosaic       probability that a sample becomes a 2x2 mosaic with three other images of
 *                     the batch (while mosaic is on), in [0, 1]
 * @param scale        zoom drawn uniformly from {@code [1 - scale, 1 + scale]}, in [0, 1)
 * @param translate    shift drawn uniformly from {@code [-translate, translate]} times the side, in [0, 0.5]
 * @param flipLr       probability of a horizontal flip, in [0, 1]
 * @param hsvH         hue rotation drawn from {@code [-hsvH, hsvH]} of a full turn, in [0, 0.5]
 * @param hsvS         saturation gain drawn from {@code [1 - hsvS, 1 + hsvS]}, in [0, 1]
 * @param hsvV         brightness (value) gain drawn from {@code [1 - hsvV, 1 + hsvV]}, in [0, 1]
 * @param padValue     fill of uncovered pixels, 0..255
 * @param minSize      boxes narrower or lower than this (pixels, after clipping) are dropped
 * @param minAreaRatio boxes keeping less than this fraction of their transformed area after
 *                     clipping to the image are dropped, in [0, 1]
 */
public record BoxAugmentConfig(double mosaic, double scale, double translate, double flipLr, double hsvH, double hsvS,
                               double hsvV, int padValue, double minSize, double minAreaRatio) {
    public BoxAugmentConfig {
        check("mosaic", mosaic, 0, 1);
        check("scale", scale, 0, 0.999);
        check("translate", translate, 0, 0.5);
        check("fliplr", flipLr, 0, 1);
        check("hsv_h", hsvH, 0, 0.5);
        check("hsv_s", hsvS, 0, 1);
        check("hsv_v", hsvV, 0, 1);
        check("pad_value", padValue, 0, 255);
        check("min_size", minSize, 0, 1e9);
        check("min_area_ratio", minAreaRatio, 0, 1);
    }

    private static void check(String key, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new IllegalArgumentException(key + ": " + v + " (expected: in [" + lo + ", " + hi + "])");
        }
    }

    /**
     * The usual detection recipe: mosaic always, scale 0.5, translate 0.1, flip 0.5, HSV
     * 0.015 / 0.7 / 0.4, pad 114, boxes under 2 px or keeping under 10% of their area dropped.
     */
    public static BoxAugmentConfig defaults() {
        return new BoxAugmentConfig(1.0, 0.5, 0.1, 0.5, 0.015, 0.7, 0.4, Letterbox.DEFAULT_PAD, 2, 0.1);
    }

    /** Geometry and colour off (only uint8 to float conversion): for validation batches. */
    public static BoxAugmentConfig none() {
        return new BoxAugmentConfig(0, 0, 0, 0, 0, 0, 0, Letterbox.DEFAULT_PAD, 2, 0.1);
    }

    public BoxAugmentConfig withMosaic(double p) {
        return new BoxAugmentConfig(p, scale, translate, flipLr, hsvH, hsvS, hsvV, padValue, minSize, minAreaRatio);
    }

    public BoxAugmentConfig withHsv(double h, double s, double v) {
        return new BoxAugmentConfig(mosaic, scale, translate, flipLr, h, s, v, padValue, minSize, minAreaRatio);
    }

    public BoxAugmentConfig withPadValue(int pad) {
        return new BoxAugmentConfig(mosaic, scale, translate, flipLr, hsvH, hsvS, hsvV, pad, minSize, minAreaRatio);
    }
}
