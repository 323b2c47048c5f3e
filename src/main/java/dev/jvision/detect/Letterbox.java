package dev.jvision.detect;

import dev.jvision.data.Images;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * The letterbox of one image into a square of {@code size} pixels: scaled by
 * {@code min(size / w, size / h)} keeping its aspect ratio, centred, the rest filled with grey
 * 114. Maps boxes between the original image and the square. Immutable and thread-safe.
 *
 * @param size   side of the square
 * @param scale  original pixels to square pixels
 * @param padX   left padding in square pixels
 * @param padY   top padding in square pixels
 * @param width  original width
 * @param height original height
 */
public record Letterbox(int size, double scale, int padX, int padY, int width, int height) {
    /** Grey of the padding. */
    public static final int PAD = 114;

    /** The letterbox of a {@code width x height} image into {@code size}. */
    public static Letterbox of(int width, int height, int size) {
        if (width < 1 || height < 1 || size < 1) {
            throw new IllegalArgumentException("letterbox: image " + width + "x" + height + " into " + size
                    + " (expected: positive sizes)");
        }
        double r = Math.min((double) size / width, (double) size / height);
        int nw = Math.max(1, (int) Math.round(width * r));
        int nh = Math.max(1, (int) Math.round(height * r));
        return new Letterbox(size, r, (size - nw) / 2, (size - nh) / 2, width, height);
    }

    /** The letterboxed pixels of {@code img} (HWC RGB, {@code size * size * 3} bytes). */
    public static byte[] apply(Images.Rgb img, int size) {
        Letterbox lb = of(img.w(), img.h(), size);
        int nw = Math.max(1, (int) Math.round(img.w() * lb.scale));
        int nh = Math.max(1, (int) Math.round(img.h() * lb.scale));
        byte[] out = new byte[size * size * 3];
        if (nw == size && nh == size && img.w() == size && img.h() == size) {
            System.arraycopy(img.pixels(), 0, out, 0, out.length);
            return out;
        }
        byte[] scaled;
        if (nw == img.w() && nh == img.h()) {
            scaled = img.pixels();
        } else {
            int interp = nw < img.w() ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_LINEAR;
            try (Mat src = new Mat(img.h(), img.w(), opencv_core.CV_8UC3); Mat dst = new Mat(); Size sz = new Size(nw, nh)) {
                src.data().put(img.pixels());
                opencv_imgproc.resize(src, dst, sz, 0, 0, interp);
                scaled = new byte[nw * nh * 3];
                try (Mat c = dst.isContinuous() ? null : dst.clone()) {
                    (c == null ? dst : c).data().get(scaled);
                }
            }
        }
        java.util.Arrays.fill(out, (byte) PAD);
        for (int y = 0; y < nh; y++) {
            System.arraycopy(scaled, y * nw * 3, out, ((y + lb.padY) * size + lb.padX) * 3, nw * 3);
        }
        return out;
    }

    /** An original x coordinate in square pixels. */
    public float toSquareX(double x) {
        return (float) (x * scale + padX);
    }

    /** An original y coordinate in square pixels. */
    public float toSquareY(double y) {
        return (float) (y * scale + padY);
    }

    /** A square x coordinate in original pixels, clipped to the image. */
    public float toImageX(double x) {
        return (float) Math.min(width, Math.max(0, (x - padX) / scale));
    }

    /** A square y coordinate in original pixels, clipped to the image. */
    public float toImageY(double y) {
        return (float) Math.min(height, Math.max(0, (y - padY) / scale));
    }
}
