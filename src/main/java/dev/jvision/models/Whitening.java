package dev.jvision.models;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Patch-whitening initialisation of a first convolution (airbench, arXiv 2404.00498, after
 * Coates and Ng): the filters become the eigenvectors of the training patches' covariance,
 * each scaled by {@code 1 / sqrt(eigenvalue + eps)} (largest eigenvalue first), followed by
 * their negations, so that the layer's outputs start decorrelated with unit variance and the
 * GELU after it sees both signs. Statistics are accumulated in float64 on the CPU, over chunks
 * of images (the patches are never all in memory). Stateless and thread-safe; the tensors it creates belong to the caller's scope.
 */
public final class Whitening {
    /** Images per chunk of the patch statistics. */
    private static final long CHUNK = 256;

    private Whitening() {}

    /**
     * Overwrites {@code weight} [out, c, k, k] (and {@code bias} [out] when not null) with the
     * whitening filters of the k x k patches of {@code images} [N, c, H, W].
     *
     * @throws IllegalArgumentException when {@code out} is odd or above {@code 2 c k k}, or the
     *     images' channels differ from the weight's
     */
    public static void initialise(Tensor weight, Tensor bias, Tensor images, double eps) {
        if (weight.dim() != 4 || weight.size(2) != weight.size(3)) {
            throw new IllegalArgumentException("whitening: weight of " + weight.dim() + " dims (expected: a square conv kernel)");
        }
        long out = weight.size(0);
        long c = weight.size(1);
        long k = weight.size(2);
        long d = c * k * k;
        if (out % 2 != 0 || out > 2 * d) {
            throw new IllegalArgumentException("whitening: " + out + " filters (expected: even and <= 2 x " + d
                    + ", the patch dimension)");
        }
        if (images.dim() != 4 || images.size(1) != c || images.size(2) < k || images.size(3) < k) {
            throw new IllegalArgumentException("whitening: images " + java.util.Arrays.toString(images.sizes().vec().get())
                    + " (expected: [N, " + c + ", >= " + k + ", >= " + k + "])");
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("whitening: eps " + eps + " (expected: > 0)");
        }
        try (NoGradGuard ng = new NoGradGuard()) {
            // sums over chunks of images, so that the patches ([N x L, d]) are never all in memory
            Tensor sum = torch.zeros(new long[] {d}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double));
            Tensor outer = torch.zeros(new long[] {d, d}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Double));
            long rows = 0;
            for (long start = 0; start < images.size(0); start += CHUNK) {
                long len = Math.min(CHUNK, images.size(0) - start);
                Tensor x = images.narrow(0, start, len).detach().to(torch.ScalarType.Double).contiguous().cpu();
                // [n, c, h', w', k, k] views -> rows (c, dy, dx) per position, one copy
                Tensor patches = x.unfold(2, k, 1).unfold(3, k, 1).permute(0, 2, 3, 1, 4, 5).reshape(-1, d);
                sum.add_(patches.sum(new long[] {0}, false, new ScalarTypeOptional()));
                outer.add_(patches.t().matmul(patches));
                rows += patches.size(0);
            }
            Tensor mean = sum.div(new Scalar((double) rows));
            Tensor cov = outer.div(new Scalar((double) rows)).sub(torch.outer(mean, mean));
            T_TensorTensor_T eig = torch.linalg_eigh(cov);
            Tensor vals = eig.get0().flip(0);
            Tensor vecs = eig.get1().flip(1);
            long half = out / 2;
            Tensor scale = vals.narrow(0, 0, half).add(new Scalar(eps)).rsqrt();
            Tensor filters = vecs.narrow(1, 0, half).t().mul(scale.unsqueeze(1)); // [half, d]
            Tensor all = torch.cat(new org.bytedeco.pytorch.TensorVector(filters, filters.neg())); // [out, d]
            weight.detach().copy_(all.reshape(out, c, k, k).to(weight.device(), weight.scalar_type()));
            if (bias != null) {
                bias.detach().copy_(all.matmul(mean).neg().to(bias.device(), bias.scalar_type()));
            }
        }
    }
}
