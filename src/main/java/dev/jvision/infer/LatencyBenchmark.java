package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Inference latency of one model: uint8 NHWC batch on the host -> device -> evaluation
 * transform -> forward -> logits back on the host, timed per call after warm-up (the copy back
 * synchronises the device, so a timing covers the whole request). Not thread-safe.
 */
public final class LatencyBenchmark {
    private LatencyBenchmark() {}

    /**
     * Latency figures.
     *
     * @param batch       images per call
     * @param imgSize     input side in pixels
     * @param iterations  timed calls
     * @param p50Ms       median latency per call in milliseconds
     * @param p99Ms       99th-percentile latency per call
     * @param meanMs      mean latency per call
     * @param imagesPerSecond batch * iterations / total timed seconds
     */
    public record Result(int batch, int imgSize, int iterations, double p50Ms, double p99Ms, double meanMs,
                         double imagesPerSecond) {}

    /** Times {@code model} (already on {@code device}, evaluation mode is set here). */
    public static Result run(ImageModel model, double[] mean, double[] std, int imgSize, int batch, int warmup,
                             int iterations, Device device, boolean channelsLast) {
        if (batch < 1 || iterations < 1 || warmup < 0 || imgSize < 8) {
            throw new IllegalArgumentException("batch " + batch + ", iterations " + iterations + ", warm-up " + warmup
                    + ", image size " + imgSize + " (expected: batch >= 1, iterations >= 1, warm-up >= 0, size >= 8)");
        }
        model.train(false);
        boolean cl = channelsLast && device.isCuda();
        byte[] pixels = new byte[batch * imgSize * imgSize * 3];
        new SplittableRandom(0).nextBytes(pixels);
        double[] ms = new double[iterations];
        try (BatchTransform t = new BatchTransform(AugmentConfig.defaults(), mean, std, device, cl);
             NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < warmup + iterations; i++) {
                long t0 = System.nanoTime();
                try (var scope = Memory.step()) {
                    Tensor x = Tensors.fromBytes(pixels, batch, imgSize, imgSize, 3).to(device.toNative(), torch.ScalarType.Byte);
                    Tensors.toFloats(model.forward(t.eval(x)));
                }
                if (i >= warmup) {
                    ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        double total = Arrays.stream(ms).sum();
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new Result(batch, imgSize, iterations, percentile(sorted, 50), percentile(sorted, 99), total / iterations,
                batch * iterations / (total / 1e3));
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
