package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;

/**
 * The anchor points of a pyramid: the centre of every cell of every level in input pixels,
 * {@code ((col + 0.5) * stride, (row + 0.5) * stride)}, level after level and row-major within
 * a level, with the level's stride beside each point. New tensors in the caller's scope.
 *
 * @param points  float [A, 2] (x, y) in pixels
 * @param strides float [A, 1]
 */
public record Anchors(Tensor points, Tensor strides) {
    /**
     * The anchors of maps of {@code sizes[i] = {height, width}} at {@code strides[i]}.
     *
     * @param options dtype float and the device of the predictions
     */
    public static Anchors of(long[][] sizes, int[] strides, TensorOptions options) {
        if (sizes.length != strides.length) {
            throw new IllegalArgumentException("sizes: " + sizes.length + " levels (expected: " + strides.length + ")");
        }
        Tensor[] pts = new Tensor[sizes.length];
        Tensor[] st = new Tensor[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            long h = sizes[i][0];
            long w = sizes[i][1];
            double stride = strides[i];
            Tensor xs = T.arange(w, options).add(s(0.5)).mul(s(stride)).view(1, w).expand(h, w);
            Tensor ys = T.arange(h, options).add(s(0.5)).mul(s(stride)).view(h, 1).expand(h, w);
            pts[i] = T.stack(-1, xs, ys).reshape(h * w, 2);
            st[i] = T.full(stride, options, h * w, 1);
        }
        return new Anchors(T.cat(0, pts), T.cat(0, st));
    }

    /** Number of anchor points. */
    public long count() {
        return points.size(0);
    }
}
