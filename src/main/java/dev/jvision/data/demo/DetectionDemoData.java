package dev.jvision.data.demo;

import dev.jvision.data.detection.BoxLabel;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.YoloLabels;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Synthetic detection data set: "objects on a tray" photos (pill-like shapes in several colours
 * with imprinted letters, rotated, partly overlapping, 0-12 per image, some very small, on varied
 * trays under uneven light), labelled both as COCO instances and as YOLO text files:
 *
 * <pre>
 * classes.txt                          one class name per line (line i = class i = COCO id i + 1)
 * images/{train,val,test}/NNNNNN.jpg
 * labels/{train,val,test}/NNNNNN.txt   YOLO: class cx cy w h (normalised)
 * annotations/instances_{train,val,test}.json   COCO; file_name relative to images/&lt;split&gt;/
 * </pre>
 *
 * Image ids run from 1 over train, then val, then test. Deterministic: the same arguments give
 * byte-identical files (on one JVM and platform), whatever the thread count.
 *
 * <p>Stateless; {@link #generate} may run concurrently for different output folders.
 */
public final class DetectionDemoData {
    /** The splits, in id order. */
    public static final List<String> SPLITS = List.of("train", "val", "test");
    private static final float JPEG_QUALITY = 0.9f;

    private DetectionDemoData() {}

    /**
     * What {@link #generate} wrote.
     *
     * @param root output folder
     * @param images images per split (train, val, test)
     * @param objects objects per split
     * @param numClasses classes
     * @param seconds wall time
     */
    public record Summary(Path root, int[] images, int[] objects, int numClasses, double seconds) {}

    /**
     * The name of class {@code c} in a data set of this kind ({@code colour_shape_letter}).
     */
    public static String className(int c) {
        return TrayRenderer.className(c);
    }

    /**
     * Renders the data set into {@code out}.
     *
     * @param numTrain training images (&gt;= 1)
     * @param numVal validation images (&gt;= 0)
     * @param numTest test images (&gt;= 0)
     * @param numClasses classes, in [1, 400]
     * @param size image side in pixels, in [64, 4096]
     * @param threads render threads (&gt;= 1); the output does not depend on it
     * @throws IllegalArgumentException on a bad argument
     */
    public static Summary generate(Path out, int numTrain, int numVal, int numTest, int numClasses, int size, long seed,
                                   int threads) throws IOException {
        check("images", numTrain, 1, Integer.MAX_VALUE);
        check("val", numVal, 0, Integer.MAX_VALUE);
        check("test", numTest, 0, Integer.MAX_VALUE);
        check("classes", numClasses, 1, 400);
        check("size", size, 64, 4096);
        check("threads", threads, 1, 256);
        long t0 = System.nanoTime();
        int[] counts = {numTrain, numVal, numTest};
        List<String> names = new ArrayList<>();
        for (int c = 0; c < numClasses; c++) names.add(className(c));
        List<CocoInstances.Category> cats = new ArrayList<>();
        for (int c = 0; c < numClasses; c++) cats.add(new CocoInstances.Category(c + 1, names.get(c), c));

        ExecutorService pool = Executors.newFixedThreadPool(threads, run -> {
            Thread t = new Thread(run, "demo-detection-render");
            t.setDaemon(true);
            return t;
        });
        int[] objects = new int[3];
        try {
            long firstId = 1;
            for (int s = 0; s < 3; s++) {
                String split = SPLITS.get(s);
                Path imgDir = out.resolve("images").resolve(split);
                Path lblDir = out.resolve("labels").resolve(split);
                Files.createDirectories(imgDir);
                Files.createDirectories(lblDir);
                List<Future<List<BoxLabel>>> jobs = new ArrayList<>(counts[s]);
                for (int i = 0; i < counts[s]; i++) {
                    long id = firstId + i;
                    String stem = String.format("%06d", id);
                    jobs.add(pool.submit(() -> renderOne(imgDir.resolve(stem + ".jpg"), lblDir.resolve(stem + ".txt"),
                            size, numClasses, DemoData.mix(seed, id))));
                }
                List<CocoInstances.Image> images = new ArrayList<>();
                List<CocoInstances.Annotation> anns = new ArrayList<>();
                for (int i = 0; i < counts[s]; i++) {
                    long id = firstId + i;
                    images.add(new CocoInstances.Image(id, String.format("%06d.jpg", id), size, size, i));
                    for (BoxLabel b : get(jobs.get(i))) {
                        double x = round2(b.x1());
                        double y = round2(b.y1());
                        double w = round2(b.x2() - x);
                        double h = round2(b.y2() - y);
                        anns.add(new CocoInstances.Annotation(anns.size() + 1, id, b.classId() + 1, x, y, w, h, w * h,
                                false, anns.size()));
                    }
                }
                objects[s] = anns.size();
                CocoInstances.write(out.resolve("annotations").resolve("instances_" + split + ".json"), images, cats, anns);
                firstId += counts[s];
            }
        } finally {
            pool.shutdownNow();
        }
        AtomicFiles.writeText(out.resolve("classes.txt"), w -> {
            for (String n : names) w.write(n + "\n");
        });
        return new Summary(out, counts, objects, numClasses, (System.nanoTime() - t0) / 1e9);
    }

    private static List<BoxLabel> renderOne(Path image, Path labels, int size, int numClasses, long seed)
            throws IOException {
        TrayRenderer.Rendered r = TrayRenderer.render(size, size, numClasses, new Random(seed));
        List<BoxLabel> boxes = new ArrayList<>();
        StringBuilder txt = new StringBuilder();
        for (TrayRenderer.Placed p : r.objects()) {
            BoxLabel b = new BoxLabel(p.classId(), (float) p.x1(), (float) p.y1(), (float) p.x2(), (float) p.y2());
            boxes.add(b);
            txt.append(YoloLabels.line(b, size, size));
        }
        Files.write(image, ImageFiles.encodeJpeg(r.image(), JPEG_QUALITY));
        Files.writeString(labels, txt, StandardCharsets.UTF_8);
        return boxes;
    }

    private static <T> T get(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while rendering", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        }
    }

    private static double round2(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    private static void check(String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(name + ": " + v + " (expected: in [" + lo + ", " + hi + "])");
        }
    }
}
