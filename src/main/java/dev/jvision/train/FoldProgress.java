package dev.jvision.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Where a fit stands, saved as JSON in the metadata of {@code last.safetensors} (and in its
 * {@code last.json} sidecar) beside the tensors (model, optimiser, EMA, loss scale, RNG):
 * everything needed to continue to the same result. Immutable.
 *
 * @param fold           fold index
 * @param model          architecture
 * @param epoch          0-based epoch in progress (or the next one when {@code batch == 0}); also the number
 *                       of epochs fully trained and validated
 * @param batch          batches of {@code epoch} already consumed
 * @param optimizerSteps optimiser steps taken (the schedule's step)
 * @param sums           training loss sums of {@code epoch} so far
 * @param best           the best epoch's validation scores
 * @param monitor        early stopping and top-k state
 * @param components     state of the optimiser-side components that is not a tensor
 * @param trainNanos     training wall time spent so far against {@code train.max_time}, in nanoseconds; 0
 *                       (and absent from the JSON) without a budget, so files stay deterministic
 */
public record FoldProgress(int fold, String model, int epoch, int batch, long optimizerSteps, EpochSums sums,
                           BestEpoch best, Monitor monitor, Components components,
                           @JsonInclude(JsonInclude.Include.NON_DEFAULT) long trainNanos) {
    /**
     * Per-image loss sum and image count of the epoch in progress.
     *
     * @param loss   sum of per-sample losses
     * @param images images trained
     */
    public record EpochSums(double loss, long images) {
        /** Nothing trained yet. */
        public static final EpochSums NONE = new EpochSums(0, 0);
    }

    /**
     * The monitored metric's history.
     *
     * @param best      best monitored value so far (NaN before the first validation)
     * @param sinceBest validations since the last improvement
     * @param topK      retained top-k epochs with their monitored values
     * @param stopped   early stopping ended the fit
     */
    public record Monitor(double best, int sinceBest, List<TopK.Entry> topK, boolean stopped) {
        public Monitor {
            topK = List.copyOf(topK);
        }
    }

    /**
     * Counters and schedule state.
     *
     * @param skippedSteps fp16 steps skipped so far
     * @param emaUpdates   EMA updates so far
     * @param schedule     learning-rate schedule state
     */
    public record Components(long skippedSteps, long emaUpdates, double[] schedule) {}

    /** The state before the first step. */
    public static FoldProgress start(int fold, String model) {
        return new FoldProgress(fold, model, 0, 0, 0, EpochSums.NONE, BestEpoch.NONE,
                new Monitor(Double.NaN, 0, List.of(), false), new Components(0, 0, new double[0]), 0);
    }
}
