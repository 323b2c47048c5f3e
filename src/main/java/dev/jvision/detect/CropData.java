package dev.jvision.detect;

import dev.jvision.data.Images;
import dev.jvision.data.LayoutCsvs;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.infer.Recognizer;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.track.Progress;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * Builds the second stage's training data from detection annotations: every box of a COCO
 * instances file is cut out of its image the way {@link Recognizer} cuts detections (its
 * {@link Recognizer#crop(Images.Rgb, double, double, double, double, double) crop}: box grown by a
 * margin, clipped to the image) and written as a PNG in jvision's classification layout:
 * <pre>
 * train/&lt;image stem&gt;_&lt;annotation id&gt;.png   train.csv ID,target   meta.csv target,class_name
 * test/...  sample_submission.csv  test_labels.csv    (only with a test split)
 * </pre>
 * Class names are the COCO category names (in the train file's category order), so the two-stage
 * score ({@link EndToEndScore}) matches the classifier's names with the ground truth's. Crowd boxes
 * and boxes narrower or lower than {@code minSize} pixels are skipped. COCO only (a YOLO set can be
 * turned into COCO with the detection tools first). CSVs are written atomically after the images.
 * Stateless and thread-safe.
 */
public final class CropData {
    private CropData() {}

    /** One split to crop: a COCO instances file and the folder its {@code file_name}s are relative to. */
    public record Split(Path coco, Path images) {}

    /**
     * What was written.
     *
     * @param train crops in train/
     * @param test crops in test/ (0 without a test split)
     * @param crowd crowd boxes skipped
     * @param tiny boxes skipped for being under the minimum size
     * @param classes class names, by target
     */
    public record Summary(Path root, int train, int test, int crowd, int tiny, List<String> classes) {}

    /** Crops of one split: file names and targets, plus what was skipped. */
    private record Cropped(List<String> ids, int[] labels, int crowd, int tiny) {}

    /**
     * Crops {@code train} (and {@code test} when not null) into {@code out}.
     *
     * @param margin crop margin as a fraction of the box's sides, in [0, 1] (the recognizer's)
     * @param size crop side in pixels after a square resize, or 0 to keep each crop's own size
     * @param minSize boxes with a side under this many pixels are skipped (&gt;= 0)
     * @throws IllegalArgumentException naming the file and JSON path on a missing image, a box
     *     outside its image, an unknown category or image id, or a bad argument
     */
    public static Summary crop(Split train, Split test, Path out, double margin, int size, double minSize)
            throws IOException {
        if (!(margin >= 0 && margin <= 1)) {
            throw new IllegalArgumentException("--margin: " + margin + " (expected: in [0, 1])");
        }
        if (size < 0) throw new IllegalArgumentException("--size: " + size + " (expected: >= 0, 0 keeps crop sizes)");
        if (!(minSize >= 0)) throw new IllegalArgumentException("--min-size: " + minSize + " (expected: >= 0)");
        CocoInstances trainGt = CocoInstances.read(train.coco());
        List<String> names = new ArrayList<>();
        for (CocoInstances.Category c : trainGt.categories()) {
            if (c.name().contains(",") || c.name().contains("\n") || names.contains(c.name())) {
                throw new IllegalArgumentException(train.coco() + ": categories[" + c.index() + "].name: '" + c.name()
                        + "' (expected: unique names without commas or line breaks, they become meta.csv's class names)");
            }
            names.add(c.name());
        }
        CocoInstances testGt = test == null ? null : CocoInstances.read(test.coco());
        Cropped tr = cropSplit(trainGt, train.images(), out.resolve("train"), names, margin, size, minSize);
        Cropped te = testGt == null ? null
                : cropSplit(testGt, test.images(), out.resolve("test"), names, margin, size, minSize);
        LayoutCsvs.write(out, tr.ids, tr.labels, te == null ? null : te.ids, te == null ? null : te.labels, names);
        return new Summary(out, tr.ids.size(), te == null ? 0 : te.ids.size(), tr.crowd + (te == null ? 0 : te.crowd),
                tr.tiny + (te == null ? 0 : te.tiny), List.copyOf(names));
    }

    private static Cropped cropSplit(CocoInstances gt, Path imageDir, Path dir, List<String> names, double margin,
                                     int size, double minSize) throws IOException {
        String file = String.valueOf(gt.file());
        Map<Long, Integer> target = new HashMap<>();
        for (CocoInstances.Category c : gt.categories()) {
            int t = names.indexOf(c.name());
            if (t < 0) {
                throw new IllegalArgumentException(file + ": categories[" + c.index() + "].name: '" + c.name()
                        + "' (expected: one of the train file's categories " + names + ")");
            }
            target.put(c.id(), t);
        }
        Map<Long, List<CocoInstances.Annotation>> byImage = new HashMap<>();
        Map<Long, CocoInstances.Image> images = new HashMap<>();
        for (CocoInstances.Image im : gt.images()) images.put(im.id(), im);
        Set<Long> annIds = new HashSet<>();
        for (CocoInstances.Annotation a : gt.annotations()) {
            String p = file + ": annotations[" + a.index() + "]";
            if (!images.containsKey(a.imageId())) {
                throw new IllegalArgumentException(p + ".image_id: " + a.imageId() + " (expected: an id of images)");
            }
            if (!target.containsKey(a.categoryId())) {
                throw new IllegalArgumentException(p + ".category_id: " + a.categoryId()
                        + " (expected: an id of categories)");
            }
            if (!annIds.add(a.id())) {
                throw new IllegalArgumentException(p + ".id: " + a.id() + " (expected: unique annotation ids)");
            }
            byImage.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(a);
        }
        Files.createDirectories(dir);
        List<String> ids = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int crowd = 0;
        int tiny = 0;
        try (Progress progress = Progress.start("crop " + dir.getFileName(), gt.images().size())) {
            for (CocoInstances.Image im : gt.images()) {
                List<CocoInstances.Annotation> anns = byImage.getOrDefault(im.id(), List.of());
                Images.Rgb rgb = null;
                for (CocoInstances.Annotation a : anns) {
                    if (a.crowd()) {
                        crowd++;
                        continue;
                    }
                    if (a.w() < minSize || a.h() < minSize || a.w() <= 0 || a.h() <= 0) {
                        tiny++;
                        continue;
                    }
                    if (a.x() < -0.5 || a.y() < -0.5 || a.x() + a.w() > im.width() + 0.5
                            || a.y() + a.h() > im.height() + 0.5) {
                        throw new IllegalArgumentException(file + ": annotations[" + a.index() + "].bbox: [" + a.x()
                                + ", " + a.y() + ", " + a.w() + ", " + a.h() + "] (expected: inside its image images["
                                + im.index() + "] '" + im.fileName() + "', " + im.width() + "x" + im.height() + ")");
                    }
                    if (rgb == null) rgb = decode(file, im, imageDir);
                    BufferedImage crop = Recognizer.crop(rgb, a.x(), a.y(), a.x() + a.w(), a.y() + a.h(), margin);
                    if (size > 0) crop = square(crop, size);
                    String id = stem(im.fileName()) + "_" + a.id() + ".png";
                    BufferedImage img = crop;
                    AtomicFiles.write(dir.resolve(id), tmp -> {
                        if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
                    });
                    ids.add(id);
                    labels.add(target.get(a.categoryId()));
                }
                progress.step(1, ids.size() + " crops");
            }
        }
        return new Cropped(ids, labels.stream().mapToInt(Integer::intValue).toArray(), crowd, tiny);
    }

    private static Images.Rgb decode(String file, CocoInstances.Image im, Path imageDir) throws IOException {
        Path p = imageDir.resolve(im.fileName());
        String where = file + ": images[" + im.index() + "].file_name: '" + im.fileName() + "'";
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(where + ": " + p + " not found (expected: an image under " + imageDir
                    + ")");
        }
        Images.Rgb rgb;
        try {
            rgb = Images.decode(p);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        if (rgb.w() != im.width() || rgb.h() != im.height()) {
            throw new IllegalArgumentException(where + ": " + rgb.w() + "x" + rgb.h() + " pixels (expected: "
                    + im.width() + "x" + im.height() + " as its width/height say)");
        }
        return rgb;
    }

    private static BufferedImage square(BufferedImage crop, int size) {
        byte[] px = Images.resize(Images.fromBufferedImage(crop), size);
        BufferedImage bi = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        int[] rgb = ((java.awt.image.DataBufferInt) bi.getRaster().getDataBuffer()).getData();
        for (int i = 0, o = 0; i < rgb.length; i++, o += 3) {
            rgb[i] = ((px[o] & 255) << 16) | ((px[o + 1] & 255) << 8) | (px[o + 2] & 255);
        }
        return bi;
    }

    /** The file name without folders and extension, folders joined by '_' so crops of a/x.jpg and b/x.jpg differ. */
    private static String stem(String fileName) {
        String s = fileName.replace('\\', '/');
        int dot = s.lastIndexOf('.');
        if (dot > s.lastIndexOf('/')) s = s.substring(0, dot);
        return s.replace('/', '_');
    }
}
