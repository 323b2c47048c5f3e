package dev.jvision.data.detection;

import java.nio.file.Path;

/**
 * Where a detection data set's labels and images are:
 * <ul>
 *   <li>{@link #coco}: a COCO instances JSON and the folder its {@code file_name}s are relative to;</li>
 *   <li>{@link #yoloLayout}: {@code root/images/<split>/*.jpg|png|...} with {@code root/labels/<split>/<stem>.txt};</li>
 *   <li>{@link #yoloManifest}: a text file with one image path per line (relative to the file's folder,
 *       an optional {@code image_path} header), labels where YOLO keeps them: the last {@code images}
 *       folder of the path replaced by {@code labels}, the extension by {@code .txt}.</li>
 * </ul>
 * YOLO class names come from {@code classFile} (one per line, line i = class i); null means
 * {@code root/classes.txt} (layout) or {@code classes.txt} beside the manifest.
 *
 * <p>Immutable; thread-safe.
 *
 * @param format which of the three
 * @param labels the COCO JSON, the YOLO root or the YOLO manifest
 * @param images COCO: the image folder; YOLO layout: the split name; manifest: unused (null)
 * @param classFile YOLO class names, nullable
 */
public record DetectionSource(Format format, Path labels, String images, Path classFile) {
    /** The label formats. */
    public enum Format { COCO, YOLO_LAYOUT, YOLO_MANIFEST }

    public DetectionSource {
        if (format == null || labels == null) throw new IllegalArgumentException("format and labels: null (expected: set)");
        if (format != Format.YOLO_MANIFEST && images == null) {
            throw new IllegalArgumentException("images: null (expected: the image folder or split)");
        }
    }

    /** A COCO instances file whose {@code file_name}s are relative to {@code imageDir}. */
    public static DetectionSource coco(Path json, Path imageDir) {
        return new DetectionSource(Format.COCO, json, imageDir.toString(), null);
    }

    /**
     * A COCO instances file at the usual place, {@code root/annotations/instances_<split>.json},
     * with images under {@code root/images/<split>} (the layout {@code jvision demo-data --kind
     * detection} writes).
     */
    public static DetectionSource coco(Path root, String split) {
        return coco(root.resolve("annotations").resolve("instances_" + split + ".json"),
                root.resolve("images").resolve(split));
    }

    /** A YOLO folder layout's split. */
    public static DetectionSource yoloLayout(Path root, String split, Path classFile) {
        return new DetectionSource(Format.YOLO_LAYOUT, root, split, classFile);
    }

    /** A YOLO image list. */
    public static DetectionSource yoloManifest(Path list, Path classFile) {
        return new DetectionSource(Format.YOLO_MANIFEST, list, null, classFile);
    }

    /** A short name for messages: the JSON or list file, or {@code root/images/split}. */
    public String describe() {
        return format == Format.YOLO_LAYOUT ? labels.resolve("images").resolve(images).toString() : labels.toString();
    }
}
