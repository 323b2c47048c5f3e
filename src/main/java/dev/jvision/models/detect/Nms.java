package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Batched non-maximum suppression in tensor ops, as Cluster-NMS (Zheng et al. 2021, "Enhancing
 * Geometric Factors in Model Learning and Inference"): with the boxes of each image sorted by
 * descending score, {@code X} is the upper-triangular IoU matrix ({@code X[i][j]} = IoU of a
 * higher-scored {@code i} with {@code j}); repeatedly, a box is kept when no kept higher-scored
 * box overlaps it by more than the threshold, and the rows of suppressed boxes are cleared, until
 * the kept set no longer changes. The fixed point is exactly greedy NMS's result, reached in as
 * many matrix passes as the longest suppression chain (a handful in practice), with no
 * per-box host loop. Class-aware NMS zeroes the IoU of boxes of different classes (exact, unlike
 * shifting boxes by a class offset, which loses float32 precision with thousands of classes). Stateless and thread-safe; results belong to the
 * caller's scope.
 */
public final class Nms {
    private Nms() {}

    /**
     * Which boxes greedy NMS keeps.
     *
     * @param boxes     float [B, K, 4] corners, each image's boxes sorted by descending score
     * @param valid     bool [B, K]: false for padding (never kept, suppress nothing)
     * @param threshold a box is suppressed by a kept box overlapping it with IoU &gt; threshold
     * @return bool [B, K]
     */
    public static Tensor keep(Tensor boxes, Tensor valid, double threshold) {
        return keepPerClass(boxes, null, valid, threshold);
    }

    /**
     * Class-aware variant: boxes of different {@code classes} (int64 [B, K]) never suppress
     * each other.
     */
    public static Tensor keepPerClass(Tensor boxes, Tensor classes, Tensor valid, double threshold) {
        try (NoGradGuard ng = new NoGradGuard()) {
            long k = boxes.size(1);
            if (k == 0) {
                return valid.clone();
            }
            Tensor vf = valid.to(torch.ScalarType.Float);
            Tensor x = BoxOps.pairwiseIou(boxes.to(torch.ScalarType.Float), boxes.to(torch.ScalarType.Float)).triu(1)
                    .mul(vf.unsqueeze(2)).mul(vf.unsqueeze(1));
            if (classes != null) {
                x = x.mul(classes.unsqueeze(2).eq(classes.unsqueeze(1)).to(torch.ScalarType.Float));
            }
            Tensor current = x;
            Tensor kept = null;
            for (long it = 0; it <= k; it++) {
                kept = current.amax(new long[] {1}, false).le(s(threshold));
                Tensor next = x.mul(kept.to(torch.ScalarType.Float).unsqueeze(2));
                if (torch.equal(next, current)) {
                    break;
                }
                current = next;
            }
            return kept.logical_and(valid);
        }
    }
}
