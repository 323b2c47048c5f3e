package dev.jvision.train;

import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Hooks into a {@link Trainer} fit: every method has an empty default, so a listener overrides
 * only what it needs. Metrics CSV, TensorBoard, progress bars and logging are listeners
 * ({@code dev.jvision.train.listeners}); user code can add its own (early exits are not
 * supported: throw to abort a fit).
 *
 * <p>Order in one fit: {@link #onFitStart}, then per epoch {@link #onEpochStart}, per batch
 * {@link #onStepStart} / {@link #onStepEnd}, then {@link #onValidation}, {@link #onEpochEnd};
 * {@link #onCheckpoint} after each file written; {@link #onFitEnd} when the fit returns. Calls
 * come from the training thread, one at a time, in the order listeners were added; event
 * records are immutable (arrays are shared: do not modify them). An exception thrown by a
 * listener ends the fit.
 */
public interface TrainListener {
    /** A fit begins (or resumes: {@code fit.startEpoch()}/{@code startBatch()} are then past 0). */
    default void onFitStart(Fit fit) throws IOException {}

    /** Epoch {@code epoch} (0-based) begins at batch {@code firstBatch} (0 unless resuming inside it). */
    default void onEpochStart(Fit fit, int epoch, int firstBatch) throws IOException {}

    /** Batch {@code batch} (0-based) of epoch {@code epoch} is about to be trained. */
    default void onStepStart(Fit fit, int epoch, int batch) throws IOException {}

    /** A batch was trained. */
    default void onStepEnd(Fit fit, Step step) throws IOException {}

    /** The epoch's validation was scored (before checkpoints of the epoch are written). */
    default void onValidation(Fit fit, Validation validation) throws IOException {}

    /** The epoch ended: training and validation scores, speed, memory. */
    default void onEpochEnd(Fit fit, Epoch epoch) throws IOException {}

    /** A checkpoint file was written. */
    default void onCheckpoint(Fit fit, Checkpoint checkpoint) throws IOException {}

    /** The fit returned {@code result}. */
    default void onFitEnd(Fit fit, FitResult result) throws IOException {}

    /**
     * What is being trained.
     *
     * @param fold           the fold index (0 outside cross-validation)
     * @param model          architecture name
     * @param trainSize      training images
     * @param valSize        validation images
     * @param epochs         epochs of the fit
     * @param batchesPerEpoch training batches per epoch
     * @param stepsPerEpoch  optimiser steps per epoch
     * @param device         where it trains
     * @param setup          precision and optimiser, e.g. {@code "amp off, adamw (fused)"}
     * @param startEpoch     first epoch trained (past 0 when resuming)
     * @param startBatch     first batch of that epoch (past 0 when resuming inside it)
     * @param plan           size, batch size, batches and steps of every epoch (with a progressive-resize
     *                       schedule they change by stage; {@code batchesPerEpoch} and {@code stepsPerEpoch}
     *                       are those of the first epoch trained); null: every epoch as the first
     */
    record Fit(int fold, String model, int trainSize, int valSize, int epochs, int batchesPerEpoch,
               long stepsPerEpoch, Device device, String setup, int startEpoch, int startBatch, EpochPlan plan) {
        /** Training batches of 0-based {@code epoch}. */
        public int batchesAt(int epoch) {
            return plan == null || epoch >= plan.epochs() ? batchesPerEpoch : plan.batches(epoch);
        }

        /** True when the fit continues from a checkpoint. */
        public boolean resumed() {
            return startEpoch > 0 || startBatch > 0;
        }
    }

    /**
     * One trained batch.
     *
     * @param epoch           0-based epoch
     * @param batch           0-based batch just trained
     * @param loss            its loss
     * @param meanLoss        mean loss per image over the epoch so far
     * @param lr              learning rate of the last optimiser step
     * @param imagesPerSecond training speed over the epoch so far
     */
    record Step(int epoch, int batch, float loss, double meanLoss, double lr, double imagesPerSecond) {}

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
     * @param stopping        early stopping ends the fit after this epoch
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
