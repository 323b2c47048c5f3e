package dev.jvision.data.detection;

import dev.jvision.data.DataException;
import dev.jvision.data.ManifestValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A validated detection data set: per image its path, size in pixels and ground-truth boxes
 * (pixels, corners, 0-based class indices), plus the class names and the COCO category id of
 * each class (COCO: the file's ids in ascending order; YOLO: class index + 1).
 *
 * <p>Immutable; thread-safe. The lists are unmodifiable.
 */
public final class DetectionDataset {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionDataset.class);

    /**
     * One image.
     *
     * @param imageId COCO image id (YOLO: 1-based position)
     * @param image the image file
     * @param width image width in pixels
     * @param height image height in pixels
     * @param boxes its objects (clipped to the image), possibly none
     */
    public record Item(long imageId, Path image, int width, int height, List<BoxLabel> boxes) {
        public Item {
            boxes = List.copyOf(boxes);
        }
    }

    private final List<String> classNames;
    private final long[] categoryIds;
    private final List<Item> items;
    private final List<String> skipped;

    DetectionDataset(List<String> classNames, long[] categoryIds, List<Item> items, List<String> skipped) {
        this.classNames = List.copyOf(classNames);
        this.categoryIds = categoryIds.clone();
        this.items = List.copyOf(items);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Loads and validates {@code source} (image headers are read for their size).
     *
     * @param skipBadImages {@code data.on_bad_image: skip}: leave out images that are missing or
     *     do not decode (logged), instead of failing
     * @throws DataException listing every bad annotation (always) and every bad image (unless skipped)
     */
    public static DetectionDataset load(DetectionSource source, boolean skipBadImages) throws IOException {
        DetectionValidator.Report r = DetectionValidator.validate(source, ManifestValidator.Check.HEADER);
        List<String> problems = new ArrayList<>(r.annotationProblems());
        if (!skipBadImages) problems.addAll(r.imageProblems());
        if (!problems.isEmpty()) {
            throw new DataException(source.describe() + ": " + problems.size() + " problems (run jvision validate-data "
                    + "for a full report" + (skipBadImages ? "" : "; data.on_bad_image: skip leaves bad images out") + ")",
                    problems);
        }
        if (!r.imageProblems().isEmpty()) {
            LOG.warn("skipped {} of {} images of {} (data.on_bad_image: skip): {}", r.imageProblems().size(), r.images(),
                    source.describe(), r.imageProblems().get(0));
        }
        return r.dataset();
    }

    /** Class names, index = class id. */
    public List<String> classNames() {
        return classNames;
    }

    /** The COCO category id of each class index (a copy). */
    public long[] categoryIds() {
        return categoryIds.clone();
    }

    /** The images, in source order (COCO: file order; YOLO layout: sorted by file name). */
    public List<Item> items() {
        return items;
    }

    /** Images left out by {@code on_bad_image: skip}, one line each. */
    public List<String> skipped() {
        return skipped;
    }

    /** Objects over all images. */
    public long boxCount() {
        return items.stream().mapToLong(i -> i.boxes().size()).sum();
    }

    /**
     * Writes this data set as COCO instances (file names relative to {@code imageDir} where they lie
     * under it), so YOLO-labelled data can be scored with {@code jvision detect-eval}.
     */
    public void writeCoco(Path file, Path imageDir) throws IOException {
        List<CocoInstances.Image> images = new ArrayList<>();
        List<CocoInstances.Annotation> anns = new ArrayList<>();
        List<CocoInstances.Category> cats = new ArrayList<>();
        for (int c = 0; c < classNames.size(); c++) cats.add(new CocoInstances.Category(categoryIds[c], classNames.get(c), c));
        Path base = imageDir.toAbsolutePath().normalize();
        for (Item it : items) {
            Path abs = it.image().toAbsolutePath().normalize();
            String name = abs.startsWith(base) ? base.relativize(abs).toString().replace('\\', '/') : abs.toString();
            images.add(new CocoInstances.Image(it.imageId(), name, it.width(), it.height(), images.size()));
            for (BoxLabel b : it.boxes()) {
                double w = b.width();
                double h = b.height();
                anns.add(new CocoInstances.Annotation(anns.size() + 1, it.imageId(), categoryIds[b.classId()], b.x1(),
                        b.y1(), w, h, w * h, b.crowd(), anns.size()));
            }
        }
        CocoInstances.write(file, images, cats, anns);
    }
}
