package dev.jvision.nn;

import dev.jvision.runtime.Kernels;
import org.bytedeco.pytorch.Tensor;

/**
 * Fully connected layer ({@code weight} [out, in], {@code bias} [out]), PyTorch's default init.
 * Runs through {@link Kernels#linear}, which picks oneDNN on the CPU where the native self-check
 * proved it. Not thread-safe.
 */
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
        return Kernels.linear(x, weight, bias);
    }

    /** {@code gelu(forward(x))} with the exact (erf) GELU; fused into the matrix product where it can be. */
    public Tensor forwardGelu(Tensor x) {
        checkOpen();
        return Kernels.linearGelu(x, weight, bias);
    }
}
