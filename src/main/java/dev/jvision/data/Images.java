package dev.jvision.data;

import static org.bytedeco.opencv.global.opencv_core.CV_16S;
import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8S;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Image decoding with OpenCV into plain Java arrays.
 *
 * <p>Stateless; thread-safe (every call uses its own native buffers, released before it
 * returns). Returned arrays are new and owned by the caller.
 *
 * <p>Decoding uses {@code imdecode(bytes, IMREAD_UNCHANGED)} on the file's bytes (equivalent to
 * {@code imread} with the same flag, but works for any path encoding and lets callers hash the
 * exact bytes decoded). EXIF orientation is not applied.
 */
public final class Images {
    static {
        Loader.load(opencv_imgcodecs.class);
        Loader.load(opencv_imgproc.class);
    }

    private Images() {}

    /**
     * Decodes {@code file} and resizes it to {@code size x size} (INTER_AREA when shrinking,
     * INTER_LINEAR when growing). Grayscale becomes 3 equal channels, alpha is composited on
     * white, 16-bit and float images are scaled to 8-bit, BGR becomes RGB.
     *
     * @return HWC RGB uint8 pixels, {@code byte[size*size*3]}
     * @throws IOException naming the file and the reason (missing, empty, cannot decode)
     */
    public static byte[] loadResized(Path file, int size) throws IOException {
        return decodeResized(readBytes(file), size, file);
    }

    /** Like {@link #loadResized} but from encoded bytes already read; {@code file} is for messages. */
    public static byte[] decodeResized(byte[] encoded, int size, Path file) throws IOException {
        if (size <= 0) throw new IllegalArgumentException("size must be > 0, got " + size);
        return resize(decodeRgb(encoded, file), size);
    }

    /**
     * Like {@link #decodeResized} but writes the {@code size*size*3} RGB bytes into {@code dst}
     * at {@code off}. The common case (8-bit, 3-channel images) is resized and converted to RGB
     * in OpenCV without per-pixel Java work; the pixels are the same as {@link #decodeResized}'s
     * (resizing treats channels independently, so resize-then-swap equals swap-then-resize).
     *
     * @param file names the image in messages
     * @throws IOException naming {@code file} when the bytes are empty or cannot be decoded
     */
    public static void decodeResizedInto(byte[] encoded, int size, Object file, byte[] dst, int off) throws IOException {
        decodeResizedInto(encoded, size, file, dst, off, false);
    }

    /**
     * As {@link #decodeResizedInto(byte[], int, Object, byte[], int)}; with {@code reduced}, a
     * JPEG at least twice as large as {@code size} on both sides is decoded at 1/2, 1/4 or 1/8
     * scale in the DCT domain (OpenCV's {@code IMREAD_REDUCED_COLOR_*}, the largest factor that
     * keeps both sides {@code >= size}) before the {@code INTER_AREA} resize: several times
     * faster for small training sizes, with slightly different pixels (the DCT scaling filters
     * differently), so it is an option ({@code data.reduced_decode}) and caches keep such images
     * apart.
     */
    public static void decodeResizedInto(byte[] encoded, int size, Object file, byte[] dst, int off, boolean reduced)
            throws IOException {
        if (size <= 0) throw new IllegalArgumentException("size must be > 0, got " + size);
        if (encoded.length == 0) throw new IOException(file + ": " + Manifest.EMPTY);
        int n = size * size * 3;
        int flags = opencv_imgcodecs.IMREAD_UNCHANGED;
        if (reduced) {
            int[] wh = jpegSize(encoded);
            if (wh != null) {
                int f = 8;
                while (f > 1 && (wh[0] / f < size || wh[1] / f < size)) f /= 2;
                if (f > 1) {
                    flags = (f == 2 ? opencv_imgcodecs.IMREAD_REDUCED_COLOR_2 : f == 4 ? opencv_imgcodecs.IMREAD_REDUCED_COLOR_4
                            : opencv_imgcodecs.IMREAD_REDUCED_COLOR_8) | opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
                }
            }
        }
        try (Mat buf = new Mat(1, encoded.length, CV_8UC1)) {
            buf.data().put(encoded);
            Mat raw;
            try {
                raw = opencv_imgcodecs.imdecode(buf, flags);
            } catch (RuntimeException e) { // OpenCV C++ exceptions surface as RuntimeException
                throw new IOException(file + ": cannot decode image (" + e.getMessage() + ")", e);
            }
            try (Mat m = raw) {
                if (m == null || m.isNull() || m.empty() || m.cols() <= 0 || m.rows() <= 0) {
                    throw new IOException(file + ": cannot decode image (corrupt or unsupported format)");
                }
                if (m.depth() != CV_8U || m.channels() != 3) {
                    System.arraycopy(resize(toRgb(m, file), size), 0, dst, off, n);
                    return;
                }
                int w = m.cols(), h = m.rows();
                try (Mat small = new Mat(); Mat rgb = new Mat(); Size sz = new Size(size, size)) {
                    Mat src = m;
                    if (w != size || h != size) {
                        int interp = (w > size || h > size) ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_LINEAR;
                        opencv_imgproc.resize(m, small, sz, 0, 0, interp);
                        src = small;
                    }
                    opencv_imgproc.cvtColor(src, rgb, opencv_imgproc.COLOR_BGR2RGB);
                    try (Mat c = rgb.isContinuous() ? null : rgb.clone()) {
                        (c == null ? rgb : c).data().get(dst, off, n);
                    }
                }
            }
        }
    }

    /**
     * {@code {width, height}} from a baseline or progressive JPEG's frame header, or null when
     * {@code b} is not a JPEG or the header is not found (no decoding).
     */
    static int[] jpegSize(byte[] b) {
        if (b.length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) return null;
        int i = 2;
        while (i + 3 < b.length) {
            if ((b[i] & 0xff) != 0xFF) return null;
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) { // fill byte
                i++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { // no length
                i += 2;
                continue;
            }
            int len = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                if (i + 8 >= b.length) return null;
                int h = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff);
                int w = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
                return w > 0 && h > 0 ? new int[] {w, h} : null;
            }
            if (marker == 0xDA || len < 2) return null; // scan data before a frame header
            i += 2 + len;
        }
        return null;
    }

    /**
     * Resizes a decoded image to {@code size x size} as {@link #loadResized} does (INTER_AREA
     * when shrinking, INTER_LINEAR when growing); returns its own pixels when already that size.
     *
     * @return HWC RGB uint8 pixels, {@code byte[size*size*3]}
     */
    public static byte[] resize(Rgb img, int size) {
        if (size <= 0) throw new IllegalArgumentException("size must be > 0, got " + size);
        if (img.w == size && img.h == size) return img.pixels;
        int interp = (img.w > size || img.h > size) ? opencv_imgproc.INTER_AREA : opencv_imgproc.INTER_LINEAR;
        try (Mat src = new Mat(img.h, img.w, CV_8UC(3)); Mat dst = new Mat(); Size sz = new Size(size, size)) {
            src.data().put(img.pixels);
            opencv_imgproc.resize(src, dst, sz, 0, 0, interp);
            byte[] out = new byte[size * size * 3];
            try (Mat c = dst.isContinuous() ? null : dst.clone()) {
                (c == null ? dst : c).data().get(out);
            }
            return out;
        }
    }

    /**
     * Decodes encoded image bytes (any format OpenCV reads: JPEG, PNG, BMP, WebP, TIFF, ...) at
     * their own size with the rules of {@link #loadResized}.
     *
     * @param what names the image in messages (e.g. a request id)
     * @throws IOException naming {@code what} when the bytes are empty or cannot be decoded
     */
    public static Rgb decode(byte[] encoded, String what) throws IOException {
        return decodeRgb(encoded, what);
    }

    /**
     * Converts an AWT image to RGB pixels with the rules of {@link #loadResized}: 8-bit
     * grayscale is read as stored (no colour-space conversion) and becomes 3 equal channels;
     * every other type is read as sRGB ARGB, with alpha composited on white.
     */
    public static Rgb fromBufferedImage(java.awt.image.BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] rgb = new byte[w * h * 3];
        if (img.getType() == java.awt.image.BufferedImage.TYPE_BYTE_GRAY) {
            var raster = img.getRaster();
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int at = 3 * (y * w + x);
                    rgb[at] = rgb[at + 1] = rgb[at + 2] = (byte) row[x];
                }
            }
            return new Rgb(rgb, w, h);
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        boolean alpha = img.getColorModel().hasAlpha();
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            int a = alpha ? p >>> 24 : 255;
            int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
            if (a == 255) {
                rgb[3 * i] = (byte) r;
                rgb[3 * i + 1] = (byte) g;
                rgb[3 * i + 2] = (byte) b;
            } else {
                rgb[3 * i] = over(r, a);
                rgb[3 * i + 1] = over(g, a);
                rgb[3 * i + 2] = over(b, a);
            }
        }
        return new Rgb(rgb, w, h);
    }

    /**
     * Returns {@code {width, height}} of the image (decodes it, so a corrupt file throws).
     *
     * @throws IOException naming the file and the reason
     */
    public static int[] probeSize(Path file) throws IOException {
        Rgb img = decodeRgb(readBytes(file), file);
        return new int[] {img.w, img.h};
    }

    static byte[] readBytes(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, Manifest.MISSING);
        if (!Files.isRegularFile(file)) throw new IOException(file + ": " + Manifest.NOT_FILE);
        byte[] b = Files.readAllBytes(file);
        if (b.length == 0) throw new IOException(file + ": " + Manifest.EMPTY);
        return b;
    }

    /** A decoded image: HWC RGB uint8 pixels, width and height. Immutable by convention. */
    public record Rgb(byte[] pixels, int w, int h) {}

    /**
     * Decodes {@code file} at its own size with the same rules as {@link #loadResized} (alpha
     * composited on white, grayscale to RGB, 16-bit and float scaled to 8-bit).
     *
     * @throws IOException naming the file when it is missing, empty or cannot be decoded
     */
    public static Rgb decode(Path file) throws IOException {
        return decodeRgb(readBytes(file), file);
    }

    static Rgb decodeRgb(byte[] encoded, Object file) throws IOException {
        if (encoded.length == 0) throw new IOException(file + ": " + Manifest.EMPTY);
        try (Mat buf = new Mat(1, encoded.length, CV_8UC1)) {
            buf.data().put(encoded);
            Mat raw;
            try {
                raw = opencv_imgcodecs.imdecode(buf, opencv_imgcodecs.IMREAD_UNCHANGED);
            } catch (RuntimeException e) { // OpenCV C++ exceptions surface as RuntimeException
                throw new IOException(file + ": cannot decode image (" + e.getMessage() + ")", e);
            }
            try (Mat m = raw) {
                if (m == null || m.isNull() || m.empty() || m.cols() <= 0 || m.rows() <= 0) {
                    throw new IOException(file + ": cannot decode image (corrupt or unsupported format)");
                }
                return toRgb(m, file);
            }
        }
    }

    private static Rgb toRgb(Mat m, Object file) throws IOException {
        int w = m.cols(), h = m.rows(), c = m.channels(), depth = m.depth();
        if (c < 1 || c > 4) throw new IOException(file + ": unsupported channel count " + c);
        byte[] src = new byte[w * h * c];
        if (depth == CV_8U) {
            try (Mat k = m.isContinuous() ? null : m.clone()) {
                (k == null ? m : k).data().get(src);
            }
        } else {
            double alpha, beta = 0;
            if (depth == CV_16U) alpha = 255.0 / 65535.0;
            else if (depth == CV_16S) { alpha = 255.0 / 65535.0; beta = 127.5; }
            else if (depth == CV_8S) { alpha = 1; beta = 128; }
            else if (depth == CV_32F || depth == CV_64F) alpha = 255.0;
            else throw new IOException(file + ": unsupported pixel depth " + depth);
            try (Mat k = new Mat()) {
                m.convertTo(k, CV_8U, alpha, beta); // saturating
                k.data().get(src);
            }
        }
        byte[] rgb = new byte[w * h * 3];
        int n = w * h;
        switch (c) {
            case 1 -> {
                for (int i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = src[i];
            }
            case 2 -> { // gray + alpha
                for (int i = 0; i < n; i++) {
                    byte g = over(src[2 * i] & 0xff, src[2 * i + 1] & 0xff);
                    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
                }
            }
            case 3 -> {
                for (int i = 0; i < n; i++) {
                    rgb[3 * i] = src[3 * i + 2];
                    rgb[3 * i + 1] = src[3 * i + 1];
                    rgb[3 * i + 2] = src[3 * i];
                }
            }
            default -> { // BGRA
                for (int i = 0; i < n; i++) {
                    int a = src[4 * i + 3] & 0xff;
                    rgb[3 * i] = over(src[4 * i + 2] & 0xff, a);
                    rgb[3 * i + 1] = over(src[4 * i + 1] & 0xff, a);
                    rgb[3 * i + 2] = over(src[4 * i] & 0xff, a);
                }
            }
        }
        return new Rgb(rgb, w, h);
    }

    /** Composites value {@code v} with alpha {@code a} over white. */
    private static byte over(int v, int a) {
        return (byte) ((v * a + 255 * (255 - a) + 127) / 255);
    }
}
