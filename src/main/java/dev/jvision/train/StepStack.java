package dev.jvision.train;

import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.optim.Ema;
import dev.jvision.optim.FusedAdamW;
import dev.jvision.optim.Lookahead;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.LrSchedule;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.DeviceOutOfMemoryException;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.train.task.Objective;
import dev.jvision.track.MemoryStats;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The step stack of one model: optimiser, loss scaler, EMA, learning-rate
 * schedule and the {@link StepEngine} over them, built from {@code train:} by the one factory
 * {@link #build}. A fit, {@code train.auto_batch_size}'s trial steps and {@code jvision memprof}
 * all build their steps here, so they run the same step. Owns the optimiser, scaler and EMA
 * (not the model, nor the objective) and frees them in {@link #close()} (idempotent). Also what a
 * resumable checkpoint holds of them ({@code state()} / {@code load}). Not thread-safe.
 */
public final class StepStack implements AutoCloseable {
    private final ImageModel model;
    private final StepOptimizer optimizer;
    private final LossScaler scaler;
    private final Ema ema;
    private final LrSchedule schedule;
    private final StepEngine engine;
    /** {@code train.lookahead}, or null when off. */
    private final Lookahead lookahead;
    /** Schedule steps of the whole fit: the lookahead decay follows the progress through them. */
    private final long scheduleSteps;
    private boolean closed;

    /**
     * Builds the stack for {@code model} (already on {@code device}; the caller keeps it).
     *
     * @param t             the {@code train:} section: optimiser, loss scale, EMA, class weights, schedule
     * @param amp           the resolved precision ({@link StepEngine#resolveAmp})
     * @param stepsPerEpoch optimiser steps per epoch the schedule is built for
     * @param objective     what the steps minimise: the fit's task session (owned by the caller)
     * @param sync          gradient synchronisation of a data-parallel fit, or null
     */
    public static StepStack build(ImageModel model, TrainConfig t, StepEngine.Amp amp, Device device,
                                  long stepsPerEpoch, Objective objective, GradientSync sync) {
        return new StepStack(model, t, amp, device, stepsPerEpoch, objective, sync);
    }

    private StepStack(ImageModel model, TrainConfig t, StepEngine.Amp amp, Device device, long stepsPerEpoch,
                      Objective objective, GradientSync sync) {
        this.model = model;
        StepOptimizer opt = null;
        LossScaler sc = null;
        Ema e = null;
        Lookahead la = null;
        if (t.modelSetup().batchNorm().changesModel()) {
            dev.jvision.nn.BatchNorm2d.configure(model, t.modelSetup().batchNorm().momentum(), t.modelSetup().batchNorm().frozenScale());
        }
        try {
            opt = Trainer.buildOptimizer(model, t);
            sc = amp == StepEngine.Amp.FP16
                    ? new LossScaler(true, t.precision().lossScaleInit(), 2.0, 0.5, t.precision().lossScaleGrowthInterval(), device)
                    : LossScaler.disabled(device);
            e = t.ema().enabled() ? new Ema(model, t.ema().decay(), t.ema().warmup()) : null;
            la = t.optimizer().lookahead().enabled()
                    ? new Lookahead(model, t.optimizer().lookahead().every(), t.optimizer().lookahead().decay(), t.optimizer().lookahead().power()) : null;
        } catch (RuntimeException ex) {
            closeAll(opt, sc, e, la);
            throw ex;
        }
        this.lookahead = la;
        this.scheduleSteps = Math.max(1, stepsPerEpoch * t.epochs());
        this.optimizer = opt;
        this.scaler = sc;
        this.ema = e;
        this.schedule = Trainer.buildSchedule(t, stepsPerEpoch);
        this.engine = new StepEngine(model, optimizer, scaler, ema, t, amp, device, objective, sync);
    }

    /** The model the stack trains (not owned). */
    public ImageModel model() {
        return model;
    }

    /** The optimiser. */
    public StepOptimizer optimizer() {
        return optimizer;
    }

    /** The loss scaler (disabled unless fp16). */
    public LossScaler scaler() {
        return scaler;
    }

    /** The EMA of the weights, or null when {@code train.ema} is off. */
    public Ema ema() {
        return ema;
    }

    /** The learning-rate schedule. */
    public LrSchedule schedule() {
        return schedule;
    }

    /** The step engine over the stack. */
    public StepEngine engine() {
        return engine;
    }

    /**
     * After optimiser step {@code steps} (1-based), read at schedule step {@code scheduleStep}:
     * the lookahead synchronisation when {@code train.lookahead} is on (its decay follows the
     * schedule's progress).
     */
    void afterStep(long steps, long scheduleStep) {
        if (lookahead != null) {
            try (var scope = Memory.step()) {
                lookahead.afterStep(steps, Math.min(1.0, scheduleStep / (double) scheduleSteps));
            }
        }
    }

    /**
     * {@code e} as a {@link DeviceOutOfMemoryException} when libtorch ran out of memory (with the
     * device's peak; the CUDA cache is emptied), else {@code e} unchanged.
     */
    static RuntimeException outOfMemory(RuntimeException e, String what, int batchSize, Device device) {
        if (!DeviceOutOfMemoryException.detect(e) || e instanceof DeviceOutOfMemoryException) {
            return e;
        }
        long peak = MemoryStats.peakBytes(device);
        MemoryStats.emptyCudaCache();
        return DeviceOutOfMemoryException.of(e, what, batchSize, device, peak);
    }

    /** {@code "amp off, adamw (fused)"}: precision and optimiser, for logs. */
    String describe(TrainConfig t) {
        return "amp " + engine.amp().name().toLowerCase(java.util.Locale.ROOT) + ", "
                + (optimizer instanceof FusedAdamW a ? "adamw (" + a.impl().name().toLowerCase(java.util.Locale.ROOT) + ")"
                        : t.optimizer().toString())
                + (t.optimizer().scaling().layerDecay() > 0 || t.optimizer().scaling().lrMultipliers() != null ? lrScales() : "");
    }

    /** ", N lr groups, scales min..max" when layer decay or multipliers shape the learning rates. */
    private String lrScales() {
        double lo = optimizer.groups().stream().mapToDouble(g -> g.lrScale()).min().orElse(1);
        double hi = optimizer.groups().stream().mapToDouble(g -> g.lrScale()).max().orElse(1);
        return String.format(java.util.Locale.ROOT, ", %d lr groups, scales %.3g..%.3g", optimizer.groups().size(), lo, hi);
    }

    /**
     * The tensors of a resumable checkpoint, by prefix: {@code model.}, {@code optim.},
     * {@code ema.}, {@code scaler.}, {@code lookahead.}; they belong to the components (views in the caller's scope).
     */
    Map<String, Tensor> state() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> all.put("model." + k, v));
        optimizer.state().forEach((k, v) -> all.put("optim." + k, v));
        if (ema != null) {
            ema.state().forEach((k, v) -> all.put("ema." + k, v));
        }
        scaler.state().forEach((k, v) -> all.put("scaler." + k, v));
        if (lookahead != null) {
            lookahead.state().forEach((k, v) -> all.put("lookahead." + k, v));
        }
        return all;
    }

    /**
     * Copies a checkpoint's tensors ({@link #state()}'s names) and counters into the components.
     *
     * @throws IllegalArgumentException naming {@code file} when a tensor is missing
     */
    void load(Path file, Map<String, Tensor> tensors, FoldProgress p) {
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            Tensor src = tensors.get("model." + e.getKey());
            if (src == null) {
                throw new IllegalArgumentException(file + ": missing 'model." + e.getKey() + "'");
            }
            e.getValue().detach().copy_(src);
        }
        optimizer.loadState(strip(tensors, "optim."));
        if (ema != null) {
            Map<String, Tensor> es = strip(tensors, "ema.");
            if (es.isEmpty()) {
                throw new IllegalArgumentException(file + ": no EMA state (train.ema was off)");
            }
            ema.load(es, p.components().emaUpdates());
        }
        scaler.load(strip(tensors, "scaler."), p.components().skippedSteps());
        if (lookahead != null) {
            lookahead.load(strip(tensors, "lookahead."));
        }
        schedule.restore(p.components().schedule());
    }

    private static Map<String, Tensor> strip(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    private static void closeAll(AutoCloseable... cs) {
        for (AutoCloseable c : cs) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing after a failed construction: the original error matters
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(lookahead, ema, scaler, optimizer);
    }
}
