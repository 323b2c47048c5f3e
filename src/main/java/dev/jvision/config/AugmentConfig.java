package dev.jvision.config;

/**
 * The {@code augment:} section: training-time augmentation, run on whole batches on the model's
 * device by {@code dev.jvision.augment.Augmenter}.
 *
 * <p>The top-level keys are the {@code basic} policy (flips, turns, rotation, zoom, crop,
 * brightness/contrast). {@code policy: advanced} adds the ops of the {@code advanced:} section;
 * {@code randaugment} / {@code trivialaugment} add ops drawn from a pool at the magnitude of the
 * {@code rand_augment:} section. {@code hard_augmentation:} gates those extra ops (and erasing)
 * per sample with a probability that ramps over the epochs. {@code mixup:}/{@code cutmix:} mix
 * pairs of samples and produce soft targets.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor. A {@code null} nested
 * section means its defaults.
 *
 * @param policy {@code none}, {@code basic}, {@code advanced}, {@code randaugment} or
 *     {@code trivialaugment} (default {@code basic})
 * @param hflip probability of a horizontal flip, in [0, 1] (default 0.5)
 * @param vflip probability of a vertical flip, in [0, 1] (default 0.0)
 * @param rot90 probability of a random 90/180/270 degree rotation, in [0, 1] (default 0.0)
 * @param rotateDegrees free rotation, uniform in [-d, d]; d in [0, 180] (default 0.0)
 * @param scaleMin lower bound of the random zoom, &gt; 0 (default 1.0)
 * @param scaleMax upper bound of the random zoom, &gt;= scaleMin (default 1.0)
 * @param brightness brightness jitter: factor uniform in [1-b, 1+b], b in [0, 1] (default 0.0)
 * @param contrast contrast jitter: factor uniform in [1-c, 1+c], c in [0, 1] (default 0.0)
 * @param crop random resized crop (default: off)
 * @param resize how the input maps onto the output when no crop is drawn: {@code stretch} or
 *     {@code letterbox} (keep the aspect ratio, pad) (default {@code stretch})
 * @param outputSize output side length; 0 = the input size (default 0)
 * @param padMode what is sampled outside the source image: {@code edge}, {@code constant}
 *     ({@code pad_value}) or {@code reflect} (default {@code edge})
 * @param padValue grey level in [0, 1] for {@code pad_mode: constant} (default 1.0, white)
 * @param advanced the ops added by {@code policy: advanced}
 * @param randAugment the RandAugment / TrivialAugment settings
 * @param erasing random erasing / cutout (default: off)
 * @param hardAugmentation the hard-augmentation probability ramp (default: off)
 * @param mixup Mixup (default: off)
 * @param cutmix CutMix (default: off)
 * @param flipMode {@code random} (each image flipped with probability {@code hflip}) or {@code alternate}
 *     (airbench's alternating flip: each image's flip is chosen once and inverted every epoch, so every
 *     image is seen flipped in exactly one of any two consecutive epochs; {@code hflip} is then unused)
 *     (default {@code random})
 * @param translate random whole-pixel translation of up to this many pixels in x and y, with reflect
 *     padding (the small-image recipes' crop), in [0, 16]; 0 = off (default 0)
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
        double contrast,
        Crop crop,
        String resize,
        int outputSize,
        String padMode,
        double padValue,
        Advanced advanced,
        RandAugment randAugment,
        Erasing erasing,
        HardAugmentation hardAugmentation,
        Mixup mixup,
        Cutmix cutmix,
        String flipMode,
        int translate) {

    public AugmentConfig {
        Checks.oneOf("policy", policy, "none", "basic", "advanced", "randaugment", "trivialaugment");
        Checks.probability("hflip", hflip);
        Checks.probability("vflip", vflip);
        Checks.probability("rot90", rot90);
        Checks.closed("rotate_degrees", rotateDegrees, 0.0, 180.0);
        Checks.positive("scale_min", scaleMin);
        Checks.finite("scale_max", scaleMax);
        if (!(scaleMax >= scaleMin)) throw Checks.fail("scale_max", scaleMax, ">= scale_min (" + scaleMin + ")");
        Checks.probability("brightness", brightness);
        Checks.probability("contrast", contrast);
        Checks.oneOf("resize", resize, "stretch", "letterbox");
        Checks.between("output_size", outputSize, 0, 8192);
        Checks.oneOf("pad_mode", padMode, "edge", "constant", "reflect");
        Checks.probability("pad_value", padValue);
        if (flipMode == null) flipMode = "random";
        Checks.oneOf("flip_mode", flipMode, "random", "alternate");
        Checks.between("translate", translate, 0, 16);
        if (crop == null) crop = Crop.defaults();
        if (advanced == null) advanced = Advanced.defaults();
        if (randAugment == null) randAugment = RandAugment.defaults();
        if (erasing == null) erasing = Erasing.defaults();
        if (hardAugmentation == null) hardAugmentation = HardAugmentation.defaults();
        if (mixup == null) mixup = Mixup.defaults();
        if (cutmix == null) cutmix = Cutmix.defaults();
    }

    /** The form without {@code flip_mode} and {@code translate} (random flips, no translation). */
    public AugmentConfig(String policy, double hflip, double vflip, double rot90, double rotateDegrees, double scaleMin,
                         double scaleMax, double brightness, double contrast, Crop crop, String resize, int outputSize,
                         String padMode, double padValue, Advanced advanced, RandAugment randAugment, Erasing erasing,
                         HardAugmentation hardAugmentation, Mixup mixup, Cutmix cutmix) {
        this(policy, hflip, vflip, rot90, rotateDegrees, scaleMin, scaleMax, brightness, contrast, crop, resize,
                outputSize, padMode, padValue, advanced, randAugment, erasing, hardAugmentation, mixup, cutmix, "random", 0);
    }

    /** @return the section with every field at its default */
    public static AugmentConfig defaults() {
        return new AugmentConfig("basic", 0.5, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0,
                null, "stretch", 0, "edge", 1.0, null, null, null, null, null, null, "random", 0);
    }

    /** True for {@code flip_mode: alternate}. */
    public boolean alternateFlip() {
        return "alternate".equals(flipMode);
    }

    /** @return whether Mixup or CutMix is enabled */
    public boolean mixes() {
        return mixup.enabled() || cutmix.enabled();
    }

    /**
     * {@code crop:} random resized crop: a region of {@code scale} of the image area and
     * {@code ratio} (width/height) aspect, drawn log-uniformly, is resized to the output.
     *
     * @param prob probability per sample, in [0, 1] (default 0.0)
     * @param scaleMin smallest area fraction, in (0, 1] (default 0.08)
     * @param scaleMax largest area fraction, in [scale_min, 1] (default 1.0)
     * @param ratioMin smallest aspect ratio, &gt; 0 (default 0.75)
     * @param ratioMax largest aspect ratio, &gt;= ratio_min (default 1.3333)
     */
    public record Crop(double prob, double scaleMin, double scaleMax, double ratioMin, double ratioMax) {
        public Crop {
            Checks.probability("prob", prob);
            Checks.closed("scale_min", scaleMin, 1e-6, 1.0);
            Checks.closed("scale_max", scaleMax, scaleMin, 1.0);
            Checks.positive("ratio_min", ratioMin);
            Checks.finite("ratio_max", ratioMax);
            if (!(ratioMax >= ratioMin)) throw Checks.fail("ratio_max", ratioMax, ">= ratio_min (" + ratioMin + ")");
        }

        /** @return the defaults (off) */
        public static Crop defaults() {
            return new Crop(0.0, 0.08, 1.0, 0.75, 4.0 / 3.0);
        }
    }

    /**
     * {@code advanced:} ops added by {@code policy: advanced} (ignored by other policies).
     * Each strength is drawn uniformly per sample up to the given maximum.
     *
     * @param affineProb probability of shear + translate, in [0, 1] (default 0.5)
     * @param shearDegrees maximum shear angle, in [0, 60] (default 10)
     * @param translate maximum shift as a fraction of the side, in [0, 1] (default 0.1)
     * @param perspectiveProb probability of a perspective warp, in [0, 1] (default 0.3)
     * @param perspective corner displacement as a fraction of the half side, in [0, 1] (default 0.2)
     * @param colorProb probability of the colour ops (saturation, hue, gamma, sharpness), in [0, 1]
     *     (default 0.8)
     * @param saturation saturation factor in [1-s, 1+s], s in [0, 1] (default 0.3)
     * @param hue hue shift in [-h, h] turns, h in [0, 0.5] (default 0.05)
     * @param gamma gamma in [1/(1+g), 1+g], g &gt;= 0 (default 0.2)
     * @param sharpness sharpness factor in [1-s, 1+s], s in [0, 1] (default 0.5)
     * @param grayscale probability of turning grey, in [0, 1] (default 0.1)
     * @param blurProb probability of a gaussian blur, in [0, 1] (default 0.2)
     * @param blurSigmaMin smallest blur sigma in pixels, &gt; 0 (default 0.1)
     * @param blurSigmaMax largest blur sigma in pixels, in [blur_sigma_min, 10] (default 1.5)
     * @param motionBlurProb probability of a motion blur, in [0, 1] (default 0.1)
     * @param motionBlurSize largest motion-blur length in pixels, odd, in [3, 31] (default 7)
     * @param noiseProb probability of gaussian noise, in [0, 1] (default 0.2)
     * @param noiseStd largest noise standard deviation (pixel range 1), in [0, 1] (default 0.05)
     * @param jpegProb probability of JPEG-like quality loss, in [0, 1] (default 0.2)
     * @param jpegQualityMin lowest JPEG quality, in [1, 100] (default 30)
     * @param jpegQualityMax highest JPEG quality, in [jpeg_quality_min, 100] (default 90)
     */
    public record Advanced(
            double affineProb,
            double shearDegrees,
            double translate,
            double perspectiveProb,
            double perspective,
            double colorProb,
            double saturation,
            double hue,
            double gamma,
            double sharpness,
            double grayscale,
            double blurProb,
            double blurSigmaMin,
            double blurSigmaMax,
            double motionBlurProb,
            int motionBlurSize,
            double noiseProb,
            double noiseStd,
            double jpegProb,
            int jpegQualityMin,
            int jpegQualityMax) {
        public Advanced {
            Checks.probability("affine_prob", affineProb);
            Checks.closed("shear_degrees", shearDegrees, 0.0, 60.0);
            Checks.probability("translate", translate);
            Checks.probability("perspective_prob", perspectiveProb);
            Checks.probability("perspective", perspective);
            Checks.probability("color_prob", colorProb);
            Checks.probability("saturation", saturation);
            Checks.closed("hue", hue, 0.0, 0.5);
            Checks.closed("gamma", gamma, 0.0, 10.0);
            Checks.probability("sharpness", sharpness);
            Checks.probability("grayscale", grayscale);
            Checks.probability("blur_prob", blurProb);
            Checks.positive("blur_sigma_min", blurSigmaMin);
            Checks.closed("blur_sigma_max", blurSigmaMax, blurSigmaMin, 10.0);
            Checks.probability("motion_blur_prob", motionBlurProb);
            Checks.between("motion_blur_size", motionBlurSize, 3, 31);
            if (motionBlurSize % 2 == 0) throw Checks.fail("motion_blur_size", motionBlurSize, "an odd number");
            Checks.probability("noise_prob", noiseProb);
            Checks.probability("noise_std", noiseStd);
            Checks.probability("jpeg_prob", jpegProb);
            Checks.between("jpeg_quality_min", jpegQualityMin, 1, 100);
            Checks.between("jpeg_quality_max", jpegQualityMax, jpegQualityMin, 100);
        }

        /** @return the defaults of {@code policy: advanced} */
        public static Advanced defaults() {
            return new Advanced(0.5, 10.0, 0.1, 0.3, 0.2, 0.8, 0.3, 0.05, 0.2, 0.5, 0.1,
                    0.2, 0.1, 1.5, 0.1, 7, 0.2, 0.05, 0.2, 30, 90);
        }
    }

    /**
     * {@code rand_augment:} for {@code policy: randaugment} ({@code num_ops} ops per sample at
     * magnitude {@code magnitude}, each with a random sign) and {@code policy: trivialaugment}
     * (one op per sample at a magnitude uniform in [0, magnitude]). Ops: identity, rotate,
     * shear_x, shear_y, translate_x, translate_y, perspective, brightness, contrast, saturation,
     * hue, gamma, sharpness, grayscale, blur, motion_blur, noise, jpeg.
     *
     * @param numOps ops per sample, in [1, 10] (default 2)
     * @param magnitude strength on timm's 0..10 scale, in [0, 10] (default 9.0)
     */
    public record RandAugment(int numOps, double magnitude) {
        public RandAugment {
            Checks.between("num_ops", numOps, 1, 10);
            Checks.closed("magnitude", magnitude, 0.0, 10.0);
        }

        /** @return the defaults (rand-m9-n2) */
        public static RandAugment defaults() {
            return new RandAugment(2, 9.0);
        }
    }

    /**
     * {@code erasing:} random erasing / cutout of 1..max_count rectangles per erased sample.
     *
     * @param prob probability per sample, in [0, 1] (default 0.0)
     * @param maxCount most rectangles per sample, in [1, 16] (default 1)
     * @param areaMin smallest area fraction per rectangle, in (0, 1] (default 0.02)
     * @param areaMax largest area fraction, in [area_min, 1] (default 0.33)
     * @param aspectMin smallest aspect ratio (height/width), &gt; 0 (default 0.3)
     * @param aspectMax largest aspect ratio, &gt;= aspect_min (default 3.3)
     * @param fill {@code random} (uniform noise per pixel) or {@code constant} (default random)
     * @param value grey level in [0, 1] for {@code fill: constant} (default 0.5)
     */
    public record Erasing(double prob, int maxCount, double areaMin, double areaMax, double aspectMin,
                          double aspectMax, String fill, double value) {
        public Erasing {
            Checks.probability("prob", prob);
            Checks.between("max_count", maxCount, 1, 16);
            Checks.closed("area_min", areaMin, 1e-6, 1.0);
            Checks.closed("area_max", areaMax, areaMin, 1.0);
            Checks.positive("aspect_min", aspectMin);
            Checks.finite("aspect_max", aspectMax);
            if (!(aspectMax >= aspectMin)) throw Checks.fail("aspect_max", aspectMax, ">= aspect_min (" + aspectMin + ")");
            Checks.oneOf("fill", fill, "random", "constant");
            Checks.probability("value", value);
        }

        /** @return the defaults (off) */
        public static Erasing defaults() {
            return new Erasing(0.0, 1, 0.02, 0.33, 0.3, 3.3, "random", 0.5);
        }
    }

    /**
     * {@code hard_augmentation:} when enabled, the extra ops of the policy (advanced or
     * RandAugment ops, and erasing) are applied to a sample with probability p(epoch), ramping
     * from {@code initial_prob} at the first epoch to {@code final_prob} at the last.
     *
     * @param enabled whether the ramp gates the extra ops (default false: they always run)
     * @param initialProb p at epoch 0, in [0, 1] (default 0.1)
     * @param finalProb p at the last epoch, in [0, 1] (default 0.8)
     * @param progression {@code linear} or {@code cosine} (default linear)
     */
    public record HardAugmentation(boolean enabled, double initialProb, double finalProb, String progression) {
        public HardAugmentation {
            Checks.probability("initial_prob", initialProb);
            Checks.probability("final_prob", finalProb);
            Checks.oneOf("progression", progression, "linear", "cosine");
        }

        /** @return the defaults (off) */
        public static HardAugmentation defaults() {
            return new HardAugmentation(false, 0.1, 0.8, "linear");
        }

        /**
         * @param epoch 0-based epoch
         * @param totalEpochs number of epochs, &gt;= 1
         * @return the gate probability at {@code epoch} (1 when disabled)
         */
        public double probAt(int epoch, int totalEpochs) {
            if (!enabled) return 1.0;
            double t = totalEpochs <= 1 ? 0.0 : Math.min(1.0, Math.max(0.0, epoch / (double) (totalEpochs - 1)));
            if ("cosine".equals(progression)) t = (1 - Math.cos(Math.PI * t)) / 2;
            return initialProb + (finalProb - initialProb) * t;
        }
    }

    /**
     * {@code mixup:} blends a sample with a partner from the batch, weight lambda ~ Beta(alpha, alpha).
     *
     * @param enabled whether Mixup is on (default false)
     * @param alpha Beta distribution parameter, &gt; 0 (default 0.2)
     * @param prob probability that a sample is mixed, in [0, 1] (default 0.5)
     * @param switchProb when CutMix is enabled too: probability of CutMix instead of Mixup for a
     *     sample, in [0, 1] (default 0.5)
     */
    public record Mixup(boolean enabled, double alpha, double prob, double switchProb) {
        public Mixup {
            Checks.positive("alpha", alpha);
            Checks.probability("prob", prob);
            Checks.probability("switch_prob", switchProb);
        }

        /** @return the defaults (off) */
        public static Mixup defaults() {
            return new Mixup(false, 0.2, 0.5, 0.5);
        }
    }

    /**
     * {@code cutmix:} pastes a box of a partner sample; the target weight of the partner is the
     * pasted area fraction.
     *
     * @param enabled whether CutMix is on (default false)
     * @param alpha Beta distribution parameter for the kept fraction, &gt; 0 (default 1.0)
     * @param prob probability that a sample gets a box, in [0, 1] (default 0.5)
     */
    public record Cutmix(boolean enabled, double alpha, double prob) {
        public Cutmix {
            Checks.positive("alpha", alpha);
            Checks.probability("prob", prob);
        }

        /** @return the defaults (off) */
        public static Cutmix defaults() {
            return new Cutmix(false, 1.0, 0.5);
        }
    }
}
