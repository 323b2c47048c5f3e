package dev.jvision.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Batch normalisation with PyTorch's state names ({@code weight}, {@code bias},
 * {@code running_mean}, {@code running_var}, {@code num_batches_tracked}). Running statistics
 * are updated in training mode with {@code momentum}. Not thread-safe.
 */
public final class BatchNorm2d extends Layer {
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;
    private final double momentum;
    private final double eps;

    public BatchNorm2d(long channels) {
        this(channels, 0.1, 1e-5);
    }

    public BatchNorm2d(long channels, double momentum, double eps) {
        this.weight = registerParameter("weight", Init.constant(1, channels));
        this.bias = registerParameter("bias", Init.constant(0, channels));
        this.runningMean = registerBuffer("running_mean", Init.constant(0, channels));
        this.runningVar = registerBuffer("running_var", Init.constant(1, channels));
        this.numBatchesTracked = registerBuffer("num_batches_tracked", torch.zeros(new long[0], new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Long)));
        this.momentum = momentum;
        this.eps = eps;
    }

    /** Sets the scale to zero (timm's zero-init of the last norm in a residual branch). */
    public void zeroInitWeight() {
        try (var ng = new org.bytedeco.pytorch.NoGradGuard()) {
            weight.zero_();
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        boolean training = isTraining();
        if (training) {
            try (var ng = new org.bytedeco.pytorch.NoGradGuard(); Scalar one = new Scalar(1)) {
                numBatchesTracked.add_(one);
            }
        }
        return torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias),
                new TensorOptional(runningMean), new TensorOptional(runningVar), training, momentum, eps, true);
    }
}
