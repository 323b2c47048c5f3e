package dev.jvision.train.task;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Classification losses on soft targets (float32 {@code [N, C]} rows summing to one: one-hot
 * labels, or Mixup/CutMix mixtures). Results are float32 scalars in the caller's scope; logits
 * of any floating dtype (bf16 under autocast) are promoted to float32 first. Stateless.
 */
public final class Losses {
    private Losses() {}

    /** One-hot float32 {@code [N, numClasses]} targets on {@code like}'s device. */
    public static Tensor oneHot(int[] labels, int numClasses, Device device) {
        float[] t = new float[labels.length * numClasses];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException("label " + labels[i] + " at row " + i + " (expected: in [0, "
                        + numClasses + "))");
            }
            t[i * numClasses + labels[i]] = 1f;
        }
        return Tensors.fromFloats(t, labels.length, numClasses).to(device.toNative(), torch.ScalarType.Float);
    }

    /** Label smoothing of soft targets: {@code t * (1 - eps) + eps / C}. */
    public static Tensor smooth(Tensor targets, double eps) {
        if (eps == 0) {
            return targets;
        }
        long c = targets.size(1);
        return targets.mul(new Scalar(1 - eps)).add(new Scalar(eps / c));
    }

    /**
     * Soft-target cross-entropy {@code mean_i sum_c -w_c t_ic log softmax(z_i)_c}, with label
     * smoothing applied to the targets and optional per-class weights {@code [C]} (null = 1).
     * With one-hot targets and no weights this equals {@code F.cross_entropy(label_smoothing=eps)}.
     */
    public static Tensor softTargetCrossEntropy(Tensor logits, Tensor targets, double smoothing, Tensor classWeights) {
        Tensor z = logits.to(torch.ScalarType.Float);
        Tensor t = smooth(targets, smoothing);
        if (classWeights != null) {
            t = t.mul(classWeights);
        }
        Tensor logp = torch.log_softmax(z, 1, new ScalarTypeOptional());
        return t.mul(logp).sum(new long[] {1}, false, new ScalarTypeOptional()).mean().neg();
    }

    /**
     * Binary cross-entropy with logits against the (smoothed) soft targets, averaged over
     * samples and classes, with optional per-class weights.
     */
    public static Tensor binaryCrossEntropy(Tensor logits, Tensor targets, double smoothing, Tensor classWeights) {
        Tensor z = logits.to(torch.ScalarType.Float);
        Tensor t = smooth(targets, smoothing);
        TensorOptional w = classWeights == null ? new TensorOptional() : new TensorOptional(classWeights);
        return torch.binary_cross_entropy_with_logits(z, t, w, new TensorOptional(), 1);
    }
}
