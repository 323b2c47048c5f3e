package dev.jvision.train;

import dev.jvision.data.Sample;
import java.nio.file.Path;
import java.util.List;

/**
 * What one fold's training produced: best epoch and its validation scores, the best
 * checkpoint, and the out-of-fold logits of the validation samples at that epoch (for
 * calibration and ensemble scoring). Immutable by convention (arrays are not copied).
 */
public record FoldResult(int fold, int bestEpoch, double bestF1, double bestAcc, double bestLoss, Path checkpoint,
                         List<Sample> validation, float[][] oofLogits, double seconds) {}
