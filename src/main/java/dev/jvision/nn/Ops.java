package dev.jvision.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Stateless functional ops used by layers and models (activation, pooling, dropout, drop-path),
 * kept here so that model code reads as Java. Results belong to the caller's scope. Thread-safe.
 */
public final class Ops {
    private Ops() {}

    public static Tensor relu(Tensor x) {
        return torch.relu(x);
    }

    /** In-place ReLU; returns {@code x} itself (do not close the result separately). */
    public static Tensor reluInPlace(Tensor x) {
        return torch.relu_(x);
    }

    /** Exact (erf) GELU, as nn.GELU(). */
    public static Tensor gelu(Tensor x) {
        return torch.gelu(x);
    }

    /** SiLU / swish: x * sigmoid(x). */
    public static Tensor silu(Tensor x) {
        return torch.silu(x);
    }

    public static Tensor sigmoid(Tensor x) {
        return torch.sigmoid(x);
    }

    public static Tensor maxPool(Tensor x, int kernel, int stride, int padding) {
        return torch.max_pool2d(x, new long[] {kernel, kernel}, new long[] {stride, stride},
                new long[] {padding, padding}, new long[] {1, 1}, false);
    }

    /** Global average pool to [N, C]. */
    public static Tensor globalAvgPool(Tensor x) {
        return torch.adaptive_avg_pool2d(x, 1, 1).flatten(1, -1);
    }

    /** Dropout with probability {@code p} when {@code training}. */
    public static Tensor dropout(Tensor x, double p, boolean training) {
        if (!training || p <= 0) {
            return x;
        }
        return torch.dropout(x, p, true);
    }

    /** Stochastic depth: zeroes whole samples of a residual branch with probability {@code p}. */
    public static Tensor dropPath(Tensor x, double p, boolean training) {
        if (!training || p <= 0) {
            return x;
        }
        double keep = 1 - p;
        long[] shape = new long[(int) x.dim()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = x.size(0);
        Tensor mask = torch.empty(shape, new org.bytedeco.pytorch.TensorOptions(x.scalar_type()).device(new org.bytedeco.pytorch.DeviceOptional(x.device())), new org.bytedeco.pytorch.MemoryFormatOptional());
        mask.bernoulli_(keep, new org.bytedeco.pytorch.GeneratorOptional());
        try (Scalar k = new Scalar(keep)) {
            mask.div_(k);
        }
        return x.mul(mask);
    }
}
