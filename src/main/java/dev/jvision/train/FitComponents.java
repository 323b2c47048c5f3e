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
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.dist.GradientSync;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The optimiser side of one fit: optimiser, loss scaler, EMA, class weights, schedule and the
 * step engine over them, built from {@code train:} for a model. Owns the optimiser, scaler, EMA
 * and class-weight tensor (not the model) and frees them in {@link #close()}. Also what a
 * resumable checkpoint holds of them: {@link #state()} and {@link #load}. Not thread-safe.
 */
final class FitComponents implements AutoCloseable {
    final ImageModel model;
    final StepOptimizer optimizer;
    final LossScaler scaler;
    final Ema ema;
    final LrSchedule schedule;
    final StepEngine engine;
    /** {@code train.lookahead}, or null when off. */
    final Lookahead lookahead;
    private final long scheduleSteps;
    private final Tensor classWeights;

    FitComponents(ImageModel model, TrainConfig t, Device device, long stepsPerEpoch, GradientSync sync) {
        this.model = model;
        StepEngine.Amp amp = StepEngine.resolveAmp(t.amp(), device);
        StepOptimizer opt = null;
        LossScaler sc = null;
        Ema e = null;
        Lookahead la = null;
        if (t.batchNorm().changesModel()) {
            dev.jvision.nn.BatchNorm2d.configure(model, t.batchNorm().momentum(), t.batchNorm().frozenScale());
        }
        try {
            opt = Trainer.buildOptimizer(model, t);
            sc = amp == StepEngine.Amp.FP16
                    ? new LossScaler(true, t.lossScaleInit(), 2.0, 0.5, t.lossScaleGrowthInterval(), device)
                    : LossScaler.disabled(device);
            e = t.ema() ? new Ema(model, t.emaDecay(), t.emaWarmup()) : null;
            la = t.lookahead().enabled()
                    ? new Lookahead(model, t.lookahead().every(), t.lookahead().decay(), t.lookahead().power()) : null;
            this.classWeights = classWeights(t.classWeights(), device);
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
        this.engine = new StepEngine(model, optimizer, scaler, ema, t, amp, device, classWeights, sync);
    }

    /**
     * After optimiser step {@code steps} (1-based), read at schedule step {@code scheduleStep}:
     * the lookahead synchronisation when it is on (its decay follows the schedule's progress).
     */
    void afterStep(long steps, long scheduleStep) {
        if (lookahead != null) {
            try (var scope = dev.jvision.runtime.Memory.step()) {
                lookahead.afterStep(steps, Math.min(1.0, scheduleStep / (double) scheduleSteps));
            }
        }
    }

    /** Per-class loss weights on the device (retained), or null. */
    private static Tensor classWeights(List<Double> w, Device device) {
        if (w == null) {
            return null;
        }
        float[] f = new float[w.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = w.get(i).floatValue();
        }
        try (var step = Memory.step()) {
            return step.keep(Tensors.fromFloats(f, f.length).to(device.toNative(), torch.ScalarType.Float));
        }
    }

    /** {@code "amp off, adamw (fused)"}: precision and optimiser, for logs. */
    String describe(TrainConfig t) {
        return "amp " + engine.amp().name().toLowerCase(java.util.Locale.ROOT) + ", "
                + (optimizer instanceof FusedAdamW a ? "adamw (" + a.impl().name().toLowerCase(java.util.Locale.ROOT) + ")"
                        : t.optimizer().toString())
                + (t.layerDecay() > 0 || t.lrMultipliers() != null ? lrScales() : "");
    }

    /** ", N lr groups, scales min..max" when layer decay or multipliers shape the learning rates. */
    private String lrScales() {
        double lo = optimizer.groups().stream().mapToDouble(g -> g.lrScale()).min().orElse(1);
        double hi = optimizer.groups().stream().mapToDouble(g -> g.lrScale()).max().orElse(1);
        return String.format(java.util.Locale.ROOT, ", %d lr groups, scales %.3g..%.3g", optimizer.groups().size(), lo, hi);
    }

    /**
     * The tensors of a resumable checkpoint, by prefix: {@code model.}, {@code optim.},
     * {@code ema.}, {@code scaler.}; they belong to the components (views in the caller's scope).
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
        if (classWeights != null && classWeights.referenceCount() > 0) {
            classWeights.releaseReference();
        }
        closeAll(lookahead, ema, scaler, optimizer);
    }
}
