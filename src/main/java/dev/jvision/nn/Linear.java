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
        long rows = x.dim() >= 2 ? x.numel() / Math.max(1, x.size(-1)) : 0;
        if (VIA_CONV && rows >= MIN_ROWS_VIA_CONV && !x.is_cuda() && x.is_contiguous()
                && x.scalar_type().intern() == torch.ScalarType.Float) {
            return viaConv(x, rows);
        }
        return torch.linear(x, weight, new TensorOptional(bias));
    }

    /**
     * On CPU, libtorch's linear runs on OpenBLAS, single-threaded under OPENBLAS_NUM_THREADS=1 (which
     * jvision needs so that OpenBLAS and libtorch's OpenMP pool do not stall each other). A 1x1
     * convolution over the same memory runs on oneDNN with libtorch's threads, about twice as
     * fast on 2 cores: {@code [..., C]} rows are viewed as a channels-last {@code [1, C, rows, 1]}
     * image, so neither input nor output is copied.
     */
    private Tensor viaConv(Tensor x, long rows) {
        long[] shape = new long[(int) x.dim()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = x.size(i);
        }
        shape[shape.length - 1] = out;
        Tensor image = x.view(1, rows, 1, in).permute(0, 3, 1, 2);
        Tensor y = torch.conv2d(image, weight.view(out, in, 1, 1), new TensorOptional(bias), ONES, ZEROS, ONES, 1);
        return y.permute(0, 2, 3, 1).reshape(shape);
    }

    /** Whether CPU float linears run as oneDNN 1x1 convolutions ({@code -Djvision.linearViaConv=false} turns it off). */
    static final boolean VIA_CONV = !"false".equals(System.getProperty("jvision.linearViaConv"));
    private static final long MIN_ROWS_VIA_CONV = 64;
    private static final long[] ONES = {1, 1};
    private static final long[] ZEROS = {0, 0};
}
