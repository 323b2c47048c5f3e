package dev.jvision.data.detection;

/**
 * One ground-truth object: 0-based class index and the box as corners in pixels of the original
 * image ({@code x2 > x1}, {@code y2 > y1} once validated), plus COCO's {@code iscrowd} flag (a crowd
 * region is neither a positive nor a miss; evaluation ignores detections on it).
 *
 * <p>Immutable and thread-safe.
 *
 * @param classId 0-based class index
 * @param x1 left edge in pixels
 * @param y1 top edge in pixels
 * @param x2 right edge in pixels
 * @param y2 bottom edge in pixels
 * @param crowd COCO {@code iscrowd}
 */
public record BoxLabel(int classId, float x1, float y1, float x2, float y2, boolean crowd) {
    /** A box that is not a crowd region. */
    public BoxLabel(int classId, float x1, float y1, float x2, float y2) {
        this(classId, x1, y1, x2, y2, false);
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
