package dev.jvision.augment;

/**
 * The augmentation ops, as recorded per sample in the drawn parameters (a bit per op) and as
 * drawn from by the RandAugment/TrivialAugment policies ({@link #RAND_POOL}). Immutable.
 */
public enum AugmentOp {
    HFLIP, VFLIP, ROT90, ROTATE, SCALE, CROP, SHEAR, TRANSLATE, PERSPECTIVE,
    BRIGHTNESS, CONTRAST, SATURATION, HUE, GAMMA, SHARPNESS, GRAYSCALE,
    BLUR, MOTION_BLUR, NOISE, JPEG, ERASE, MIXUP, CUTMIX,
    /** the sample passed the hard-augmentation gate (the policy's extra ops could run) */
    HARD,
    IDENTITY, SHEAR_X, SHEAR_Y, TRANSLATE_X, TRANSLATE_Y;

    /** The ops RandAugment and TrivialAugment draw from. */
    static final AugmentOp[] RAND_POOL = {IDENTITY, ROTATE, SHEAR_X, SHEAR_Y, TRANSLATE_X, TRANSLATE_Y, PERSPECTIVE,
        BRIGHTNESS, CONTRAST, SATURATION, HUE, GAMMA, SHARPNESS, GRAYSCALE, BLUR, MOTION_BLUR, NOISE, JPEG};

    /** @return this op's bit in a per-sample op mask */
    public long bit() {
        return 1L << ordinal();
    }
}
