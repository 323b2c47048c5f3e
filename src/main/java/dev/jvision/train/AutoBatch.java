package dev.jvision.train;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.optim.Ema;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.track.MemoryStats;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code train.auto_batch_size}: the largest batch size that fits on the GPU, found by real
 * forward/backward/optimiser steps on random images with throwaway models from the fit's
 * {@link ModelFactory} (doubling from
 * {@code train.batch_size}, then bisecting). On CPU the configured size is kept. Stateless.
 */
final class AutoBatch {
    private static final Logger LOG = LoggerFactory.getLogger(AutoBatch.class);
    private static final int MAX = 4096;

    private AutoBatch() {}

    static int find(ModelFactory factory, TrainConfig t, Experiment exp, Device device) {
        if (!device.isCuda()) {
            LOG.info("train.auto_batch_size needs a CUDA device; keeping batch_size {}", t.batchSize());
            return t.batchSize();
        }
        int lo = 0;
        int hi = -1;
        int b = t.batchSize();
        while (b <= MAX) {
            if (fits(factory, t, exp, device, b)) {
                lo = b;
                b *= 2;
            } else {
                hi = b;
                break;
            }
        }
        if (lo == 0) {
            for (b = t.batchSize() / 2; b >= 1; b /= 2) {
                if (fits(factory, t, exp, device, b)) {
                    lo = b;
                    break;
                }
            }
            if (lo == 0) throw new IllegalStateException("auto batch size: even batch size 1 does not fit on " + device.toString());
            hi = lo * 2;
        }
        if (hi > 0) {
            while (hi - lo > Math.max(1, lo / 8)) {
                int mid = (lo + hi) / 2;
                if (fits(factory, t, exp, device, mid)) lo = mid;
                else hi = mid;
            }
        }
        // leave headroom for allocator fragmentation during real training
        int chosen = Math.max(1, (int) (lo * 0.9));
        LOG.info("auto batch size: {} fits (tried up to {}), using {}", lo, hi < 0 ? MAX : hi, chosen);
        return chosen;
    }

    private static boolean fits(ModelFactory factory, TrainConfig t, Experiment exp, Device device, int b) {
        int size = exp.data().imgSize();
        try (ImageModel model = factory.create();
             BatchTransform transform = new BatchTransform(exp.augment(), model.spec().mean(), model.spec().std(), device,
                     exp.model().channelsLast());
             StepOptimizer opt = Trainer.buildOptimizer(model, t);
             LossScaler scaler = LossScaler.disabled(device);
             Ema ema = t.ema() ? new Ema(model, t.emaDecay(), t.emaWarmup()) : null) {
            StepEngine engine = new StepEngine(model, opt, scaler, ema, t.withBatchSize(b),
                    StepEngine.resolveAmp(t.amp(), device), device, null);
            for (int i = 0; i < 2; i++) {
                try (var scope = Memory.step()) {
                    Tensor raw = torch.randint(255, new long[] {b, size, size, 3},
                            new TensorOptions(torch.ScalarType.Byte).device(new org.bytedeco.pytorch.DeviceOptional(device.toNative())));
                    Tensor x = transform.train(raw, i);
                    Tensor y = torch.zeros(new long[] {b, model.numClasses()},
                            new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(device.toNative())))
                            .add(new Scalar(1.0 / model.numClasses()));
                    engine.accumulate(x, y);
                    engine.step(t.lr());
                }
            }
            torch.synchronizeDevice((byte) Math.max(0, device.index()));
            return true;
        } catch (RuntimeException e) {
            if (OutOfMemory.isOom(e)) return false;
            throw e;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            MemoryStats.emptyCudaCache();
        }
    }
}
