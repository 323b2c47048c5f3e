package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * TOOD's task-aligned label assignment (Feng et al. 2021), vectorised over a padded batch of
 * ground truths. For every gt box {@code j} and anchor point {@code i} the alignment metric is
 * {@code t = s^alpha * u^beta}, where {@code s} is the predicted probability of {@code j}'s
 * class at {@code i} and {@code u} the IoU of {@code i}'s predicted box with {@code j}. Among the
 * anchors whose centres lie inside {@code j}, the {@code topK} largest {@code t} become {@code j}'s
 * positives; an anchor chosen by several gts keeps the one its predicted box overlaps most. The
 * classification target of a positive is its gt class with the normalised alignment
 * {@code t / max_j(t) * max_j(u)} (the maxima over {@code j}'s positives), so the best-aligned
 * anchor of each gt is asked for a score equal to the best IoU reached for that gt.
 *
 * <p>Padding: gt rows with class {@code -1} are ignored, so images with no boxes (all padding,
 * or {@code M = 0}) are all background. Runs without autograd; the returned tensors are new and
 * belong to the caller's scope. Immutable and thread-safe.
 */
public final class TaskAlignedAssigner {
    private static final double EPS = 1e-9;
    private final int topK;
    private final double alpha;
    private final double beta;

    /**
     * The targets of one batch: {@code labels} int64 [B, A] (the assigned gt class, 0 for
     * background), {@code boxes} float [B, A, 4] (the assigned gt box), {@code scores} float
     * [B, A, C] (the normalised alignment at the gt class, 0 elsewhere), {@code foreground} bool
     * [B, A], {@code gtIndex} int64 [B, A] (the row of the assigned gt).
     */
    public record Assignment(Tensor labels, Tensor boxes, Tensor scores, Tensor foreground, Tensor gtIndex) {}

    /**
     * @param topK  positives per gt (candidates with the largest metric), &gt;= 1
     * @param alpha exponent of the classification score in the metric
     * @param beta  exponent of the IoU in the metric
     */
    public TaskAlignedAssigner(int topK, double alpha, double beta) {
        if (topK < 1) throw new IllegalArgumentException("top_k: " + topK + " (expected: >= 1)");
        if (!(alpha >= 0) || !(beta >= 0)) {
            throw new IllegalArgumentException("alpha/beta: " + alpha + "/" + beta + " (expected: >= 0)");
        }
        this.topK = topK;
        this.alpha = alpha;
        this.beta = beta;
    }

    /** The defaults: 10 positives per gt, alpha 0.5, beta 6. */
    public static TaskAlignedAssigner defaults() {
        return new TaskAlignedAssigner(10, 0.5, 6.0);
    }

    /**
     * Assigns the anchors of a batch.
     *
     * @param scores     predicted class probabilities (after sigmoid) [B, A, C]
     * @param predBoxes  predicted boxes, corners in pixels [B, A, 4]
     * @param anchors    anchor centres in pixels [A, 2]
     * @param gtBoxes    gt boxes, corners in pixels [B, M, 4] (M may be 0)
     * @param gtClasses  gt classes int64 [B, M], {@code -1} for padding rows
     */
    public Assignment assign(Tensor scores, Tensor predBoxes, Tensor anchors, Tensor gtBoxes, Tensor gtClasses) {
        long b = scores.size(0);
        long a = scores.size(1);
        long c = scores.size(2);
        long m = gtBoxes.size(1);
        checkShapes(predBoxes, anchors, gtBoxes, gtClasses, b, a);
        try (NoGradGuard ng = new NoGradGuard()) {
            Tensor sc = scores.detach().to(torch.ScalarType.Float);
            Tensor pb = predBoxes.detach().to(torch.ScalarType.Float);
            if (m == 0) {
                return background(b, a, c, sc);
            }
            Tensor gb = gtBoxes.to(torch.ScalarType.Float);
            Tensor gtValid = gtClasses.ge(s(0));                                  // [B, M]
            Tensor cls = gtClasses.clamp_min(s(0)).to(torch.ScalarType.Long);    // [B, M]
            Tensor points = anchors.to(torch.ScalarType.Float).view(1, 1, a, 2);
            Tensor g = gb.unsqueeze(2);                                           // [B, M, 1, 4]
            Tensor sides = T.cat(-1, points.sub(g.narrow(-1, 0, 2)), g.narrow(-1, 2, 2).sub(points));
            Tensor inGt = sides.amin(new long[] {-1}, false).gt(s(EPS)).logical_and(gtValid.unsqueeze(-1));
            Tensor inGtF = inGt.to(torch.ScalarType.Float);                       // [B, M, A]
            Tensor clsScore = sc.permute(0, 2, 1).gather(1, cls.unsqueeze(-1).expand(b, m, a));
            Tensor overlap = T.clampMin(BoxOps.iou(g, pb.unsqueeze(1)), 0).mul(inGtF);
            Tensor metric = clsScore.pow(s(alpha)).mul(overlap.pow(s(beta))).mul(inGtF);

            long k = Math.min(topK, a);
            Tensor top = metric.topk(k, -1, true, true).get1();
            Tensor pos = torch.zeros_like(metric).scatter_(-1, top, s(1)).mul(inGtF);
            // an anchor claimed by several gts keeps the one its predicted box overlaps most
            Tensor multi = pos.sum(new long[] {1}, true, new org.bytedeco.pytorch.ScalarTypeOptional()).gt(s(1));
            Tensor best = overlap.add(s(1)).mul(pos).argmax(new org.bytedeco.pytorch.LongOptional(1), false);
            Tensor bestMask = torch.one_hot(best, m).permute(0, 2, 1).to(torch.ScalarType.Float);
            pos = T.where(multi, bestMask.mul(pos), pos);

            Tensor fg = pos.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).gt(s(0));
            Tensor gtIndex = pos.argmax(new org.bytedeco.pytorch.LongOptional(1), false);     // [B, A]
            Tensor labels = cls.gather(1, gtIndex).mul(fg.to(torch.ScalarType.Long));
            Tensor boxes = gb.gather(1, gtIndex.unsqueeze(-1).expand(b, a, 4));

            Tensor alignment = metric.mul(pos);
            Tensor maxMetric = alignment.amax(new long[] {-1}, true);
            Tensor maxIou = overlap.mul(pos).amax(new long[] {-1}, true);
            Tensor norm = alignment.mul(maxIou).div(maxMetric.add(s(EPS))).amax(new long[] {1}, false);
            Tensor fgF = fg.to(torch.ScalarType.Float);
            Tensor targetScores = torch.one_hot(labels, c).to(torch.ScalarType.Float)
                    .mul(norm.mul(fgF).unsqueeze(-1));
            return new Assignment(labels, boxes, targetScores, fg, gtIndex);
        }
    }

    private static Assignment background(long b, long a, long c, Tensor like) {
        var fo = T.floats(like);
        var lo = T.longs(like);
        return new Assignment(T.zeros(lo, b, a), T.zeros(fo, b, a, 4), T.zeros(fo, b, a, c),
                T.zeros(lo, b, a).gt(s(0)), T.zeros(lo, b, a));
    }

    private static void checkShapes(Tensor predBoxes, Tensor anchors, Tensor gtBoxes, Tensor gtClasses, long b, long a) {
        if (predBoxes.dim() != 3 || predBoxes.size(0) != b || predBoxes.size(1) != a || predBoxes.size(2) != 4) {
            throw new IllegalArgumentException("predBoxes: " + shape(predBoxes) + " (expected: [" + b + ", " + a + ", 4])");
        }
        if (anchors.dim() != 2 || anchors.size(0) != a || anchors.size(1) != 2) {
            throw new IllegalArgumentException("anchors: " + shape(anchors) + " (expected: [" + a + ", 2])");
        }
        if (gtBoxes.dim() != 3 || gtBoxes.size(0) != b || gtBoxes.size(2) != 4) {
            throw new IllegalArgumentException("gtBoxes: " + shape(gtBoxes) + " (expected: [" + b + ", M, 4])");
        }
        if (gtClasses.dim() != 2 || gtClasses.size(0) != b || gtClasses.size(1) != gtBoxes.size(1)) {
            throw new IllegalArgumentException("gtClasses: " + shape(gtClasses) + " (expected: [" + b + ", "
                    + gtBoxes.size(1) + "] int64, -1 for padding)");
        }
    }

    static String shape(Tensor t) {
        return java.util.Arrays.toString(dev.jvision.runtime.Tensors.shape(t));
    }
}
