package dev.jvision.augment;

import dev.jvision.config.AugmentConfig;
import dev.jvision.runtime.Tensors;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Turns a uint8 NHWC RGB batch into the model's normalised float NCHW input, on the batch's
 * device. For training, the "basic" policy draws per-sample flips, 90-degree turns, a small
 * rotation and a zoom, composes them into one affine sampling grid (one resampling pass per
 * batch), then jitters brightness and contrast. The same seed gives the same batch.
 * Immutable apart from cached constants; not thread-safe (one trainer thread uses it).
 */
public final class BatchTransform implements AutoCloseable {
    private final AugmentConfig cfg;
    private final Tensor mean;
    private final Tensor std;
    private final boolean channelsLast;

    /**
     * @param cfg          the augmentation settings (policy none or basic)
     * @param mean         per-channel RGB mean in [0, 1]
     * @param std          per-channel RGB std
     * @param device       where batches will live
     * @param channelsLast whether outputs use channels-last memory format
     */
    public BatchTransform(AugmentConfig cfg, double[] mean, double[] std, Device device, boolean channelsLast) {
        this.cfg = cfg;
        this.channelsLast = channelsLast;
        this.mean = constant(mean, device);
        this.std = constant(std, device);
    }

    private static Tensor constant(double[] v, Device device) {
        float[] f = {(float) v[0], (float) v[1], (float) v[2]};
        try (Tensor cpu = Tensors.fromFloats(f, 1, 3, 1, 1)) {
            Tensor t = cpu.to(device, torch.ScalarType.Float);
            t.retainReference();
            return t;
        }
    }

    /** Evaluation transform: scale to [0, 1] and normalise, no randomness. */
    public Tensor eval(Tensor uint8Nhwc) {
        Tensor x = toUnitFloat(uint8Nhwc);
        return normalise(x);
    }

    /** Training transform with per-sample random parameters drawn from {@code seed}. */
    public Tensor train(Tensor uint8Nhwc, long seed) {
        Tensor x = toUnitFloat(uint8Nhwc);
        if (!"basic".equals(cfg.policy())) {
            return normalise(x);
        }
        int n = (int) x.size(0);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] theta = new float[n * 6];
        float[] scale = new float[n];
        float[] shift = new float[n];
        boolean geometric = false;
        for (int i = 0; i < n; i++) {
            double a = 0;
            if (cfg.rotateDegrees() > 0) {
                a = Math.toRadians((rng.nextDouble() * 2 - 1) * cfg.rotateDegrees());
            }
            if (cfg.rot90() > 0 && rng.nextDouble() < cfg.rot90()) {
                a += Math.PI / 2 * (1 + rng.nextInt(3));
            }
            double fx = cfg.hflip() > 0 && rng.nextDouble() < cfg.hflip() ? -1 : 1;
            double fy = cfg.vflip() > 0 && rng.nextDouble() < cfg.vflip() ? -1 : 1;
            double s = cfg.scaleMin() + rng.nextDouble() * (cfg.scaleMax() - cfg.scaleMin());
            double c = Math.cos(a) / s;
            double sn = Math.sin(a) / s;
            // input = R(a) * F * output / s ; F flips x and/or y
            theta[i * 6] = (float) (c * fx);
            theta[i * 6 + 1] = (float) (-sn * fy);
            theta[i * 6 + 2] = 0f;
            theta[i * 6 + 3] = (float) (sn * fx);
            theta[i * 6 + 4] = (float) (c * fy);
            theta[i * 6 + 5] = 0f;
            geometric |= a != 0 || fx < 0 || fy < 0 || s != 1;
            double ct = cfg.contrast() > 0 ? 1 + (rng.nextDouble() * 2 - 1) * cfg.contrast() : 1;
            double br = cfg.brightness() > 0 ? (rng.nextDouble() * 2 - 1) * cfg.brightness() : 0;
            scale[i] = (float) ct;
            shift[i] = (float) br;
        }
        if (geometric) {
            Tensor t = Tensors.fromFloats(theta, n, 2, 3).to(x.device(), torch.ScalarType.Float);
            Tensor grid = torch.affine_grid_generator(t, new long[] {n, 3, x.size(2), x.size(3)}, false);
            // bilinear (0), border padding (1): rotated corners repeat the page edge
            x = torch.grid_sampler(x, grid, 0, 1, false);
        }
        if (cfg.contrast() > 0 || cfg.brightness() > 0) {
            Tensor sc = Tensors.fromFloats(scale, n, 1, 1, 1).to(x.device(), torch.ScalarType.Float);
            Tensor sh = Tensors.fromFloats(shift, n, 1, 1, 1).to(x.device(), torch.ScalarType.Float);
            x = x.mul(sc).add_(sh);
            try (Scalar lo = new Scalar(0.0); Scalar hi = new Scalar(1.0)) {
                x = x.clamp_(new org.bytedeco.pytorch.ScalarOptional(lo), new org.bytedeco.pytorch.ScalarOptional(hi));
            }
        }
        return normalise(x);
    }

    private Tensor toUnitFloat(Tensor uint8Nhwc) {
        if (uint8Nhwc.dim() != 4 || uint8Nhwc.size(3) != 3) {
            throw new IllegalArgumentException("batch shape " + java.util.Arrays.toString(Tensors.shape(uint8Nhwc))
                    + " (expected: [N, H, W, 3] uint8)");
        }
        Tensor x = uint8Nhwc.permute(0, 3, 1, 2).to(torch.ScalarType.Float);
        try (Scalar k = new Scalar(1.0 / 255.0)) {
            return x.mul_(k);
        }
    }

    private Tensor normalise(Tensor x) {
        Tensor y = x.sub(mean).div_(std);
        return channelsLast ? y.contiguous(torch.MemoryFormat.ChannelsLast) : y.contiguous();
    }

    @Override
    public void close() {
        if (mean.referenceCount() > 0) {
            mean.releaseReference();
        }
        if (std.referenceCount() > 0) {
            std.releaseReference();
        }
    }
}
