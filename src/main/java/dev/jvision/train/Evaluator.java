package dev.jvision.train;

import dev.jvision.augment.BatchTransform;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.Dataset;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.train.task.Task;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Runs a model in evaluation mode over samples and returns its logits (or, for any task, its
 * prediction rows) in sample order; one native scope per batch. Probabilities and losses of those logits come from
 * {@link ProbabilityMetrics}. Stateless; the model must not be
 * used by another thread meanwhile.
 */
public final class Evaluator {
    private Evaluator() {}

    /** Logits for every sample, {@code [samples][classes]}. */
    public static float[][] logits(ImageModel model, BatchTransform transform, List<Sample> samples,
                                   ImageCache cache, int batchSize, int prefetch, Device device) {
        return logits(model, transform, Dataset.of(samples, cache), cache.size(), batchSize, prefetch, device);
    }

    /**
     * The task's prediction rows ({@link Task.Session#predict}) for every item of {@code data}
     * brought to {@code size} pixels, in order: the model in evaluation mode under no-grad, each
     * batch through {@link Task.Session#evalInput} and {@link Task.Session#forward}.
     */
    public static float[][] predict(ImageModel model, Task.Session session, Dataset data, int size, int batchSize,
                                    int prefetch, Device device) {
        boolean was = model.isTraining();
        model.train(false);
        float[][] out = new float[data.size()][];
        int row = 0;
        try (NoGradGuard ng = new NoGradGuard();
             BatchLoader loader = new BatchLoader(data, size, batchSize, false, 0, false, prefetch)) {
            while (loader.hasNext()) {
                dev.jvision.runtime.ShutdownGate.safePoint();
                Batch b = loader.next();
                try (var scope = Memory.step()) {
                    Tensor x = Tensors.fromBytes(b.pixels(), b.size(), b.height(), b.width(), 3).to(device.toNative(), torch.ScalarType.Byte);
                    for (float[] r : session.predict(session.forward(model, session.evalInput(x)), b.size())) {
                        out[row++] = r;
                    }
                }
            }
        } finally {
            model.train(was);
        }
        return out;
    }

    /** Logits for every item of {@code data} brought to {@code size} pixels, {@code [items][classes]}. */
    public static float[][] logits(ImageModel model, BatchTransform transform, Dataset data, int size, int batchSize,
                                   int prefetch, Device device) {
        boolean was = model.isTraining();
        model.train(false);
        int c = model.numClasses();
        float[][] out = new float[data.size()][];
        int row = 0;
        try (NoGradGuard ng = new NoGradGuard();
             BatchLoader loader = new BatchLoader(data, size, batchSize, false, 0, false, prefetch)) {
            while (loader.hasNext()) {
                dev.jvision.runtime.ShutdownGate.safePoint();
                Batch b = loader.next();
                try (var scope = Memory.step()) {
                    Tensor x = Tensors.fromBytes(b.pixels(), b.size(), b.height(), b.width(), 3).to(device.toNative(), torch.ScalarType.Byte);
                    float[] flat = Tensors.toFloats(model.forward(transform.eval(x)));
                    for (int i = 0; i < b.size(); i++) {
                        float[] r = new float[c];
                        System.arraycopy(flat, i * c, r, 0, c);
                        out[row++] = r;
                    }
                }
            }
        } finally {
            model.train(was);
        }
        return out;
    }
}
