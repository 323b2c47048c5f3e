package dev.jvision.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Fully connected layer ({@code weight} [out, in], {@code bias} [out]), PyTorch's default init. Not thread-safe. */
public final class Linear extends Layer {
    private final Tensor weight;
    private final Tensor bias;
    private final long in;
    private final long out;

    public Linear(long in, long out) {
        this.in = in;
        this.out = out;
        this.weight = registerParameter("weight", Init.uniformFanIn(in, out, in));
        this.bias = registerParameter("bias", Init.uniformFanIn(in, out));
    }

    public long inFeatures() {
        return in;
    }

    public long outFeatures() {
        return out;
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        return torch.linear(x, weight, new TensorOptional(bias));
    }
}
