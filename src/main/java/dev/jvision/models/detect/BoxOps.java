package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.last;
import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Box geometry on tensors of boxes in corner form {@code [..., 4] = (x1, y1, x2, y2)} (pixels,
 * continuous coordinates: pixel {@code i} covers {@code [i, i + 1)}): IoU and its generalised
 * (Rezatofighi et al. 2019, GIoU), distance and complete variants (Zheng et al. 2020, DIoU and
 * CIoU), pairwise IoU matrices, and the conversion between boxes and per-point side distances
 * (FCOS's {@code l, t, r, b}). Aligned functions broadcast their two arguments and drop the last
 * dimension. Results are new tensors in the caller's scope; autograd flows through them.
 * Stateless and thread-safe.
 */
public final class BoxOps {
    /** Added to denominators (areas, enclosing diagonals) so degenerate boxes give finite values. */
    public static final double EPS = 1e-7;

    private BoxOps() {}

    /** IoU of aligned boxes: {@code [..., 4]} x {@code [..., 4]} -> {@code [...]}. */
    public static Tensor iou(Tensor a, Tensor b) {
        return parts(a, b).iou;
    }

    /** Generalised IoU: IoU - (enclosing area - union) / enclosing area. In [-1, 1]. */
    public static Tensor giou(Tensor a, Tensor b) {
        Parts p = parts(a, b);
        Tensor cw = torch.maximum(last(a, 2), last(b, 2)).sub(torch.minimum(last(a, 0), last(b, 0)));
        Tensor ch = torch.maximum(last(a, 3), last(b, 3)).sub(torch.minimum(last(a, 1), last(b, 1)));
        Tensor hull = cw.mul(ch).squeeze(-1).add(s(EPS));
        return p.iou.sub(hull.sub(p.union).div(hull));
    }

    /** Distance IoU: IoU - (centre distance)^2 / (enclosing diagonal)^2. */
    public static Tensor diou(Tensor a, Tensor b) {
        Parts p = parts(a, b);
        return p.iou.sub(centrePenalty(a, b));
    }

    /**
     * Complete IoU: DIoU - alpha * v, with v = 4 / pi^2 (atan(w_b / h_b) - atan(w_a / h_a))^2
     * the aspect-ratio consistency and alpha = v / (1 - IoU + v), a trade-off weight that is
     * not differentiated (treated as a constant, as the paper's gradient derivation does).
     */
    public static Tensor ciou(Tensor a, Tensor b) {
        Parts p = parts(a, b);
        Tensor atanA = torch.atan(p.wa.div(p.ha.add(s(EPS))));
        Tensor atanB = torch.atan(p.wb.div(p.hb.add(s(EPS))));
        Tensor v = atanB.sub(atanA).square().mul(s(4.0 / (Math.PI * Math.PI))).squeeze(-1);
        Tensor alpha;
        try (var ng = new org.bytedeco.pytorch.NoGradGuard()) {
            alpha = v.div(v.sub(p.iou).add(s(1 + EPS)));
        }
        return p.iou.sub(centrePenalty(a, b)).sub(alpha.detach().mul(v));
    }

    /** IoU of every box of {@code a} [N, 4] with every box of {@code b} [M, 4]: [N, M]. */
    public static Tensor pairwiseIou(Tensor a, Tensor b) {
        return iou(a.unsqueeze(-2), b.unsqueeze(-3));
    }

    /**
     * Boxes from side distances: {@code points} [..., 2] (x, y) and {@code ltrb} [..., 4]
     * (left, top, right, bottom, same unit as the points) give {@code [..., 4]} corners.
     */
    public static Tensor distancesToBoxes(Tensor points, Tensor ltrb) {
        Tensor lt = ltrb.narrow(-1, 0, 2);
        Tensor rb = ltrb.narrow(-1, 2, 2);
        return T.cat(-1, points.sub(lt), points.add(rb));
    }

    /** Side distances {@code [..., 4]} (l, t, r, b) from {@code points} [..., 2] to {@code boxes} [..., 4]. */
    public static Tensor boxesToDistances(Tensor points, Tensor boxes) {
        return T.cat(-1, points.sub(boxes.narrow(-1, 0, 2)), boxes.narrow(-1, 2, 2).sub(points));
    }

    /** Centre form (cx, cy, w, h) to corners. */
    public static Tensor cxcywhToXyxy(Tensor b) {
        Tensor c = b.narrow(-1, 0, 2);
        Tensor half = b.narrow(-1, 2, 2).mul(s(0.5));
        return T.cat(-1, c.sub(half), c.add(half));
    }

    /** Corners to centre form (cx, cy, w, h). */
    public static Tensor xyxyToCxcywh(Tensor b) {
        Tensor p1 = b.narrow(-1, 0, 2);
        Tensor p2 = b.narrow(-1, 2, 2);
        return T.cat(-1, p1.add(p2).mul(s(0.5)), p2.sub(p1));
    }

    private static Tensor centrePenalty(Tensor a, Tensor b) {
        Tensor cw = torch.maximum(last(a, 2), last(b, 2)).sub(torch.minimum(last(a, 0), last(b, 0)));
        Tensor ch = torch.maximum(last(a, 3), last(b, 3)).sub(torch.minimum(last(a, 1), last(b, 1)));
        Tensor diag = cw.square().add(ch.square()).add(s(EPS));
        Tensor dx = last(a, 0).add(last(a, 2)).sub(last(b, 0)).sub(last(b, 2)).mul(s(0.5));
        Tensor dy = last(a, 1).add(last(a, 3)).sub(last(b, 1)).sub(last(b, 3)).mul(s(0.5));
        return dx.square().add(dy.square()).div(diag).squeeze(-1);
    }

    private record Parts(Tensor iou, Tensor union, Tensor wa, Tensor ha, Tensor wb, Tensor hb) {}

    private static Parts parts(Tensor a, Tensor b) {
        Tensor wa = last(a, 2).sub(last(a, 0));
        Tensor ha = last(a, 3).sub(last(a, 1));
        Tensor wb = last(b, 2).sub(last(b, 0));
        Tensor hb = last(b, 3).sub(last(b, 1));
        Tensor iw = T.clampMin(torch.minimum(last(a, 2), last(b, 2)).sub(torch.maximum(last(a, 0), last(b, 0))), 0);
        Tensor ih = T.clampMin(torch.minimum(last(a, 3), last(b, 3)).sub(torch.maximum(last(a, 1), last(b, 1))), 0);
        Tensor inter = iw.mul(ih).squeeze(-1);
        Tensor union = wa.mul(ha).add(wb.mul(hb)).squeeze(-1).sub(inter).add(s(EPS));
        return new Parts(inter.div(union), union, wa, ha, wb, hb);
    }
}
