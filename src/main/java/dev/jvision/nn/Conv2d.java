package dev.jvision.nn;

import dev.jvision.runtime.Kernels;
import org.bytedeco.pytorch.Tensor;

/**
 * 2-d convolution over {@code torch.conv2d} with parameters {@code weight} [out, in/groups, k, k]
 * and optional {@code bias}. Initialised Kaiming-normal (fan-out), as timm's CNNs are.
 * Not thread-safe.
 */
public final class Conv2d extends Layer {
    private final Tensor weight;
    private final Tensor bias;
    private final long[] stride;
    private final long[] padding;
    private final long[] dilation;
    private final long groups;

    public Conv2d(long in, long out, int kernel, int stride, int padding, boolean bias) {
        this(in, out, kernel, stride, padding, 1, 1, bias);
    }

    public Conv2d(long in, long out, int kernel, int stride, int padding, int dilation, int groups, boolean bias) {
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("groups: " + groups + " (expected: a divisor of in=" + in + " and out=" + out + ")");
        }
        this.weight = registerParameter("weight", Init.kaimingNormalFanOut(out, in / groups, kernel, kernel));
        this.bias = bias ? registerParameter("bias", Init.constant(0, out)) : null;
        this.stride = new long[] {stride, stride};
        this.padding = new long[] {padding, padding};
        this.dilation = new long[] {dilation, dilation};
        this.groups = groups;
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        return Kernels.conv2d(x, weight, bias, stride, padding, dilation, groups);
    }

    /** Stride {height, width} (a copy; for graph exporters). */
    public long[] stride() {
        return stride.clone();
    }

    /** Symmetric zero padding {height, width} (a copy). */
    public long[] padding() {
        return padding.clone();
    }

    /** Dilation {height, width} (a copy). */
    public long[] dilation() {
        return dilation.clone();
    }

    /** Number of groups (the channels for a depthwise convolution). */
    public long groups() {
        return groups;
    }
}
