package dev.jvision.augment.detect;

import dev.jvision.runtime.Kernels;
import dev.jvision.runtime.Tensors;
import java.util.Random;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Box-aware training augmentation of a detection batch on the batch's device: mosaic (each
 * sample becomes a 2x2 canvas of itself and three other images of the batch), a random
 * axis-aligned affine (zoom and shift around a random point, horizontal flip), and an HSV-style
 * colour jitter (a per-sample 3x3 colour matrix: value gain, saturation gain and a hue rotation
 * about the grey axis in YIQ space, the linear counterpart of an HSV hue shift). The geometric
 * steps are one sampling grid and one {@code grid_sample} per batch; the boxes go through the
 * same per-sample map, are clipped to the image, and are dropped when narrower or lower than
 * {@code minSize} or keeping less than {@code minAreaRatio} of their area after clipping.
 *
 * <p>Targets are padded tensors: boxes float [N, M, 4] corners in pixels of the input images,
 * classes int64 [N, M] with {@code -1} for padding. Parameters are drawn on the host from the
 * seed (the same seed gives the same batch). Returned tensors are new and belong to the caller's
 * step scope. Holds only its configuration: thread-safe.
 */
public final class BoxAugmenter {
    /**
     * An augmented batch.
     *
     * @param images  float [N, 3, H, W] RGB in [0, 1]
     * @param boxes   float [N, M', 4] corners in output pixels (valid rows first)
     * @param classes int64 [N, M'], {@code -1} for padding; M' is the largest box count kept
     */
    public record Batch(Tensor images, Tensor boxes, Tensor classes) {}

    private static final double[][] YIQ = {
        {0.299, 0.587, 0.114}, {0.596, -0.274, -0.322}, {0.211, -0.523, 0.312}};
    private static final double[][] YIQ_INV = invert(YIQ);

    private final BoxAugmentConfig cfg;

    public BoxAugmenter(BoxAugmentConfig cfg) {
        this.cfg = cfg;
    }

    public BoxAugmentConfig config() {
        return cfg;
    }

    /**
     * Augments one batch.
     *
     * @param uint8Nhwc uint8 [N, H, W, 3] RGB (letterboxed to one size)
     * @param boxes     float [N, M, 4] corners in pixels (M may be 0)
     * @param classes   int64 [N, M], {@code -1} for padding
     * @param seed      the batch seed
     * @param mosaicOn  false for the last {@code close_mosaic} epochs: no mosaic whatever the probability
     */
    public Batch apply(Tensor uint8Nhwc, Tensor boxes, Tensor classes, long seed, boolean mosaicOn) {
        check(uint8Nhwc, boxes, classes);
        int n = (int) uint8Nhwc.size(0);
        int h = (int) uint8Nhwc.size(1);
        int w = (int) uint8Nhwc.size(2);
        Params p = draw(n, w, h, seed, mosaicOn);
        Tensor x = uint8Nhwc.permute(0, 3, 1, 2).to(torch.ScalarType.Float).div(new Scalar(255.0));
        Tensor b = boxes.to(x.device(), torch.ScalarType.Float);
        Tensor c = classes.to(x.device(), torch.ScalarType.Long);
        double pad = cfg.padValue() / 255.0;
        int srcW = w;
        int srcH = h;
        if (p.anyMosaic) {
            Tensor mask = upload(p.mosaicF, x, n);                        // [N] 1.0 where mosaic
            Tensor[] imgs = new Tensor[4];
            Tensor[] bs = new Tensor[4];
            Tensor[] cs = new Tensor[4];
            for (int k = 0; k < 4; k++) {
                Tensor idx = Tensors.fromInts(p.quadrant[k]).to(x.device(), torch.ScalarType.Long);
                Tensor q = k == 0 ? x : x.index_select(0, idx);
                Tensor qb = k == 0 ? b : b.index_select(0, idx);
                Tensor qc = k == 0 ? c : c.index_select(0, idx);
                if (k > 0) {   // samples without mosaic see padding (and no boxes) outside their own quadrant
                    Tensor m4 = mask.view(n, 1, 1, 1);
                    q = q.mul(m4).add(m4.neg().add(new Scalar(1)).mul(new Scalar(pad)));
                    qc = torch.where(mask.view(n, 1).gt(new Scalar(0.5)), qc, new Scalar(-1L));
                }
                float ox = (k % 2) * w;
                float oy = (k / 2) * h;
                imgs[k] = q;
                bs[k] = qb.add(Tensors.fromFloats(new float[] {ox, oy, ox, oy}, 4).to(x.device(), torch.ScalarType.Float));
                cs[k] = qc;
            }
            x = cat(2, cat(3, imgs[0], imgs[1]), cat(3, imgs[2], imgs[3]));
            b = cat(1, bs);
            c = cat(1, cs);
            srcW = 2 * w;
            srcH = 2 * h;
        }
        Tensor out = x;
        if (p.geometric || p.anyMosaic) {
            Tensor ax = upload(p.ax, x, n, 1);
            Tensor bx = upload(p.bx, x, n, 1);
            Tensor ay = upload(p.ay, x, n, 1);
            Tensor by = upload(p.by, x, n, 1);
            Tensor cols = torch.arange(new Scalar(w), x.options()).add(new Scalar(0.5)).view(1, w);
            Tensor rows = torch.arange(new Scalar(h), x.options()).add(new Scalar(0.5)).view(1, h);
            // output pixel q -> source p = (q - b) / a -> normalised 2 p / side - 1 (align_corners false)
            Tensor u = cols.sub(bx).div(ax).mul(new Scalar(2.0 / srcW)).sub(new Scalar(1));
            Tensor v = rows.sub(by).div(ay).mul(new Scalar(2.0 / srcH)).sub(new Scalar(1));
            Tensor grid = stack(-1, u.view(n, 1, w).expand(n, h, w), v.view(n, h, 1).expand(n, h, w));
            out = Kernels.gridSample(x.sub(new Scalar(pad)), grid, 0, 0, false).add(new Scalar(pad));
            Tensor x1 = b.narrow(2, 0, 1).mul(ax.unsqueeze(-1)).add(bx.unsqueeze(-1));
            Tensor x2 = b.narrow(2, 2, 1).mul(ax.unsqueeze(-1)).add(bx.unsqueeze(-1));
            Tensor y1 = b.narrow(2, 1, 1).mul(ay.unsqueeze(-1)).add(by.unsqueeze(-1));
            Tensor y2 = b.narrow(2, 3, 1).mul(ay.unsqueeze(-1)).add(by.unsqueeze(-1));
            b = cat(2, torch.minimum(x1, x2), torch.minimum(y1, y2), torch.maximum(x1, x2), torch.maximum(y1, y2));
        }
        Tensor[] kept = filter(b, c, w, h);
        if (p.colour) {
            Tensor mats = upload(p.colourMatrices, out, n, 3, 3);
            out = torch.bmm(mats, out.reshape(n, 3, (long) h * w)).view(n, 3, h, w)
                    .clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(1.0)));
        }
        return new Batch(out.contiguous(), kept[0], kept[1]);
    }

    /**
     * Clips boxes to {@code [0, w] x [0, h]}, drops the ones too small or mostly outside, and
     * compacts the valid rows to the front (trimmed to the largest count kept).
     */
    Tensor[] filter(Tensor boxes, Tensor classes, int w, int h) {
        Tensor x1 = boxes.narrow(2, 0, 1);
        Tensor y1 = boxes.narrow(2, 1, 1);
        Tensor x2 = boxes.narrow(2, 2, 1);
        Tensor y2 = boxes.narrow(2, 3, 1);
        Tensor area = x2.sub(x1).mul(y2.sub(y1)).squeeze(-1);
        Tensor cx1 = clamp(x1, 0, w);
        Tensor cy1 = clamp(y1, 0, h);
        Tensor cx2 = clamp(x2, 0, w);
        Tensor cy2 = clamp(y2, 0, h);
        Tensor cw = cx2.sub(cx1).squeeze(-1);
        Tensor ch = cy2.sub(cy1).squeeze(-1);
        Tensor keep = classes.ge(new Scalar(0L)).logical_and(cw.ge(new Scalar(cfg.minSize())))
                .logical_and(ch.ge(new Scalar(cfg.minSize())))
                .logical_and(cw.mul(ch).ge(area.mul(new Scalar(cfg.minAreaRatio()))))
                .logical_and(area.gt(new Scalar(0.0)));
        Tensor cls = torch.where(keep, classes, new Scalar(-1L));
        Tensor clipped = cat(2, cx1, cy1, cx2, cy2).mul(keep.unsqueeze(-1).to(torch.ScalarType.Float));
        Tensor order = keep.logical_not().to(torch.ScalarType.Long).sort(new BoolOptional(true), 1, false).get1();
        long count = classes.size(1) == 0 ? 0
                : keep.sum(new long[] {1}, false, new ScalarTypeOptional()).amax().item_long();
        Tensor outBoxes = clipped.gather(1, order.unsqueeze(-1).expand(order.size(0), order.size(1), 4)).narrow(1, 0, count);
        Tensor outCls = cls.gather(1, order).narrow(1, 0, count);
        return new Tensor[] {outBoxes.contiguous(), outCls.contiguous()};
    }

    /** Per-sample parameters drawn on the host. */
    private static final class Params {
        boolean anyMosaic;
        boolean geometric;
        boolean colour;
        float[] mosaicF;
        int[][] quadrant = new int[4][];
        float[] ax;
        float[] bx;
        float[] ay;
        float[] by;
        float[] colourMatrices;
    }

    private Params draw(int n, int w, int h, long seed, boolean mosaicOn) {
        Random r = new Random(seed);
        Params p = new Params();
        p.mosaicF = new float[n];
        for (int k = 0; k < 4; k++) {
            p.quadrant[k] = new int[n];
        }
        p.ax = new float[n];
        p.bx = new float[n];
        p.ay = new float[n];
        p.by = new float[n];
        p.colourMatrices = new float[n * 9];
        p.geometric = cfg.scale() > 0 || cfg.translate() > 0 || cfg.flipLr() > 0;
        p.colour = cfg.hsvH() > 0 || cfg.hsvS() > 0 || cfg.hsvV() > 0;
        for (int i = 0; i < n; i++) {
            boolean mosaic = mosaicOn && cfg.mosaic() > 0 && r.nextDouble() < cfg.mosaic();
            p.mosaicF[i] = mosaic ? 1 : 0;
            p.anyMosaic |= mosaic;
            p.quadrant[0][i] = i;
            for (int k = 1; k < 4; k++) {
                p.quadrant[k][i] = r.nextInt(n);
            }
            double s = 1 + cfg.scale() * (2 * r.nextDouble() - 1);
            double tx = cfg.translate() * (2 * r.nextDouble() - 1) * w;
            double ty = cfg.translate() * (2 * r.nextDouble() - 1) * h;
            // the point of the source shown at the output centre: a random point around the
            // mosaic's joint, or the image centre
            double cx = mosaic ? w * (0.5 + r.nextDouble()) : w / 2.0;
            double cy = mosaic ? h * (0.5 + r.nextDouble()) : h / 2.0;
            boolean flip = r.nextDouble() < cfg.flipLr();
            // q = s (p - c) + centre + t, then x -> w - x when flipped
            double bx = -s * cx + w / 2.0 + tx;
            p.ax[i] = (float) (flip ? -s : s);
            p.bx[i] = (float) (flip ? w - bx : bx);
            p.ay[i] = (float) s;
            p.by[i] = (float) (-s * cy + h / 2.0 + ty);
            double[][] m = colourMatrix(1 + cfg.hsvV() * (2 * r.nextDouble() - 1),
                    1 + cfg.hsvS() * (2 * r.nextDouble() - 1), cfg.hsvH() * (2 * r.nextDouble() - 1) * 2 * Math.PI);
            for (int a = 0; a < 3; a++) {
                for (int c = 0; c < 3; c++) {
                    p.colourMatrices[i * 9 + a * 3 + c] = (float) m[a][c];
                }
            }
        }
        return p;
    }

    /** {@code value * YIQ^-1 . diag(1, sat * rotation(hue)) . YIQ}. */
    static double[][] colourMatrix(double value, double sat, double hue) {
        double cos = Math.cos(hue) * sat;
        double sin = Math.sin(hue) * sat;
        double[][] mid = {{1, 0, 0}, {0, cos, -sin}, {0, sin, cos}};
        double[][] m = multiply(YIQ_INV, multiply(mid, YIQ));
        for (double[] row : m) {
            for (int j = 0; j < 3; j++) {
                row[j] *= value;
            }
        }
        return m;
    }

    private static double[][] multiply(double[][] a, double[][] b) {
        double[][] out = new double[3][3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++) {
                    out[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return out;
    }

    private static double[][] invert(double[][] m) {
        double a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2], g = m[2][0], h = m[2][1],
                i = m[2][2];
        double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
        return new double[][] {
            {(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det},
            {(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det},
            {(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det}};
    }

    private static void check(Tensor images, Tensor boxes, Tensor classes) {
        if (images.dim() != 4 || images.size(3) != 3 || images.scalar_type().intern() != torch.ScalarType.Byte) {
            throw new IllegalArgumentException("images: " + shape(images) + " " + images.scalar_type()
                    + " (expected: uint8 [N, H, W, 3])");
        }
        long n = images.size(0);
        if (boxes.dim() != 3 || boxes.size(0) != n || boxes.size(2) != 4) {
            throw new IllegalArgumentException("boxes: " + shape(boxes) + " (expected: [" + n + ", M, 4])");
        }
        if (classes.dim() != 2 || classes.size(0) != n || classes.size(1) != boxes.size(1)) {
            throw new IllegalArgumentException("classes: " + shape(classes) + " (expected: [" + n + ", " + boxes.size(1)
                    + "] int64, -1 for padding)");
        }
    }

    private static String shape(Tensor t) {
        return java.util.Arrays.toString(Tensors.shape(t));
    }

    private static Tensor upload(float[] v, Tensor like, long... shape) {
        return Tensors.fromFloats(v, shape).to(like.device(), torch.ScalarType.Float);
    }

    private static Tensor clamp(Tensor t, double lo, double hi) {
        return t.clamp(new ScalarOptional(new Scalar(lo)), new ScalarOptional(new Scalar(hi)));
    }

    private static Tensor cat(long dim, Tensor... parts) {
        try (TensorVector v = new TensorVector(parts)) {
            return torch.cat(v, dim);
        }
    }

    private static Tensor stack(long dim, Tensor... parts) {
        try (TensorVector v = new TensorVector(parts)) {
            return torch.stack(v, dim);
        }
    }
}
