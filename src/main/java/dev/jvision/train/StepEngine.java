package dev.jvision.train;

import dev.jvision.config.TrainConfig;
import dev.jvision.nn.Layer;
import dev.jvision.optim.Ema;
import dev.jvision.optim.GradClip;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Autocast;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.train.task.ClassificationTask;
import dev.jvision.train.task.Objective;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * The inner loop of training, without data: forward under autocast, the {@link Objective}'s loss,
 * (scaled) backward accumulated over {@code train.accum_steps} micro-batches, then unscale,
 * skip on overflow, clip by global norm, optimiser step, loss-scale update and EMA update.
 * Holds references to (does not own) the model, optimiser, scaler and EMA; the caller runs
 * each call inside a native scope. Not thread-safe.
 */
public final class StepEngine {
    /** Mixed-precision mode. */
    public enum Amp { OFF, BF16, FP16 }

    private final Layer model;
    private final StepOptimizer optimizer;
    private final LossScaler scaler;
    private final Ema ema;
    private final TrainConfig cfg;
    private final Amp amp;
    private final Device device;
    private final Objective objective;
    private final GradientSync sync;
    private int pending;

    /**
     * An engine minimising the classification loss of {@code cfg} ({@link ClassificationTask#objective}).
     *
     * @param classWeights per-class weights {@code [C]} on the device, or null; retained by the caller
     */
    public StepEngine(Layer model, StepOptimizer optimizer, LossScaler scaler, Ema ema, TrainConfig cfg, Amp amp,
                      Device device, Tensor classWeights) {
        this(model, optimizer, scaler, ema, cfg, amp, device, cfg == null ? null : ClassificationTask.objective(cfg,
                classWeights), null);
    }

    /**
     * An engine minimising {@code objective} (a task session, owned by the caller). With
     * {@code sync} (null: single process) {@link #step} first averages the gradients over the
     * ranks, before unscaling and clipping, so every rank takes the same skip and clipping decision.
     *
     * @param cfg accumulation steps and gradient clipping of {@code train:}
     */
    public StepEngine(Layer model, StepOptimizer optimizer, LossScaler scaler, Ema ema, TrainConfig cfg, Amp amp,
                      Device device, Objective objective, GradientSync sync) {
        this.sync = sync;
        this.model = model;
        this.optimizer = optimizer;
        this.scaler = scaler;
        this.ema = ema;
        this.cfg = cfg;
        this.amp = amp;
        this.device = device;
        this.objective = objective;
    }

    /** Resolves {@code train.amp} for {@code device}: auto is bf16 on CUDA and off elsewhere. */
    public static Amp resolveAmp(TrainConfig.Amp amp, Device device) {
        return switch (amp) {
            case BF16 -> Amp.BF16;
            case FP16 -> Amp.FP16;
            case OFF -> Amp.OFF;
            case AUTO -> device.isCuda() ? Amp.BF16 : Amp.OFF;
        };
    }

    /** The mixed-precision mode in use. */
    public Amp amp() {
        return amp;
    }

    /** The autocast region of this engine's mode; the caller closes it. */
    public Autocast autocast() {
        return switch (amp) {
            case OFF -> Autocast.off();
            case BF16 -> Autocast.bf16(device);
            case FP16 -> Autocast.fp16(device);
        };
    }

    /** Forward pass under autocast (when on); the logits' dtype follows autocast. */
    public Tensor forward(Tensor x) {
        try (Autocast ac = autocast()) {
            return model.forward(x);
        }
    }

    /** The objective's loss of a single-output model's {@code output} against {@code targets} (float32 scalar). */
    public Tensor loss(Tensor output, Tensor targets) {
        return objective.loss(List.of(output), targets);
    }

    /**
     * Forward and backward of one micro-batch, gradients accumulated (divided by
     * {@code accum_steps}). Returns the micro-batch loss.
     *
     * @param targets the collated targets the objective expects (soft targets for classification)
     * @throws IllegalStateException when the loss is not finite and no loss scaler can skip it
     */
    public float accumulate(Tensor x, Tensor targets) {
        List<Tensor> outputs;
        try (Autocast ac = autocast()) {
            outputs = objective.forward(model, x);
        }
        Tensor loss = objective.loss(outputs, targets);
        Tensor scaled = cfg.batch().accumSteps() > 1 ? loss.div(new Scalar((double) cfg.batch().accumSteps())) : loss;
        if (sync != null && pending + 1 >= cfg.batch().accumSteps()) {
            sync.beforeLastBackward(optimizer.parameters());
        }
        scaler.scale(scaled).backward();
        pending++;
        float v = loss.item_float();
        if (!Float.isFinite(v) && !scaler.enabled()) {
            throw new IllegalStateException("training loss became " + v + " (try a lower train.lr, now " + cfg.optimizer().lr()
                    + ", or train.amp: off)");
        }
        return v;
    }

    /** True when {@code accum_steps} micro-batches are pending. */
    public boolean readyToStep() {
        return pending >= cfg.batch().accumSteps();
    }

    /**
     * Applies the accumulated gradients with base learning rate {@code lr} and clears them.
     * Returns false when the step was skipped (non-finite gradients under fp16).
     */
    public boolean step(double lr) {
        List<Tensor> params = optimizer.parameters();
        if (sync != null) {
            sync.averageGradients(params);
        }
        boolean skip = scaler.unscale(params);
        if (!skip) {
            if (cfg.optimizer().gradClip() > 0) {
                GradClip.clipGlobalNorm(params, cfg.optimizer().gradClip());
            }
            optimizer.step(lr);
            if (ema != null) {
                ema.update();
            }
        }
        scaler.update();
        optimizer.zeroGrad();
        pending = 0;
        return !skip;
    }
}
