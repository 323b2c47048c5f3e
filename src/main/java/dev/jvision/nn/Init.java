package dev.jvision.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Weight initialisation as PyTorch and timm do it, drawn from libtorch's global generator so
 * that {@code TorchSettings.seed} makes models reproducible. Stateless; thread-safe only
 * as far as libtorch's global generator is.
 */
public final class Init {
    private Init() {}

    /** Kaiming-normal with fan-out and ReLU gain (timm's ResNet conv init). */
    public static Tensor kaimingNormalFanOut(long... shape) {
        long fanOut = shape[0];
        for (int i = 2; i < shape.length; i++) {
            fanOut *= shape[i];
        }
        double std = Math.sqrt(2.0 / fanOut);
        Tensor t = torch.empty(shape);
        t.normal_(0.0, std, new org.bytedeco.pytorch.GeneratorOptional());
        return t;
    }

    /** PyTorch's default Linear/Conv init: uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
    public static Tensor uniformFanIn(long fanIn, long... shape) {
        double bound = 1.0 / Math.sqrt(fanIn);
        Tensor t = torch.empty(shape);
        t.uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        return t;
    }

    /** A tensor filled with {@code value}. */
    public static Tensor constant(double value, long... shape) {
        Tensor t = torch.empty(shape);
        t.fill_(new org.bytedeco.pytorch.Scalar(value));
        return t;
    }
}
