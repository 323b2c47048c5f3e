package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Turns {@link DetectorOutput} into {@link Detections}: each side distribution's expectation
 * gives {@code l, t, r, b} distances, the anchor point and stride give corner boxes, each anchor
 * keeps its best class, anchors under the confidence threshold are dropped, the
 * {@code maxCandidates} best go through batched {@link Nms} (class-aware unless
 * {@code agnostic}), and the {@code maxDet} best survivors are returned. All in tensor ops on the
 * predictions' device; one host read per NMS pass; images go through NMS in slices whose IoU
 * matrices stay under 16M elements (3000 candidates: one image at a time). Stateless and thread-safe.
 */
public final class DetectionDecoder {
    private DetectionDecoder() {}

    /**
     * Post-processing settings. Immutable.
     *
     * @param conf          minimum class probability of a detection, in [0, 1)
     * @param iou           NMS IoU threshold, in (0, 1]
     * @param maxDet        detections kept per image, &gt;= 1
     * @param maxCandidates boxes per image entering NMS (the best by score), &gt;= 1
     * @param agnostic      whether boxes of different classes suppress each other
     */
    public record Options(double conf, double iou, int maxDet, int maxCandidates, boolean agnostic) {
        public Options {
            if (!(conf >= 0 && conf < 1)) throw new IllegalArgumentException("conf: " + conf + " (expected: in [0, 1))");
            if (!(iou > 0 && iou <= 1)) throw new IllegalArgumentException("iou: " + iou + " (expected: in (0, 1])");
            if (maxDet < 1) throw new IllegalArgumentException("max_det: " + maxDet + " (expected: >= 1)");
            if (maxCandidates < 1) {
                throw new IllegalArgumentException("max_candidates: " + maxCandidates + " (expected: >= 1)");
            }
        }

        /** conf 0.25, iou 0.7, 300 detections, 3000 candidates, class-aware. */
        public static Options defaults() {
            return new Options(0.25, 0.7, 300, 3000, false);
        }

        /** Settings for mAP evaluation: conf 0.001 (keep nearly everything), iou 0.7. */
        public static Options evaluation() {
            return new Options(0.001, 0.7, 300, 3000, false);
        }

        public Options withConf(double c) {
            return new Options(c, iou, maxDet, maxCandidates, agnostic);
        }

        public Options withIou(double i) {
            return new Options(conf, i, maxDet, maxCandidates, agnostic);
        }

        public Options withMaxDet(int m) {
            return new Options(conf, iou, m, maxCandidates, agnostic);
        }
    }

    /** Decodes a batch (no autograd). */
    public static Detections decode(DetectorOutput out, Options o) {
        try (NoGradGuard ng = new NoGradGuard()) {
            return select(out.boxes(), out.scores(), o);
        }
    }

    /** IoU matrices of at most this many elements per NMS call (images are processed in slices). */
    private static final long NMS_ELEMENTS = 1L << 24;

    static Tensor chunkedNms(Tensor boxes, Tensor classes, Tensor valid, double iou, long maxElements) {
        long b = boxes.size(0);
        long k = boxes.size(1);
        long per = Math.max(1, maxElements / Math.max(1, k * k));
        if (per >= b) {
            return Nms.keepPerClass(boxes, classes, valid, iou);
        }
        Tensor[] parts = new Tensor[(int) ((b + per - 1) / per)];
        for (int i = 0; i < parts.length; i++) {
            long start = i * per;
            long len = Math.min(per, b - start);
            parts[i] = Nms.keepPerClass(boxes.narrow(0, start, len), classes == null ? null : classes.narrow(0, start, len),
                    valid.narrow(0, start, len), iou);
        }
        return T.cat(0, parts);
    }

    /**
     * Confidence filter, NMS and top-{@code maxDet} over already decoded predictions.
     *
     * @param boxes  float [B, A, 4] corners
     * @param scores float [B, A, C] class probabilities
     */
    public static Detections select(Tensor boxes, Tensor scores, Options o) {
        try (NoGradGuard ng = new NoGradGuard()) {
            long b = boxes.size(0);
            long a = boxes.size(1);
            var best = scores.max(2);
            Tensor conf = best.get0();
            Tensor cls = best.get1();
            long k = Math.min(o.maxCandidates(), a);
            var top = conf.topk(k, 1, true, true);
            Tensor candScore = top.get0();
            Tensor idx = top.get1();
            Tensor candBoxes = boxes.to(torch.ScalarType.Float).gather(1, idx.unsqueeze(-1).expand(b, k, 4));
            Tensor candCls = cls.gather(1, idx);
            Tensor valid = candScore.gt(s(o.conf()));
            // candidates are sorted by score: past the largest count above conf, every column is invalid, so the
            // IoU matrix covers only the live ones (1344^2 -> a few dozen^2 for a trained detector at conf 0.25)
            long live = valid.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).amax().item_long();
            long n = Math.max(1, Math.min(k, live));
            Tensor keep = chunkedNms(candBoxes.narrow(1, 0, n), o.agnostic() ? null : candCls.narrow(1, 0, n),
                    valid.narrow(1, 0, n), o.iou(), NMS_ELEMENTS);
            if (n < k) {
                keep = T.cat(1, keep, valid.narrow(1, n, k - n));
            }
            long d = Math.min(o.maxDet(), k);
            Tensor ranked = T.where(keep, candScore, T.full(-1, T.floats(candScore), 1, 1).expand(b, k));
            var fin = ranked.topk(d, 1, true, true);
            Tensor order = fin.get1();
            Tensor kept = fin.get0().ge(s(0));
            Tensor keptF = kept.to(torch.ScalarType.Float);
            Tensor outBoxes = candBoxes.gather(1, order.unsqueeze(-1).expand(b, d, 4)).mul(keptF.unsqueeze(-1));
            Tensor outScores = candScore.gather(1, order).mul(keptF);
            Tensor outCls = T.where(kept, candCls.gather(1, order), T.full(-1, T.longs(candCls), 1, 1).expand(b, d));
            Tensor counts = kept.sum(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()).to(torch.ScalarType.Long);
            return new Detections(outBoxes, outScores, outCls, counts);
        }
    }
}
