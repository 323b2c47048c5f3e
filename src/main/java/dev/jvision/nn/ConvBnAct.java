package dev.jvision.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * Convolution (no bias, "same" padding for odd kernels), batch norm and SiLU: children
 * {@code conv} and {@code bn}. The building block of the detector's CSP backbone, neck and head.
 * Not thread-safe.
 */
public final class ConvBnAct extends Layer {
    private final Conv2d conv;
    private final BatchNorm2d bn;
    private final long outChannels;

    /**
     * @param in     input channels
     * @param out    output channels
     * @param kernel odd kernel size
     * @param stride stride
     */
    public ConvBnAct(long in, long out, int kernel, int stride) {
        this(in, out, kernel, stride, 1);
    }

    /** As {@link #ConvBnAct(long, long, int, int)} with {@code groups} (depthwise when groups = in = out). */
    public ConvBnAct(long in, long out, int kernel, int stride, int groups) {
        if (kernel % 2 == 0) {
            throw new IllegalArgumentException("kernel: " + kernel + " (expected: odd)");
        }
        conv = registerChild("conv", new Conv2d(in, out, kernel, stride, kernel / 2, 1, groups, false));
        // detection recipes train with small batches: a slower running average and a larger eps
        bn = registerChild("bn", new BatchNorm2d(out, 0.03, 1e-3));
        outChannels = out;
    }

    public long outChannels() {
        return outChannels;
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        return Ops.silu(bn.forward(conv.forward(x)));
    }
}
