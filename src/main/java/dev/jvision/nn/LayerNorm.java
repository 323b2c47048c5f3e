package dev.jvision.nn;

import dev.jvision.runtime.Kernels;
import org.bytedeco.pytorch.Tensor;

/**
 * Layer normalisation over the last dimension ({@code weight}, {@code bias} of size
 * {@code channels}), as PyTorch's nn.LayerNorm; with {@code channelsFirst} it normalises the
 * channel dimension of an NCHW tensor (timm's LayerNorm2d). Not thread-safe.
 */
public final class LayerNorm extends Layer {
    private final Tensor weight;
    private final Tensor bias;
    private final long channels;
    private final double eps;
    private final boolean channelsFirst;

    /** Last-dimension layer norm with eps 1e-5. */
    public LayerNorm(long channels) {
        this(channels, 1e-5, false);
    }

    public LayerNorm(long channels, double eps, boolean channelsFirst) {
        this.channels = channels;
        this.eps = eps;
        this.channelsFirst = channelsFirst;
        this.weight = registerParameter("weight", Init.constant(1, channels));
        this.bias = registerParameter("bias", Init.constant(0, channels));
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        if (!channelsFirst) {
            return Kernels.layerNorm(x, new long[] {channels}, weight, bias, eps);
        }
        Tensor nhwc = x.permute(0, 2, 3, 1);
        Tensor y = Kernels.layerNorm(nhwc, new long[] {channels}, weight, bias, eps);
        return y.permute(0, 3, 1, 2);
    }

    /** The epsilon added to the variance (for graph exporters). */
    public double eps() {
        return eps;
    }

    /** True when it normalises the channel dimension of NCHW input (timm's LayerNorm2d). */
    public boolean channelsFirst() {
        return channelsFirst;
    }
}
