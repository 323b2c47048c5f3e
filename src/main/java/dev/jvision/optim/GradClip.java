package dev.jvision.optim;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorList;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Gradient clipping by global norm, as {@code torch.nn.utils.clip_grad_norm_}: every gradient
 * is multiplied by {@code min(1, maxNorm / (norm + 1e-6))}, where norm is the 2-norm of all
 * gradients together (signs are kept). Two foreach calls, no host synchronisation. Stateless.
 */
public final class GradClip {
    private GradClip() {}

    /** Clips the gradients of {@code params}; returns the total norm before clipping (a scalar tensor, caller's scope). */
    public static Tensor clipGlobalNorm(List<Tensor> params, double maxNorm) {
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined()) grads.add(g);
        }
        if (grads.isEmpty()) return torch.zeros(new long[] {});
        try (NoGradGuard ng = new NoGradGuard()) {
            TensorList norms = AtenOps.norms(grads);
            Tensor[] arr = new Tensor[(int) norms.size()];
            for (int i = 0; i < arr.length; i++) arr[i] = norms.get(i);
            Tensor total = torch.stack(new TensorVector(arr)).norm();
            Tensor coef = total.add(new Scalar(1e-6)).reciprocal().mul(new Scalar(maxNorm)).clamp_max(new Scalar(1.0));
            AtenOps.mul(grads, coef);
            return total;
        }
    }
}
