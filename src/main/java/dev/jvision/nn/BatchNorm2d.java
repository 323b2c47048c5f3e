package dev.jvision.nn;

import dev.jvision.runtime.dist.ProcessGroup;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorTensorHook;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Batch normalisation with PyTorch's state names ({@code weight}, {@code bias},
 * {@code running_mean}, {@code running_var}, {@code num_batches_tracked}). Running statistics
 * are updated in training mode with {@code momentum}.
 *
 * <p>After {@link #synchronize(Layer, ProcessGroup)} a layer in training mode normalises with
 * the statistics of the global batch of a data-parallel job (SyncBatchNorm): the per-channel sum
 * and count are all-reduced to the global mean, then the sum of squared deviations from it to
 * the global (biased) variance; the running statistics take the global mean and the unbiased
 * global variance, as one process with the whole batch would. The backward pass is libtorch's
 * autograd through this composition: each all-reduced statistic enters the graph as
 * {@code sum + (local - local.detach())} (the global value, with the gradient of the local
 * term), and a hook all-reduces the gradient arriving at it, so every rank gets the gradient
 * of the global loss through the shared statistics (the terms torch.nn.SyncBatchNorm all-reduces,
 * sum(dy) and sum(dy * xhat), are these gradients). Evaluation mode uses the running statistics
 * and no collectives. Every rank must run the same layers in the same order (two all-reduces per
 * layer forward, two in backward). Not thread-safe.
 */
public final class BatchNorm2d extends Layer {
    private static final long[] REDUCE = {0, 2, 3};
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;
    private double momentum;
    private final double eps;
    private ProcessGroup group;
    private GradientAllReduce hook;

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

    /**
     * Makes every BatchNorm2d under {@code model} (itself included) compute training statistics
     * over all ranks of {@code group} (null: back to per-process statistics). Returns how many
     * layers were switched. The group stays owned by the caller and must outlive the model's use.
     */
    public static int synchronize(Layer model, ProcessGroup group) {
        int n = 0;
        if (model instanceof BatchNorm2d bn) {
            bn.group = group;
            bn.hook = group == null ? null : new GradientAllReduce(group);
            n++;
        }
        for (Layer child : model.children().values()) {
            n += synchronize(child, group);
        }
        return n;
    }

    /** True when training statistics are computed over the ranks of a process group. */
    public boolean synchronizedAcrossRanks() {
        return group != null;
    }

    /**
     * Applies the small-image recipes' BatchNorm options to every BatchNorm2d under {@code model}
     * (itself included): {@code momentum} (PyTorch's convention: the weight of the new batch in
     * the running statistics; null keeps each layer's) and, with {@code frozenScale}, the scale
     * fixed at 1 and no longer trained (airbench's BatchNorm without a learnt weight). Returns
     * how many layers it changed.
     */
    public static int configure(Layer model, Double momentum, boolean frozenScale) {
        if (momentum != null && !(momentum > 0 && momentum <= 1)) {
            throw new IllegalArgumentException("batch_norm.momentum: " + momentum + " (expected: in (0, 1])");
        }
        int n = 0;
        if (model instanceof BatchNorm2d bn) {
            if (momentum != null) {
                bn.momentum = momentum;
            }
            if (frozenScale) {
                try (var ng = new org.bytedeco.pytorch.NoGradGuard(); Scalar one = new Scalar(1)) {
                    bn.weight.fill_(one);
                }
                bn.weight.requires_grad_(false);
            }
            n++;
        }
        for (Layer child : model.children().values()) {
            n += configure(child, momentum, frozenScale);
        }
        return n;
    }

    /** The dotted names of the {@code bias} of every BatchNorm2d under {@code model} (itself: {@code bias}). */
    public static java.util.Set<String> biasNames(Layer model) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        collectBiases(model, "", out);
        return out;
    }

    private static void collectBiases(Layer layer, String prefix, java.util.Set<String> out) {
        if (layer instanceof BatchNorm2d) {
            out.add(prefix + "bias");
        }
        layer.children().forEach((k, v) -> collectBiases(v, prefix + k + ".", out));
    }

    /** The running-statistics momentum (PyTorch's convention). */
    public double momentum() {
        return momentum;
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
        if (training && group != null) {
            return synchronizedForward(x);
        }
        return torch.batch_norm(x, new TensorOptional(weight), new TensorOptional(bias),
                new TensorOptional(runningMean), new TensorOptional(runningVar), training, momentum, eps, true);
    }

    /** Training-mode forward with global-batch statistics (see the class comment). */
    private Tensor synchronizedForward(Tensor x) {
        if (x.dim() != 4) {
            throw new IllegalArgumentException("BatchNorm2d input: " + x.dim() + "-d (expected: 4-d N, C, H, W)");
        }
        torch.ScalarType in = x.scalar_type().intern();
        boolean upcast = in != torch.ScalarType.Float && in != torch.ScalarType.Double;
        Tensor xf = upcast ? x.to(torch.ScalarType.Float) : x;
        long c = x.size(1);
        double localCount = (double) x.size(0) * x.size(2) * x.size(3);
        Tensor localSum = xf.sum(REDUCE, false, new ScalarTypeOptional());
        Tensor withCount;
        try (Tensor count = torch.full(new long[] {1}, new Scalar(localCount), localSum.options());
             TensorVector v = new TensorVector(localSum, count)) {
            withCount = torch.cat(v);
        }
        Tensor global = allReduce(withCount);
        Tensor total = global.narrow(0, c, 1).detach();
        Tensor mean = global.narrow(0, 0, c).div(total);
        Tensor centered = xf.sub(mean.view(1, c, 1, 1));
        Tensor squares = centered.mul(centered).sum(REDUCE, false, new ScalarTypeOptional());
        Tensor var = allReduce(squares).div(total);
        Tensor invStd = var.add(new Scalar(eps)).rsqrt();
        Tensor scale = invStd.mul(weight.to(invStd.scalar_type()));
        Tensor y = centered.mul(scale.view(1, c, 1, 1)).add(bias.to(invStd.scalar_type()).view(1, c, 1, 1));
        try (NoGradGuard ng = new NoGradGuard()) {
            double n = total.item_double();
            if (n <= 1) {
                throw new IllegalArgumentException("BatchNorm2d: " + (long) n + " value per channel over all ranks "
                        + "(expected: > 1 in training mode)");
            }
            Tensor m = mean.detach().to(runningMean.scalar_type());
            Tensor unbiased = var.detach().mul(new Scalar(n / (n - 1))).to(runningVar.scalar_type());
            runningMean.mul_(new Scalar(1 - momentum)).add_(m.mul(new Scalar(momentum)));
            runningVar.mul_(new Scalar(1 - momentum)).add_(unbiased.mul(new Scalar(momentum)));
        }
        return upcast ? y.to(in) : y;
    }

    /**
     * The sum of {@code local} over all ranks, as a tensor whose gradient reaches {@code local}
     * after being summed over all ranks.
     */
    private Tensor allReduce(Tensor local) {
        Tensor sum = local.detach().clone();
        group.allReduceSum(List.of(sum));
        Tensor out = sum.add(local.sub(local.detach()));
        if (out.requires_grad()) {
            out.register_hook(hook);
        }
        return out;
    }

    /** Backward hook: replaces a gradient by its sum over all ranks (one per layer, reused). */
    private static final class GradientAllReduce extends TensorTensorHook {
        private final ProcessGroup group;

        GradientAllReduce(ProcessGroup group) {
            this.group = group;
            retainReference(); // a native callback: must outlive any pointer scope open at creation
        }

        @Override
        public TensorBase call(TensorBase grad) {
            Tensor g;
            try (Tensor in = new Tensor(grad)) {
                g = in.contiguous().clone();
            }
            group.allReduceSum(List.of(g));
            return g;
        }
    }

    /** The epsilon added to the running variance (for graph exporters). */
    public double eps() {
        return eps;
    }
}
