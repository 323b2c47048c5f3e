package dev.jvision.memprof;

import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.optim.Ema;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.StepEngine;
import dev.jvision.train.StepStack;
import dev.jvision.train.task.ClassificationTask;
import dev.jvision.runtime.DeviceOutOfMemoryException;
import dev.jvision.optim.LossScaler;
import java.util.Collection;
import java.util.Locale;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Runs a few real steps of a model and reports its peak memory by component
 * ({@link MemoryProfile}): {@code jvision memprof}'s Java API.
 *
 * <p>A training step is the one {@code jvision train} runs, built from the same blocks: the
 * model from the registry, AdamW (fused) or SGD over timm-style parameter groups, EMA,
 * {@link StepEngine}'s forward under autocast and its loss, backward, optimizer step, EMA
 * update, all inside one native scope. Random images and soft targets stand in for data (the
 * input batch is the model's float input; the uint8 batch and augmentation buffers of a real run
 * are not included). Inference is a forward pass under no-grad in evaluation mode.
 *
 * <p>Fixed parts are exact tensor sizes. Activations are the bytes in use after the forward
 * pass minus before it (minus the logits); the peak is the device's (CUDA) or the process
 * sampled C heap's (CPU) peak during the step, above what was in use before the model was
 * built. See {@link Meter} for the methods and their errors. Warm-up steps run first so that
 * one-time allocations (kernel caches, the optimizer's first step) are not counted, and the
 * first profile of a process on a device is preceded by a throwaway batch-1 profile (the
 * process's own one-time allocations are no model's).
 *
 * <p>Stateless; not thread-safe (uses process-wide libtorch state and allocator settings).
 */
public final class MemoryProfiler {
    private static final java.util.Set<Device> WARMED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private MemoryProfiler() {}

    /** Training step or inference forward pass. */
    public enum Mode { TRAIN, INFER }

    /**
     * What to profile.
     *
     * @param model        registered model name
     * @param imgSize      image side, pixels
     * @param batch        batch size
     * @param amp          precision of the forward pass
     * @param channelsLast channels-last weights and input
     * @param mode         train or infer
     * @param device       where to run
     * @param numClasses   classifier width
     * @param ema          keep an EMA copy (train mode)
     * @param optimizer    {@code adamw} or {@code sgd}
     * @param warmupSteps  steps run before measuring (0+)
     * @param steps        measured steps (1+); the one with the highest peak is reported (on the CPU the
     *                     sampled peak can only miss short temporaries, so more steps catch more)
     * @param deterministic libtorch's deterministic algorithms during the profile (as
     *                     {@code experiment.deterministic}, default true: on the CPU they need ~65% more
     *                     backward workspace for resnet18); the previous mode is restored afterwards
     */
    public record Options(String model, int imgSize, int batch, StepEngine.Amp amp, boolean channelsLast, Mode mode,
                          Device device, int numClasses, boolean ema, String optimizer, int warmupSteps, int steps,
                          boolean deterministic) {
        public Options {
            Models.spec(model); // unknown names fail here, listing close matches
            if (imgSize < 16 || imgSize > 4096) {
                throw new IllegalArgumentException("img size: " + imgSize + " (expected: 16..4096)");
            }
            if (batch < 1) throw new IllegalArgumentException("batch: " + batch + " (expected: >= 1)");
            if (numClasses < 1) throw new IllegalArgumentException("num classes: " + numClasses + " (expected: >= 1)");
            if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
                throw new IllegalArgumentException("optimizer: '" + optimizer + "' (expected: adamw or sgd)");
            }
            if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps: " + warmupSteps + " (expected: >= 0)");
            if (steps < 1) throw new IllegalArgumentException("steps: " + steps + " (expected: >= 1)");
        }

        /**
         * Training {@code model} at {@code imgSize} x {@code batch} on {@code device}: fp32, AdamW, EMA,
         * 1000 classes, deterministic algorithms, one warm-up and two measured steps.
         */
        public static Options train(String model, int imgSize, int batch, Device device) {
            return new Options(model, imgSize, batch, StepEngine.Amp.OFF, false, Mode.TRAIN, device, 1000, true, "adamw",
                    1, 2, true);
        }

        /**
         * A training step as {@code exp} configures it, for architecture {@code arch} (the model or a
         * {@code model.fold_models} entry) at {@code batch} on {@code device}: {@code data.img_size},
         * {@code train.amp} (auto resolved for the device), {@code model.channels_last},
         * {@code model.num_classes}, {@code train.ema}, {@code train.optimizer} and
         * {@code experiment.deterministic}; one warm-up and two measured steps.
         */
        public static Options of(Experiment exp, String arch, Device device, int batch) {
            TrainConfig t = exp.train();
            return new Options(arch, exp.data().imgSize(), batch, StepEngine.resolveAmp(t.precision().amp(), device),
                    exp.model().channelsLast(), Mode.TRAIN, device, exp.model().numClasses(), t.ema().enabled(),
                    t.optimizer().kind().toString(), 1, 2, exp.experiment().deterministic());
        }

        /** A copy with other warm-up and measured step counts. */
        public Options withSteps(int warmup, int measured) {
            return new Options(model, imgSize, batch, amp, channelsLast, mode, device, numClasses, ema, optimizer, warmup,
                    measured, deterministic);
        }

        /** A copy with another batch size. */
        public Options withBatch(int b) {
            return new Options(model, imgSize, b, amp, channelsLast, mode, device, numClasses, ema, optimizer, warmupSteps,
                    steps, deterministic);
        }

        /** A copy with another precision. */
        public Options withAmp(StepEngine.Amp a) {
            return new Options(model, imgSize, batch, a, channelsLast, mode, device, numClasses, ema, optimizer,
                    warmupSteps, steps, deterministic);
        }

        /** A copy with another image size. */
        public Options withImgSize(int s) {
            return new Options(model, s, batch, amp, channelsLast, mode, device, numClasses, ema, optimizer, warmupSteps,
                    steps, deterministic);
        }

        /** A copy with another model. */
        public Options withModel(String m) {
            return new Options(m, imgSize, batch, amp, channelsLast, mode, device, numClasses, ema, optimizer, warmupSteps,
                    steps, deterministic);
        }
    }

    /** Bytes of a tensor's elements. */
    static long bytes(Tensor t) {
        return t == null || !t.defined() ? 0 : t.numel() * t.element_size();
    }

    static long bytes(Collection<Tensor> ts) {
        long n = 0;
        for (Tensor t : ts) n += bytes(t);
        return n;
    }

    /** Profiles one configuration; see the class comment for what is measured. */
    public static MemoryProfile profile(Options o) {
        NativeRuntime.init();
        if (WARMED.add(o.device())) {
            // one-time allocations of the process (kernel caches, thread pools, cuBLAS workspaces) belong to no
            // model: a small throwaway profile makes them part of the next baseline
            profile(o.withBatch(1).withSteps(0, 1));
        }
        boolean wasDeterministic = torch.globalContext().deterministicAlgorithms();
        TorchSettings.deterministic(o.deterministic());
        try {
            return measure(o);
        } finally {
            TorchSettings.deterministic(wasDeterministic);
        }
    }

    private static MemoryProfile measure(Options o) {
        Meter meter = Meter.of(o.device());
        boolean train = o.mode() == Mode.TRAIN;
        ImageModel model = null;
        StepStack stack = null;
        try {
            // built inside a scope: temporaries of construction (views, moved copies) are freed
            // now rather than by the collector in the middle of a later measurement
            try (var build = Memory.step()) {
                model = Models.create(o.model(), new ModelOptions(o.numClasses(), 0.0, 0.0));
                model.to(o.device());
                if (o.channelsLast()) model.toChannelsLast();
                model.train(train);
                // the step a fit runs: train:'s defaults with the profiled optimiser and EMA
                TrainConfig t = trainConfig(o);
                stack = StepStack.build(model, t, o.amp(), o.device(), 1, ClassificationTask.objective(t, null), null);
            }
            StepEngine engine = stack.engine();
            Ema ema = train ? stack.ema() : null;
            long weights = bytes(model.stateDict().values());
            long grads = train ? bytes(model.namedParameters().values().stream().filter(Tensor::requires_grad).toList()) : 0;
            long emaBytes = ema == null ? 0 : weights;
            Step kept = null;
            for (int s = 0; s < o.warmupSteps() + o.steps(); s++) {
                Step r = train ? trainStep(engine, stack.scaler(), o, meter) : inferStep(engine, o, meter);
                if (s >= o.warmupSteps() && (kept == null || r.peak > kept.peak)) kept = r;
            }
            long optBytes = train ? bytes(stack.optimizer().state().values()) : 0;
            long peak = kept.peak - meter.baseline();
            long reserved = kept.reserved - meter.baseline();
            long workspace = peak - (weights + grads + optBytes + emaBytes + kept.input + kept.activations);
            return new MemoryProfile(o.model(), o.imgSize(), o.batch(), o.amp().name().toLowerCase(Locale.ROOT),
                    o.channelsLast(), o.mode().name().toLowerCase(Locale.ROOT), o.device().toString(), weights, grads,
                    optBytes, emaBytes, kept.activations, workspace, kept.input, peak, reserved, meter.context(),
                    meter.method());
        } catch (RuntimeException e) {
            if (DeviceOutOfMemoryException.detect(e) && !(e instanceof DeviceOutOfMemoryException)) {
                throw new DeviceOutOfMemoryException(o.model() + " at " + o.imgSize() + " px, batch " + o.batch()
                        + ": out of memory on " + o.device() + " (" + firstLine(e.getMessage()) + ")",
                        o.device().toString(), o.batch(), e);
            }
            throw e;
        } finally {
            if (stack != null) stack.close();
            if (model != null) model.close();
            meter.close();
        }
    }

    /** {@code train:} at its defaults with the profiled optimiser and EMA switch. */
    static TrainConfig trainConfig(Options o) {
        return Experiment.defaults().with("train.optimizer=" + o.optimizer(), "train.ema=" + o.ema()).train();
    }

    private record Step(long input, long activations, long peak, long reserved) {}

    private static Tensor randomInput(Options o) {
        var opts = new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(o.device().toNative()));
        Tensor x = torch.randn(new long[] {o.batch(), 3, o.imgSize(), o.imgSize()}, opts);
        return o.channelsLast() ? x.contiguous(torch.MemoryFormat.ChannelsLast) : x;
    }

    private static Step trainStep(StepEngine engine, LossScaler scaler, Options o, Meter meter) {
        try (var scope = Memory.step()) {
            meter.mark();
            Tensor x = randomInput(o);
            var fopts = new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(o.device().toNative()));
            Tensor y = torch.full(new long[] {o.batch(), o.numClasses()}, new Scalar(1.0 / o.numClasses()), fopts);
            long input = bytes(x) + bytes(y);
            meter.sync();
            long before = meter.current();
            Tensor logits = engine.forward(x);
            meter.sync();
            long activations = meter.current() - before - bytes(logits);
            meter.startSampling();
            Tensor loss = engine.loss(logits, y);
            scaler.scale(loss).backward();
            meter.sync();
            meter.current(); // checkpoint: activations and every gradient are alive here
            engine.step(1e-4);
            meter.sync();
            return new Step(input, activations, meter.peak(), meter.reservedPeak());
        }
    }

    private static Step inferStep(StepEngine engine, Options o, Meter meter) {
        try (var scope = Memory.step(); NoGradGuard ng = new NoGradGuard()) {
            meter.mark();
            meter.startSampling();
            Tensor x = randomInput(o);
            long input = bytes(x);
            engine.forward(x);
            meter.sync();
            return new Step(input, 0, meter.peak(), meter.reservedPeak());
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
