package dev.jvision.train;

import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.train.task.Task;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link Callback} sees of a running fit, and how it acts on it: the model and task, the
 * fit's shape, where the loop stands (epoch, batch and step, one numbering: see
 * {@link Callback}), the latest validation and the best epoch so far, and
 * {@link #requestStop(String)}. Created by the trainer for one fit; the model is the trainer's
 * (callbacks must not close it or change its parameters). Not thread-safe: read and call it from
 * the callback methods (the training thread) only.
 */
public final class FitContext {
    private final FitLoop loop;
    private final int fold;
    private final String modelName;
    private final ImageModel model;
    private final Task task;
    private final Device device;
    private final int trainSize;
    private final int valSize;
    private final int epochs;
    private final EpochPlan plan;
    private final String setup;
    private final int startEpoch;
    private final int startBatch;
    private final List<Callback> callbacks;
    int epoch;
    int batch;
    long step;
    double lr;
    Callback.Validation validation;
    BestEpoch best = BestEpoch.NONE;
    int sinceBest;
    private String stopReason;

    FitContext(FitLoop loop, int fold, String modelName, ImageModel model, Task task, Device device, int trainSize,
               int valSize, int epochs, EpochPlan plan, String setup, int startEpoch, int startBatch,
               List<Callback> callbacks) {
        this.loop = loop;
        this.fold = fold;
        this.modelName = modelName;
        this.model = model;
        this.task = task;
        this.device = device;
        this.trainSize = trainSize;
        this.valSize = valSize;
        this.epochs = epochs;
        this.plan = plan;
        this.setup = setup;
        this.startEpoch = startEpoch;
        this.startBatch = startBatch;
        this.callbacks = callbacks;
        this.epoch = startEpoch;
        this.batch = startBatch;
    }

    /** The fold index (0 outside cross-validation). */
    public int fold() {
        return fold;
    }

    /** The architecture name. */
    public String modelName() {
        return modelName;
    }

    /** The model being trained (owned by the trainer's caller). */
    public ImageModel model() {
        return model;
    }

    /** What the model learns. */
    public Task task() {
        return task;
    }

    /** Where it trains. */
    public Device device() {
        return device;
    }

    /** Training items. */
    public int trainSize() {
        return trainSize;
    }

    /** Validation items. */
    public int valSize() {
        return valSize;
    }

    /** Epochs of the fit. */
    public int epochs() {
        return epochs;
    }

    /** Size, batch size, batches and steps of every epoch. */
    public EpochPlan plan() {
        return plan;
    }

    /** Training batches of 1-based {@code epoch} (per rank). */
    public int batchesAt(int epoch) {
        return plan.batches(Math.min(Math.max(epoch, 1), plan.epochs()) - 1);
    }

    /** Optimiser steps of 1-based {@code epoch}. */
    public long stepsAt(int epoch) {
        return plan.steps(Math.min(Math.max(epoch, 1), plan.epochs()) - 1);
    }

    /** Precision and optimiser, e.g. {@code "amp off, adamw (fused)"}. */
    public String setup() {
        return setup;
    }

    /** The 1-based epoch the fit started at (past 1 when resuming). */
    public int startEpoch() {
        return startEpoch;
    }

    /** Batches of {@link #startEpoch()} already trained when the fit started (past 0 when resuming inside it). */
    public int startBatch() {
        return startBatch;
    }

    /** True when the fit continues from a checkpoint. */
    public boolean resumed() {
        return startEpoch > 1 || startBatch > 0;
    }

    /** The 1-based epoch in progress (or just ended, in {@link Callback#onValidation} and {@link Callback#onEpochEnd}). */
    public int epoch() {
        return epoch;
    }

    /** Batches of {@link #epoch()} trained so far. */
    public int batch() {
        return batch;
    }

    /** Optimiser steps of the fit so far. */
    public long step() {
        return step;
    }

    /** The learning rate of the last optimiser step. */
    public double lr() {
        return lr;
    }

    /** The latest validation, or null before the first one of this run. */
    public Callback.Validation validation() {
        return validation;
    }

    /** The best epoch so far by the task's monitor ({@link BestEpoch#NONE} before one). */
    public BestEpoch best() {
        return best;
    }

    /** Validations since the monitor last improved. */
    public int sinceBest() {
        return sinceBest;
    }

    /**
     * Asks the loop to end the fit: after the current batch when called during an epoch (the
     * partial epoch is validated and checkpointed), after this epoch when called from
     * {@link Callback#onValidation} or {@link Callback#onEpochEnd}. Recorded in the resumable
     * checkpoint: a resumed fit that was stopped stays stopped. The first reason is kept.
     */
    public void requestStop(String reason) {
        if (stopReason == null) {
            stopReason = Objects.requireNonNull(reason, "reason");
        }
    }

    /** True once a stop was requested (or restored from a stopped fit's checkpoint). */
    public boolean stopRequested() {
        return stopReason != null;
    }

    /** Why the fit stops, or null. */
    public String stopReason() {
        return stopReason;
    }

    /** The loop, for the trainer's own callbacks (checkpoints). */
    FitLoop loop() {
        return loop;
    }

    /** Reports a written checkpoint to every callback. */
    void emit(Callback.Checkpoint c) throws IOException {
        for (Callback cb : callbacks) {
            cb.onCheckpoint(this, c);
        }
    }
}
