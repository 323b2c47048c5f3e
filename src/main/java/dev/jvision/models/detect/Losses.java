package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Element-wise detection losses (no reduction; the caller weights and sums): binary cross
 * entropy on logits, Varifocal Loss (Zhang et al. 2021, VarifocalNet) and Distribution Focal Loss
 * (Li et al. 2020, Generalized Focal Loss). Results are new tensors in the caller's scope.
 * Stateless and thread-safe.
 */
public final class Losses {
    private Losses() {}

    /** {@code -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))} per element; {@code y} in [0, 1]. */
    public static Tensor bce(Tensor logits, Tensor targets) {
        return torch.binary_cross_entropy_with_logits(logits, targets.to(logits.scalar_type()), new TensorOptional(),
                new TensorOptional(), 0);
    }

    /**
     * Varifocal Loss per element. With {@code p = sigmoid(logits)} and the IoU-aware target
     * {@code q} ({@code q > 0} only at the gt class of a foreground location):
     * {@code VFL = -q (q log p + (1 - q) log(1 - p))} where {@code q > 0}, and
     * {@code VFL = -alpha p^gamma log(1 - p)} where {@code q = 0}. Computed as BCE(logits, q)
     * times that weight; the weight {@code alpha p^gamma} is not differentiated (it only scales
     * the gradient of the BCE term).
     *
     * @param alpha weight of negatives (the paper uses 0.75)
     * @param gamma focusing exponent on negatives (the paper uses 2)
     */
    public static Tensor varifocal(Tensor logits, Tensor q, double alpha, double gamma) {
        Tensor qf = q.to(logits.scalar_type());
        Tensor positive = qf.gt(s(0)).to(logits.scalar_type());
        Tensor p = torch.sigmoid(logits.detach());
        Tensor weight = p.pow(s(gamma)).mul(s(alpha)).mul(positive.neg().add(s(1))).add(qf.mul(positive));
        return bce(logits, qf).mul(weight);
    }

    /**
     * Distribution Focal Loss: each box side is a distribution over {@code R} bins
     * {@code 0 .. R-1} ({@code logits} [..., R]); a continuous target {@code y} in [0, R - 1]
     * ({@code target} [...]) is learnt as the cross entropy to its two neighbouring bins
     * {@code yl = floor(y)}, {@code yr = yl + 1}, weighted {@code yr - y} and {@code y - yl}:
     * {@code DFL = -((yr - y) log S(yl) + (y - yl) log S(yr))}, S the softmax. Returns [...].
     * Targets are clamped into [0, R - 1 - 0.01] so that both neighbours exist.
     */
    public static Tensor distributionFocal(Tensor logits, Tensor target) {
        long bins = logits.size(-1);
        Tensor y = T.clamp(target.to(torch.ScalarType.Float), 0, bins - 1 - 0.01);
        Tensor left = y.floor().to(torch.ScalarType.Long);
        Tensor right = left.add(new org.bytedeco.pytorch.Scalar(1L));
        Tensor wl = right.to(torch.ScalarType.Float).sub(y);
        Tensor wr = y.sub(left.to(torch.ScalarType.Float));
        Tensor logp = torch.log_softmax(logits.to(torch.ScalarType.Float), -1);
        Tensor ll = logp.gather(-1, left.unsqueeze(-1)).squeeze(-1);
        Tensor lr = logp.gather(-1, right.unsqueeze(-1)).squeeze(-1);
        return ll.mul(wl).add(lr.mul(wr)).neg();
    }
}
