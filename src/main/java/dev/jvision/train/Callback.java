package dev.jvision.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A hook into a {@link Trainer} fit that can see and act on it through its {@link FitContext}
 * (model, task, epoch and step, latest metrics, {@link FitContext#requestStop}). Every side
 * effect of a fit is a callback: checkpoints (best / top-k / last, resumable), early stopping,
 * tune pruning, {@code metrics.csv}, TensorBoard, progress bars and log lines
 * ({@code dev.jvision.train.listeners}); a user adds one with {@link Trainer.Builder#callback}.
 * Every method has an empty default.
 *
 * <p>Numbering, the same in every event: epochs are 1-based (the epoch in progress, or just
 * ended); {@code batch} counts the batches of that epoch trained so far; {@code step} counts the
 * optimiser steps of the fit.
 *
 * <p>Order in one fit: {@link #onFitStart}, then per epoch {@link #onEpochStart}, per batch
 * {@link #onStepStart} / {@link #onStepEnd}, then {@link #onValidation} (the trainer's own
 * callbacks first: checkpoints of the epoch, then early stopping), {@link #onEpochEnd};
 * {@link #onCheckpoint} after each file written; {@link #onFitEnd} when the fit returns. Calls
 * come from the training thread, one at a time, in the order callbacks were added; event records
 * are immutable (arrays are shared: do not modify them). A callback that throws ends the fit;
 * one that calls {@code requestStop()} ends it after the current step (the epoch is then validated
 * as a partial one) or, from {@link #onValidation} / {@link #onEpochEnd}, after the epoch.
 * Implementations are called from one thread and need not be thread-safe.
 */
public interface Callback {
    /** A fit begins (or resumes: {@link FitContext#resumed()}). */
    default void onFitStart(FitContext fit) throws IOException {}

    /** Epoch {@code fit.epoch()} begins at batch {@code fit.batch()} (0 unless resuming inside it). */
    default void onEpochStart(FitContext fit) throws IOException {}

    /** Batch {@code fit.batch() + 1} of epoch {@code fit.epoch()} is about to be trained. */
    default void onStepStart(FitContext fit) throws IOException {}

    /** A batch was trained. */
    default void onStepEnd(FitContext fit, Step step) throws IOException {}

    /** The epoch's validation was scored. */
    default void onValidation(FitContext fit, Validation validation) throws IOException {}

    /** The epoch ended: training and validation scores, speed, memory. */
    default void onEpochEnd(FitContext fit, Epoch epoch) throws IOException {}

    /** A checkpoint file was written. */
    default void onCheckpoint(FitContext fit, Checkpoint checkpoint) throws IOException {}

    /** The fit returned {@code result}. */
    default void onFitEnd(FitContext fit, FitResult result) throws IOException {}

    /**
     * One trained batch.
     *
     * @param epoch           1-based epoch
     * @param batch           batches of the epoch trained, this one included (1-based index of this batch)
     * @param step            optimiser steps of the fit so far
     * @param loss            its loss
     * @param meanLoss        mean loss per image over the epoch so far
     * @param lr              learning rate of the last optimiser step
     * @param imagesPerSecond training speed over the epoch so far
     */
    record Step(int epoch, int batch, long step, float loss, double meanLoss, double lr, double imagesPerSecond) {}

    /**
     * Validation scores of one epoch.
     *
     * @param epoch       1-based epoch
     * @param metrics     the task's metrics by name, in its order (classification: {@code val_loss},
     *                    {@code val_f1}, {@code val_acc}, {@code val_top5})
     * @param monitored   the value of the task's monitor
     * @param improved    whether it is a new best (then {@code best.safetensors} is rewritten)
     * @param predictions the task's prediction rows (classification: logits {@code [images][classes]}), in dataset order
     */
    record Validation(int epoch, Map<String, Double> metrics, double monitored, boolean improved,
                      float[][] predictions) {
        public Validation {
            metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
        }

        /** Metric {@code name}, NaN when the task reports no such metric. */
        public double metric(String name) {
            Double v = metrics.get(name);
            return v == null ? Double.NaN : v;
        }

        /** The validation loss ({@code val_loss}), NaN when the task reports none. */
        public double loss() {
            return metric("val_loss");
        }
    }

    /**
     * One finished epoch.
     *
     * @param epoch           1-based epoch
     * @param trainLoss       mean training loss per image
     * @param validation      its validation
     * @param lr              learning rate of the last optimiser step
     * @param imagesPerSecond training speed (images trained in this process / seconds)
     * @param peakMemoryMb    peak device (CUDA) or process memory in MB
     * @param skippedSteps    fp16 steps skipped so far in this fit
     * @param skippedInEpoch  fp16 steps skipped in this epoch
     * @param seconds         the epoch's training time
     * @param stopping        the fit ends after this epoch ({@link FitContext#requestStop})
     * @param imgSize         side of the epoch's training batches ({@code data.img_size} at this epoch)
     */
    record Epoch(int epoch, double trainLoss, Validation validation, double lr, double imagesPerSecond,
                 long peakMemoryMb, long skippedSteps, long skippedInEpoch, double seconds, boolean stopping,
                 int imgSize) {}

    /** A checkpoint written: {@code file} (with its JSON sidecar) of {@code kind} after {@code epoch} (1-based). */
    record Checkpoint(Kind kind, Path file, int epoch) {}

    /** Checkpoint kinds: best weights, one of the top-k weights, the resumable state. */
    enum Kind { BEST, TOP_K, LAST }
}
