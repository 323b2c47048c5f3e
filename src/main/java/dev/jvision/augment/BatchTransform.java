package dev.jvision.augment;

import dev.jvision.config.AugmentConfig;
import dev.jvision.runtime.Device;
import org.bytedeco.pytorch.Tensor;

/**
 * Images-only view of {@link Augmenter} for callers without labels or epochs (evaluation,
 * prediction, and training without Mixup/CutMix): uint8 NHWC RGB in, normalised float NCHW out,
 * on the batch's device. {@link #train} draws per-sample parameters from {@code seed} at the
 * first epoch of the hard-augmentation ramp and never mixes samples; use {@link Augmenter}
 * directly for soft targets and the epoch ramp.
 *
 * <p>Returned tensors belong to the caller's {@code PointerScope}. Not thread-safe.
 */
public final class BatchTransform implements AutoCloseable {
    private final Augmenter augmenter;

    /**
     * @param cfg          the augmentation settings
     * @param mean         per-channel RGB mean in [0, 1]
     * @param std          per-channel RGB std
     * @param device       where batches will live
     * @param channelsLast whether outputs use channels-last memory format
     */
    public BatchTransform(AugmentConfig cfg, double[] mean, double[] std, Device device, boolean channelsLast) {
        this.augmenter = new Augmenter(cfg, 1, mean, std, device, channelsLast);
    }

    /** Evaluation transform: scale to [0, 1] and normalise, no randomness. */
    public Tensor eval(Tensor uint8Nhwc) {
        return augmenter.eval(uint8Nhwc);
    }

    /** Training transform with per-sample random parameters drawn from {@code seed}. */
    public Tensor train(Tensor uint8Nhwc, long seed) {
        return augmenter.trainImages(uint8Nhwc, 0, 1, seed);
    }

    @Override
    public void close() {
        augmenter.close();
    }
}
