package dev.jvision.train;

import java.nio.file.Path;

/**
 * What one {@link Trainer} fit produced. Immutable by convention (the logits array is not
 * copied).
 *
 * @param fold           the fold index given to the trainer (0 by default)
 * @param model          architecture name
 * @param best           the best epoch's validation scores (by {@code train.monitor})
 * @param bestLogits     validation logits at the best epoch, {@code [images][classes]} in dataset order;
 *                       null when no epoch was validated
 * @param bestCheckpoint {@code best.safetensors} of the checkpoint folder, or null without one
 * @param seconds        wall time of the fit
 */
public record FitResult(int fold, String model, BestEpoch best, float[][] bestLogits, Path bestCheckpoint,
                        double seconds) {}
