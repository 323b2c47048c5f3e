package dev.jvision.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

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
            return torch.layer_norm(x, new long[] {channels}, new TensorOptional(weight), new TensorOptional(bias), eps, true);
        }
        Tensor nhwc = x.permute(0, 2, 3, 1);
        Tensor y = torch.layer_norm(nhwc, new long[] {channels}, new TensorOptional(weight), new TensorOptional(bias), eps, true);
        return y.permute(0, 3, 1, 2);
    }
}
