package dev.jvision.data.detection;

/**
 * One detected object: class id (0-based, the index into the data set's category names), score,
 * and the box as corners {@code (x1, y1)-(x2, y2)} in pixels of the original image (x to the right,
 * y down, {@code x2 >= x1}, {@code y2 >= y1}). The detector produces these; {@link CocoResults}
 * writes them as COCO results.
 *
 * <p>Immutable and thread-safe.
 *
 * @param classId 0-based class index
 * @param score confidence in [0, 1] (not checked: any finite value sorts)
 * @param x1 left edge in pixels
 * @param y1 top edge in pixels
 * @param x2 right edge in pixels
 * @param y2 bottom edge in pixels
 */
public record DetectionBox(int classId, float score, float x1, float y1, float x2, float y2) {
    public DetectionBox {
        if (classId < 0) throw new IllegalArgumentException("classId: " + classId + " (expected: >= 0)");
        if (!(x2 >= x1) || !(y2 >= y1)) {
            throw new IllegalArgumentException("box: [" + x1 + ", " + y1 + ", " + x2 + ", " + y2
                    + "] (expected: x1 <= x2 and y1 <= y2, finite)");
        }
    }

    /** Box width in pixels. */
    public float width() {
        return x2 - x1;
    }

    /** Box height in pixels. */
    public float height() {
        return y2 - y1;
    }
}
