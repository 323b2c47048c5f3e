package dev.jvision.augment.detect;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Letterbox resizing for detection: scale an image to fit a target size keeping its aspect
 * ratio, then pad it (with a constant, 114 by default) to the target or, in {@code auto} mode,
 * only to the next multiple of the detector's stride; {@link Placement} maps boxes between the
 * original image's pixels and the letterboxed input. Stateless and thread-safe; tensors returned
 * belong to the caller's scope.
 */
public final class Letterbox {
    /** The grey YOLO-style detectors pad with. */
    public static final int DEFAULT_PAD = 114;

    private Letterbox() {}

    /**
     * Where the resized image sits in the letterboxed one. Immutable.
     *
     * @param srcWidth  original width in pixels
     * @param srcHeight original height
     * @param newWidth  resized width (before padding)
     * @param newHeight resized height
     * @param padLeft   columns of padding on the left
     * @param padTop    rows of padding on top
     * @param outWidth  letterboxed width (a multiple of the stride)
     * @param outHeight letterboxed height
     */
    public record Placement(int srcWidth, int srcHeight, int newWidth, int newHeight, int padLeft, int padTop,
                            int outWidth, int outHeight) {
        public double scaleX() {
            return (double) newWidth / srcWidth;
        }

        public double scaleY() {
            return (double) newHeight / srcHeight;
        }

        /** Boxes {@code [..., 4]} (x1, y1, x2, y2) from original pixels to letterboxed pixels. */
        public Tensor toLetterbox(Tensor boxes) {
            return boxes.mul(vector(boxes, scaleX(), scaleY())).add(vector(boxes, padLeft, padTop));
        }

        /** Boxes {@code [..., 4]} from letterboxed pixels back to original pixels, clipped to the image. */
        public Tensor toOriginal(Tensor boxes) {
            Tensor b = boxes.sub(vector(boxes, padLeft, padTop)).div(vector(boxes, scaleX(), scaleY()));
            Tensor lo = torch.zeros_like(b);
            Tensor hi = vector(boxes, srcWidth, srcHeight).expand_as(b);
            return torch.minimum(torch.maximum(b, lo), hi);
        }

        /** One box from letterboxed to original pixels (a new array, clipped to the image). */
        public float[] toOriginal(float[] xyxy) {
            float[] out = new float[4];
            for (int i = 0; i < 4; i++) {
                boolean x = i % 2 == 0;
                double v = (xyxy[i] - (x ? padLeft : padTop)) / (x ? scaleX() : scaleY());
                out[i] = (float) Math.max(0, Math.min(x ? srcWidth : srcHeight, v));
            }
            return out;
        }

        private static Tensor vector(Tensor like, double x, double y) {
            float[] v = {(float) x, (float) y, (float) x, (float) y};
            Tensor t = dev.jvision.runtime.Tensors.fromFloats(v, 4);
            return t.to(like.device(), like.scalar_type());
        }
    }

    /**
     * Plans the letterbox of a {@code srcWidth x srcHeight} image.
     *
     * @param size    target side: the image is scaled so that its longer side is {@code size}
     * @param stride  output sides are multiples of it (32 for the detectors)
     * @param auto    pad only to the next stride multiple (rectangular, for inference) instead of
     *                to {@code size x size}
     * @param scaleUp whether images smaller than {@code size} are enlarged
     */
    public static Placement plan(int srcWidth, int srcHeight, int size, int stride, boolean auto, boolean scaleUp) {
        if (srcWidth < 1 || srcHeight < 1) {
            throw new IllegalArgumentException("image size: " + srcWidth + "x" + srcHeight + " (expected: >= 1x1)");
        }
        if (stride < 1 || size < stride || size % stride != 0) {
            throw new IllegalArgumentException("letterbox size: " + size + " (expected: a positive multiple of the stride "
                    + stride + ")");
        }
        double r = Math.min((double) size / srcWidth, (double) size / srcHeight);
        if (!scaleUp) {
            r = Math.min(r, 1.0);
        }
        int w = Math.max(1, Math.min(size, (int) Math.round(srcWidth * r)));
        int h = Math.max(1, Math.min(size, (int) Math.round(srcHeight * r)));
        int outW = auto ? ceil(w, stride) : size;
        int outH = auto ? ceil(h, stride) : size;
        return new Placement(srcWidth, srcHeight, w, h, (outW - w) / 2, (outH - h) / 2, outW, outH);
    }

    private static int ceil(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /**
     * Resizes (bilinear) and pads one image as {@code p} says.
     *
     * @param uint8Hwc uint8 [H, W, 3] with H, W = {@code p.srcHeight()}, {@code p.srcWidth()}
     * @param padValue the fill of the padding, 0..255
     * @return uint8 [outHeight, outWidth, 3] on the input's device
     */
    public static Tensor apply(Tensor uint8Hwc, Placement p, int padValue) {
        if (uint8Hwc.dim() != 3 || uint8Hwc.size(0) != p.srcHeight() || uint8Hwc.size(1) != p.srcWidth()
                || uint8Hwc.size(2) != 3) {
            throw new IllegalArgumentException("letterbox input: " + java.util.Arrays.toString(
                    dev.jvision.runtime.Tensors.shape(uint8Hwc)) + " (expected: [" + p.srcHeight() + ", " + p.srcWidth() + ", 3])");
        }
        if (padValue < 0 || padValue > 255) {
            throw new IllegalArgumentException("pad_value: " + padValue + " (expected: 0..255)");
        }
        Tensor x = uint8Hwc.permute(2, 0, 1).unsqueeze(0).to(torch.ScalarType.Float);
        Tensor resized = (p.newWidth() == p.srcWidth() && p.newHeight() == p.srcHeight()) ? x
                : torch.upsample_bilinear2d(x, new long[] {p.newHeight(), p.newWidth()}, false,
                        new org.bytedeco.pytorch.DoubleOptional(), new org.bytedeco.pytorch.DoubleOptional());
        Tensor canvas = torch.full(new long[] {1, 3, p.outHeight(), p.outWidth()}, new Scalar(padValue), x.options());
        canvas.narrow(2, p.padTop(), p.newHeight()).narrow(3, p.padLeft(), p.newWidth()).copy_(resized);
        return canvas.round().clamp_(new org.bytedeco.pytorch.ScalarOptional(new Scalar(0)),
                new org.bytedeco.pytorch.ScalarOptional(new Scalar(255))).to(torch.ScalarType.Byte)
                .squeeze(0).permute(1, 2, 0).contiguous();
    }
}
