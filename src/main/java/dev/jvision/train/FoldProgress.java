package dev.jvision.train;

import java.util.List;

/**
 * Where a fold's training stands, saved as JSON in the metadata of {@code fold<k>/last.safetensors}
 * beside the tensors (model, optimiser, EMA, loss scale, RNG): everything needed to continue to
 * the same result. Immutable.
 *
 * @param fold           fold index
 * @param model          architecture
 * @param epoch          0-based epoch in progress (or the next one when {@code batch == 0})
 * @param batch          batches of {@code epoch} already consumed
 * @param completedEpochs epochs fully trained and validated
 * @param optimizerSteps optimiser steps taken (the schedule's step)
 * @param lossSum        sum of per-sample losses in {@code epoch} so far
 * @param images         images trained in {@code epoch} so far
 * @param skippedSteps   fp16 steps skipped so far in this fold
 * @param emaUpdates     EMA updates so far
 * @param best           best monitored value so far (NaN before the first validation)
 * @param bestEpoch      its 1-based epoch (-1 before)
 * @param bestF1         val macro-F1 at the best epoch
 * @param bestAcc        val accuracy at the best epoch
 * @param bestLoss       val loss at the best epoch
 * @param sinceBest      validations since the last improvement
 * @param topK           retained top-k epochs with their monitored values
 * @param schedule       learning-rate schedule state
 * @param stopped        early stopping ended the fold
 */
public record FoldProgress(int fold, String model, int epoch, int batch, int completedEpochs, long optimizerSteps,
                           double lossSum, long images, long skippedSteps, long emaUpdates, double best, int bestEpoch,
                           double bestF1, double bestAcc, double bestLoss, int sinceBest, List<TopK.Entry> topK,
                           double[] schedule, boolean stopped) {
    /** The state before the first step. */
    public static FoldProgress start(int fold, String model) {
        return new FoldProgress(fold, model, 0, 0, 0, 0, 0, 0, 0, 0, Double.NaN, -1, -1, 0, 0, 0, List.of(),
                new double[0], false);
    }
}
