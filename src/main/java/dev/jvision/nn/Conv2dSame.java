package dev.jvision.nn;

import dev.jvision.runtime.Kernels;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * 2-d convolution with TensorFlow's {@code "SAME"} padding computed from each input's size, as
 * timm's {@code Conv2dSame}: the input is zero-padded by
 * {@code max((ceil(n / stride) - 1) * stride + (k - 1) * dilation + 1 - n, 0)} per spatial
 * dimension, the smaller half before and the larger half after, so that the output has
 * {@code ceil(n / stride)} pixels. Parameters {@code weight} [out, in/groups, k, k] and optional
 * {@code bias}, as PyTorch's Conv2d (Kaiming-normal fan-out init; model families re-initialise
 * as they need). Not thread-safe.
 */
public final class Conv2dSame extends Layer {
    private final Tensor weight;
    private final Tensor bias;
    private final int kernel;
    private final int stride;
    private final int dilation;
    private final long groups;

    public Conv2dSame(long in, long out, int kernel, int stride, int dilation, int groups, boolean bias) {
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("groups: " + groups + " (expected: a divisor of in=" + in + " and out=" + out + ")");
        }
        if (kernel < 1 || stride < 1 || dilation < 1) {
            throw new IllegalArgumentException("kernel/stride/dilation: " + kernel + "/" + stride + "/" + dilation + " (expected: >= 1)");
        }
        this.weight = registerParameter("weight", Init.kaimingNormalFanOut(out, in / groups, kernel, kernel));
        this.bias = bias ? registerParameter("bias", Init.constant(0, out)) : null;
        this.kernel = kernel;
        this.stride = stride;
        this.dilation = dilation;
        this.groups = groups;
    }

    /** Total TF "SAME" padding of one spatial dimension of {@code size} pixels. */
    public static long samePadding(long size, int kernel, int stride, int dilation) {
        long outSize = (size + stride - 1) / stride;
        return Math.max((outSize - 1) * stride + (long) (kernel - 1) * dilation + 1 - size, 0);
    }

    /** True when "SAME" padding does not depend on the input size (stride 1, odd effective kernel). */
    public static boolean isStatic(int kernel, int stride, int dilation) {
        return stride == 1 && (dilation * (kernel - 1)) % 2 == 0;
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        long padH = samePadding(x.size(2), kernel, stride, dilation);
        long padW = samePadding(x.size(3), kernel, stride, dilation);
        Tensor in = x;
        if (padH > 0 || padW > 0) {
            in = torch.constant_pad_nd(x, padW / 2, padW - padW / 2, padH / 2, padH - padH / 2);
        }
        return Kernels.conv2d(in, weight, bias, new long[] {stride, stride}, new long[] {0, 0},
                new long[] {dilation, dilation}, groups);
    }

    /** Square kernel side (for graph exporters). */
    public int kernel() {
        return kernel;
    }

    /** Stride of both spatial dimensions. */
    public int stride() {
        return stride;
    }

    /** Dilation of both spatial dimensions. */
    public int dilation() {
        return dilation;
    }

    /** Number of groups. */
    public long groups() {
        return groups;
    }
}
