package dev.jvision.detect;

import dev.jvision.config.DetectConfig;
import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Box-aware training augmentation of a letterboxed batch, on the batch's device: per image, with
 * probability {@code detect.mosaic} a mosaic (the image and three others of the batch tiled 2 x 2,
 * a square window of side {@code S / zoom} cut at a random place and resized to {@code S}; zoom in
 * {@code [mosaic_scale_min, mosaic_scale_max]}), then a horizontal flip ({@code detect.flip}) and
 * brightness / saturation jitter. Boxes follow the pixels: shifted, scaled, clipped to the image,
 * and dropped when narrower or lower than {@code min_box_size} or when less than a fifth of their
 * area stays inside. Random choices come from the batch seed only, so a batch is reproducible.
 * Stateless and thread-safe; tensors belong to the caller's scope.
 */
final class BoxAugment {
    /** Share of a box's area that must stay inside a mosaic window. */
    private static final double MIN_VISIBLE = 0.2;

    private BoxAugment() {}

    /**
     * The augmented batch.
     *
     * @param images  float [B, 3, S, S] in [0, 1]
     * @param targets float [N, 6] rows {@code [image index, class, x1, y1, x2, y2]} in pixels
     */
    record Result(Tensor images, Tensor targets) {}

    /**
     * Augments {@code images} (uint8 [B, S, S, 3]) with {@code boxes} (per image, rows
     * {@code [class, x1, y1, x2, y2]} in pixels).
     *
     * @param mosaic whether mosaic is on (off for the last {@code close_mosaic} epochs)
     */
    static Result apply(Tensor images, List<List<float[]>> boxes, DetectConfig c, boolean mosaic, long seed) {
        long b = images.size(0);
        int s = (int) images.size(1);
        Tensor x = images.permute(0, 3, 1, 2).to(torch.ScalarType.Float).div(new Scalar(255.0));
        List<Tensor> out = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            Tensor img;
            List<float[]> bx;
            if (mosaic && r.nextDouble() < c.mosaic()) {
                int[] idx = {i, r.nextInt((int) b), r.nextInt((int) b), r.nextInt((int) b)};
                Tensor top = cat(2, x.select(0, idx[0]), x.select(0, idx[1]));
                Tensor bottom = cat(2, x.select(0, idx[2]), x.select(0, idx[3]));
                Tensor canvas = cat(1, top, bottom);                                  // [3, 2S, 2S]
                double zoom = c.mosaicScaleMin() + r.nextDouble() * (c.mosaicScaleMax() - c.mosaicScaleMin());
                int w = (int) Math.min(2L * s, Math.max(8, Math.round(s / zoom)));
                int x0 = r.nextInt(2 * s - w + 1);
                int y0 = r.nextInt(2 * s - w + 1);
                img = canvas.narrow(1, y0, w).narrow(2, x0, w);
                if (w != s) {
                    img = torch.upsample_bilinear2d(img.unsqueeze(0), new long[] {s, s}, false).squeeze(0);
                }
                double k = (double) s / w;
                bx = new ArrayList<>();
                for (int q = 0; q < 4; q++) {
                    double ox = (q % 2) * s - x0;
                    double oy = (q / 2) * s - y0;
                    for (float[] g : boxes.get(idx[q])) {
                        float[] t = place(g, ox, oy, k, s, c.minBoxSize());
                        if (t != null) bx.add(t);
                    }
                }
            } else {
                img = x.select(0, i);
                bx = new ArrayList<>();
                for (float[] g : boxes.get(i)) {
                    float[] t = place(g, 0, 0, 1, s, c.minBoxSize());
                    if (t != null) bx.add(t);
                }
            }
            if (r.nextDouble() < c.flip()) {
                img = img.flip(2);
                for (float[] t : bx) {
                    float x1 = t[1];
                    t[1] = s - t[3];
                    t[3] = s - x1;
                }
            }
            double sat = 1 + (2 * r.nextDouble() - 1) * c.saturation();
            double val = 1 + (2 * r.nextDouble() - 1) * c.brightness();
            if (sat != 1 || val != 1) {
                Tensor grey = img.mean(new long[] {0}, true, new ScalarTypeOptional());
                img = img.sub(grey).mul(new Scalar(sat)).add(grey).mul(new Scalar(val)).clamp(
                        new org.bytedeco.pytorch.ScalarOptional(new Scalar(0.0)),
                        new org.bytedeco.pytorch.ScalarOptional(new Scalar(1.0)));
            }
            out.add(img);
            for (float[] t : bx) {
                rows.add(new float[] {i, t[0], t[1], t[2], t[3], t[4]});
            }
        }
        Tensor batch;
        try (TensorVector v = new TensorVector(out.toArray(new Tensor[0]))) {
            batch = torch.stack(v, 0).contiguous();
        }
        return new Result(batch, packed(rows).to(images.device(), torch.ScalarType.Float));
    }

    /** Rows {@code [image, class, x1, y1, x2, y2]} as a float [N, 6] host tensor. */
    static Tensor packed(List<float[]> rows) {
        float[] flat = new float[rows.size() * 6];
        for (int j = 0; j < rows.size(); j++) {
            System.arraycopy(rows.get(j), 0, flat, 6 * j, 6);
        }
        return Tensors.fromFloats(flat, rows.size(), 6);
    }

    /**
     * Box {@code g} ({@code [class, x1, y1, x2, y2]}) shifted by {@code (ox, oy)}, scaled by
     * {@code k} and clipped to {@code [0, s]}; null when too small or mostly outside.
     */
    static float[] place(float[] g, double ox, double oy, double k, int s, double minSize) {
        double x1 = (g[1] + ox) * k;
        double y1 = (g[2] + oy) * k;
        double x2 = (g[3] + ox) * k;
        double y2 = (g[4] + oy) * k;
        double area = (x2 - x1) * (y2 - y1);
        double cx1 = Math.max(0, Math.min(s, x1));
        double cy1 = Math.max(0, Math.min(s, y1));
        double cx2 = Math.max(0, Math.min(s, x2));
        double cy2 = Math.max(0, Math.min(s, y2));
        double w = cx2 - cx1;
        double h = cy2 - cy1;
        if (w < minSize || h < minSize || w <= 0 || h <= 0 || w * h < MIN_VISIBLE * area) {
            return null;
        }
        return new float[] {g[0], (float) cx1, (float) cy1, (float) cx2, (float) cy2};
    }

    private static Tensor cat(long dim, Tensor a, Tensor b) {
        try (TensorVector v = new TensorVector(a, b)) {
            return torch.cat(v, dim);
        }
    }
}
