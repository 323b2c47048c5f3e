package dev.jvision.data.demo;

import static org.bytedeco.opencv.global.opencv_core.CV_64F;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import dev.jvision.runtime.AtomicFiles;
import dev.jvision.track.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.RNG;
import org.bytedeco.opencv.opencv_core.Scalar;

/**
 * A synthetic classification data set of any size for loader, validation and training
 * benchmarks: {@code N} JPEGs of {@code size x size} pixels in {@code K} classes, with a CSV
 * manifest whose labels are class names.
 *
 * <p>Each class has its own look, drawn from the seed: background and foreground colours, a
 * shape kind (disc, box, triangle, stripes, ring, cross) and a shape count; each image varies
 * position, scale, colour jitter and Gaussian noise, so a model can learn the classes but not
 * from one pixel. Drawing, noise and JPEG encoding are OpenCV calls (no per-pixel Java loop);
 * images are written directly with {@code imwrite} by a pool of one thread per core.
 *
 * <p>Output of {@link #generate}:
 *
 * <pre>
 * train.csv            image_path,label   (paths relative to the folder, labels class names)
 * val.csv              image_path,label   (only when val images &gt; 0)
 * classes.txt          one class name per line, line i = class id i
 * images/NNN/XXXXXXXX.jpg
 * </pre>
 *
 * <p>Deterministic: the same arguments give the same manifests and the same pixels before JPEG
 * encoding (byte-identical files with the same OpenCV build), whatever the thread count.
 * Stateless; concurrent calls are safe when they write to different folders.
 */
public final class ScaleData {
    static {
        Loader.load(opencv_imgcodecs.class);
        Loader.load(opencv_imgproc.class);
    }

    /** JPEG quality of the written images. */
    static final int JPEG_QUALITY = 90;
    private static final int SHAPE_KINDS = 6;
    private static final int PER_DIR = 1000;

    private ScaleData() {}

    /**
     * What {@link #generate} wrote.
     *
     * @param root       the output folder
     * @param trainCsv   the training manifest
     * @param valCsv     the validation manifest, or null when no validation images were asked for
     * @param classFile  the class-name file ({@code classes.txt})
     * @param images     images written (train + val)
     * @param numClasses classes
     * @param seconds    wall time of the whole generation
     */
    public record Summary(Path root, Path trainCsv, Path valCsv, Path classFile, int images, int numClasses,
                          double seconds) {
        /** Images per second over the whole run. */
        public double imagesPerSecond() {
            return seconds <= 0 ? 0 : images / seconds;
        }
    }

    /** Name of class {@code c} out of {@code k} ({@code class_00042}, zero-padded to k's width). */
    public static String className(int c, int k) {
        int width = Math.max(1, String.valueOf(Math.max(0, k - 1)).length());
        return String.format(Locale.ROOT, "class_%0" + width + "d", c);
    }

    /**
     * Writes the data set into {@code outDir} (created). Existing files of the same names are
     * replaced; manifests are written atomically after every image exists.
     *
     * @param outDir  output folder
     * @param images  training images, &gt;= 1
     * @param val     validation images, &gt;= 0
     * @param classes classes, in [1, images + val]
     * @param size    image side in pixels, in [16, 4096]
     * @param seed    random seed
     * @param threads worker threads, &gt;= 1 (e.g. the core count)
     * @throws IllegalArgumentException on a bad argument
     * @throws IOException when a file cannot be written
     */
    public static Summary generate(Path outDir, int images, int val, int classes, int size, long seed, int threads)
            throws IOException {
        if (outDir == null) throw new IllegalArgumentException("out: null (expected: a folder)");
        if (images < 1) throw new IllegalArgumentException("images: " + images + " (expected: >= 1)");
        if (val < 0) throw new IllegalArgumentException("val: " + val + " (expected: >= 0)");
        if (classes < 1 || classes > images + val) {
            throw new IllegalArgumentException("classes: " + classes + " (expected: 1.." + (images + val) + ")");
        }
        if (size < 16 || size > 4096) throw new IllegalArgumentException("size: " + size + " (expected: 16..4096)");
        if (threads < 1) throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
        long t0 = System.nanoTime();
        int total = images + val;
        Files.createDirectories(outDir);
        for (int d = 0; d <= (total - 1) / PER_DIR; d++) Files.createDirectories(outDir.resolve(dir(d)));
        int[] labels = balancedLabels(total, classes, new Random(DemoData.mix(seed, 201)));
        ClassStyle[] styles = new ClassStyle[classes];
        for (int c = 0; c < classes; c++) styles[c] = ClassStyle.of(c, DemoData.mix(DemoData.mix(seed, 202), c));

        AtomicInteger next = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "scale-data");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> workers = new ArrayList<>();
        try (Progress progress = Progress.start("demo-data scale", total)) {
            for (int w = 0; w < threads; w++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                        render(outDir.resolve(path(i)), styles[labels[i]], size, DemoData.mix(DemoData.mix(seed, 203), i));
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            int shown = 0;
            for (Future<?> f : workers) {
                while (true) {
                    try {
                        f.get(200, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        int d = done.get();
                        double s = (System.nanoTime() - t0) / 1e9;
                        progress.step(d - shown, String.format(Locale.ROOT, "%.0f img/s", d / Math.max(s, 1e-9)));
                        shown = d;
                    }
                }
            }
            int d = done.get();
            progress.step(d - shown, String.format(Locale.ROOT, "%.0f img/s", d / ((System.nanoTime() - t0) / 1e9)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while generating images", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof UncheckedIOException u) throw u.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        } finally {
            pool.shutdownNow();
        }

        Path trainCsv = outDir.resolve("train.csv");
        Path valCsv = val > 0 ? outDir.resolve("val.csv") : null;
        writeManifest(trainCsv, 0, images, labels, classes);
        if (valCsv != null) writeManifest(valCsv, images, total, labels, classes);
        Path classFile = outDir.resolve("classes.txt");
        AtomicFiles.writeText(classFile, w -> {
            for (int c = 0; c < classes; c++) w.write(className(c, classes) + "\n");
        });
        return new Summary(outDir, trainCsv, valCsv, classFile, total, classes, (System.nanoTime() - t0) / 1e9);
    }

    private static void writeManifest(Path csv, int from, int to, int[] labels, int classes) throws IOException {
        AtomicFiles.writeText(csv, w -> {
            w.write("image_path,label\n");
            for (int i = from; i < to; i++) w.write(path(i) + "," + className(labels[i], classes) + "\n");
        });
    }

    /** Relative path of image {@code i}: {@code images/NNN/XXXXXXXX.jpg}. */
    static String path(int i) {
        return dir(i / PER_DIR) + "/" + String.format(Locale.ROOT, "%08d.jpg", i);
    }

    private static String dir(int d) {
        return String.format(Locale.ROOT, "images/%03d", d);
    }

    /** Labels 0..k-1 round robin (every class present when n &gt;= k), then shuffled. */
    static int[] balancedLabels(int n, int k, Random r) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = i % k;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = y[i];
            y[i] = y[j];
            y[j] = t;
        }
        return y;
    }

    /** A class's look: colours in BGR, shape kind and count. */
    record ClassStyle(int[] bg, int[] fg, int kind, int count) {
        static ClassStyle of(int c, long seed) {
            Random r = new Random(seed);
            int[] bg = {r.nextInt(256), r.nextInt(256), r.nextInt(256)};
            int[] fg = new int[3];
            do {
                for (int i = 0; i < 3; i++) fg[i] = r.nextInt(256);
            } while (Math.abs(fg[0] - bg[0]) + Math.abs(fg[1] - bg[1]) + Math.abs(fg[2] - bg[2]) < 150);
            return new ClassStyle(bg, fg, c % SHAPE_KINDS, 1 + (c / SHAPE_KINDS) % 4);
        }
    }

    /** Draws one image of {@code style} and writes it as a JPEG. */
    static void render(Path file, ClassStyle style, int size, long seed) {
        Random r = new Random(seed);
        try (PointerScope scope = new PointerScope()) {
            Mat img = new Mat(size, size, CV_8UC3, jitter(style.bg(), 20, r));
            Scalar fg = jitter(style.fg(), 25, r);
            for (int s = 0; s < style.count(); s++) drawShape(img, style.kind(), fg, size, r);
            Mat noise = new Mat(size, size, CV_8UC3);
            Mat mean = new Mat(1, 1, CV_64F, new Scalar(128.0));
            Mat std = new Mat(1, 1, CV_64F, new Scalar(3.0 + 5.0 * r.nextDouble()));
            new RNG(r.nextLong())._fill(noise, RNG.NORMAL, mean, std);
            opencv_core.addWeighted(img, 1.0, noise, 1.0, -128.0, img);
            if (!opencv_imgcodecs.imwrite(file.toString(), img,
                    new int[] {opencv_imgcodecs.IMWRITE_JPEG_QUALITY, JPEG_QUALITY})) {
                throw new UncheckedIOException(new IOException(file + ": cannot write JPEG"));
            }
        }
    }

    private static Scalar jitter(int[] bgr, int amount, Random r) {
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) v[i] = Math.max(0, Math.min(255, bgr[i] + r.nextInt(2 * amount + 1) - amount));
        return new Scalar(v[0], v[1], v[2], 0);
    }

    private static void drawShape(Mat img, int kind, Scalar color, int size, Random r) {
        int half = (int) (size * (0.12 + 0.14 * r.nextDouble()));
        int cx = half + r.nextInt(Math.max(1, size - 2 * half));
        int cy = half + r.nextInt(Math.max(1, size - 2 * half));
        int thick = Math.max(2, size / 40);
        int aa = opencv_imgproc.LINE_AA;
        switch (kind) {
            case 0 -> opencv_imgproc.circle(img, new Point(cx, cy), half, color, -1, aa, 0);
            case 1 -> opencv_imgproc.rectangle(img, new Point(cx - half, cy - half), new Point(cx + half, cy + half),
                    color, -1, aa, 0);
            case 2 -> {
                Point pts = new Point(3);
                pts.position(0).x(cx).y(cy - half);
                pts.position(1).x(cx - half).y(cy + half);
                pts.position(2).x(cx + half).y(cy + half);
                opencv_imgproc.fillConvexPoly(img, pts.position(0), 3, color, aa, 0);
            }
            case 3 -> {
                int step = Math.max(4, 2 * thick + r.nextInt(3 * thick + 1));
                for (int x = cx - half; x <= cx + half; x += step) {
                    opencv_imgproc.line(img, new Point(x, cy - half), new Point(x, cy + half), color, thick, aa, 0);
                }
            }
            case 4 -> opencv_imgproc.circle(img, new Point(cx, cy), half, color, thick * 2, aa, 0);
            default -> {
                opencv_imgproc.line(img, new Point(cx - half, cy), new Point(cx + half, cy), color, thick * 2, aa, 0);
                opencv_imgproc.line(img, new Point(cx, cy - half), new Point(cx, cy + half), color, thick * 2, aa, 0);
            }
        }
    }
}
