package dev.jvision.models.detect;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Short spellings of the libtorch calls the detector code repeats (scalars, concatenation,
 * clamps, typed constants), so that the box and loss arithmetic reads as formulas. Package
 * private; results belong to the caller's scope. Stateless and thread-safe.
 */
final class T {
    private T() {}

    static Scalar s(double v) {
        return new Scalar(v);
    }

    static Tensor cat(long dim, Tensor... parts) {
        try (TensorVector v = new TensorVector(parts)) {
            return torch.cat(v, dim);
        }
    }

    static Tensor stack(long dim, Tensor... parts) {
        try (TensorVector v = new TensorVector(parts)) {
            return torch.stack(v, dim);
        }
    }

    static Tensor clampMin(Tensor x, double min) {
        return x.clamp_min(s(min));
    }

    static Tensor clamp(Tensor x, double min, double max) {
        return torch.clamp(x, new ScalarOptional(s(min)), new ScalarOptional(s(max)));
    }

    /** Element {@code i} of the last dimension, keeping it ({@code [..., 1]}). */
    static Tensor last(Tensor x, long i) {
        return x.narrow(-1, i, 1);
    }

    /** Options of float32 tensors on {@code like}'s device. */
    static TensorOptions floats(Tensor like) {
        return new TensorOptions(torch.ScalarType.Float).device(new DeviceOptional(like.device()));
    }

    /** Options of int64 tensors on {@code like}'s device. */
    static TensorOptions longs(Tensor like) {
        return new TensorOptions(torch.ScalarType.Long).device(new DeviceOptional(like.device()));
    }

    static Tensor arange(long n, TensorOptions options) {
        return torch.arange(s(n), options);
    }

    static Tensor zeros(TensorOptions options, long... shape) {
        return torch.zeros(shape, options);
    }

    static Tensor full(double value, TensorOptions options, long... shape) {
        return torch.full(shape, s(value), options);
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        return torch.where(cond, a, b);
    }
}
