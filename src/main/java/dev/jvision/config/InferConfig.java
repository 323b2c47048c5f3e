package dev.jvision.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code infer:} section: prediction on the test set.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor and {@code ttaViews} is
 * copied into an unmodifiable list.
 *
 * @param batchSize inference batch size, &gt;= 1 (default 64)
 * @param saveProbs also write per-class probabilities (default false)
 * @param tta test-time augmentation (default false)
 * @param ttaViews the TTA views in order (see {@code dev.jvision.augment.Tta}; the small-image recipes use
 *                 flips and 1-pixel shifts: identity, hflip, left1+up1, right1+down1, ...); default: the eight
 *                 dihedral views (identity, hflip, vflip, rot90, rot180, rot270, transpose,
 *                 rot90+vflip) then scale0.9, scale1.1
 * @param ttaNumAugments how many of {@code ttaViews} to use, from the front; 0 = all (default 0)
 * @param useCalibration divide logits by the temperature fitted on out-of-fold logits (default false)
 * @param confidenceThreshold list test IDs whose top probability is below this in
 *                            low_confidence.csv; 0 = off, in [0, 1] (default 0)
 */
public record InferConfig(int batchSize, boolean saveProbs, boolean tta, List<String> ttaViews, int ttaNumAugments,
                          boolean useCalibration, double confidenceThreshold) {
    private static final String STEP = "identity|none|hflip|vflip|rot90|rot180|rot270|transpose|scale[0-9]*\\.?[0-9]+"
            + "|(right|left|down|up)[1-8]";
    private static final Pattern VIEW = Pattern.compile("(" + STEP + ")(\\+(" + STEP + "))*");

    /** The default TTA views (kept in step with {@code dev.jvision.augment.Tta.DEFAULT_VIEWS}). */
    public static final List<String> DEFAULT_TTA_VIEWS = List.of("identity", "hflip", "vflip", "rot90", "rot180",
            "rot270", "transpose", "rot90+vflip", "scale0.9", "scale1.1");

    public InferConfig {
        Checks.atLeast("batch_size", batchSize, 1);
        if (ttaViews == null || ttaViews.isEmpty()) {
            throw Checks.fail("tta_views", ttaViews, "a non-empty list of views, e.g. [identity, hflip, rot90]");
        }
        for (int i = 0; i < ttaViews.size(); i++) {
            Checks.matches("tta_views[" + i + "]", ttaViews.get(i), VIEW,
                    "identity, hflip, vflip, rot90, rot180, rot270, transpose, scaleF or right/left/down/upN (N in 1..8), "
                            + "joined with +");
        }
        ttaViews = List.copyOf(ttaViews);
        Checks.between("tta_num_augments", ttaNumAugments, 0, ttaViews.size());
        Checks.probability("confidence_threshold", confidenceThreshold);
    }

    /** The first three settings, the others at their defaults. */
    public InferConfig(int batchSize, boolean saveProbs, boolean tta) {
        this(batchSize, saveProbs, tta, DEFAULT_TTA_VIEWS, 0, false, 0.0);
    }

    /** @return the section with every field at its default */
    public static InferConfig defaults() {
        return new InferConfig(64, false, false, DEFAULT_TTA_VIEWS, 0, false, 0.0);
    }

    /** The views in use: the first {@code ttaNumAugments} of {@code ttaViews} (all when 0). */
    public List<String> activeViews() {
        return ttaNumAugments == 0 ? ttaViews : ttaViews.subList(0, ttaNumAugments);
    }
}
