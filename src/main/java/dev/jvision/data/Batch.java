package dev.jvision.data;

import java.util.List;

/**
 * One batch of images.
 *
 * <p>The arrays are owned by the receiver of the batch (a fresh batch is built each time);
 * not safe to mutate from several threads at once.
 *
 * @param pixels {@code size*height*width*3} uint8, NHWC, RGB
 * @param labels class per image, -1 when unlabelled
 * @param ids    sample IDs, in batch order
 * @param size   number of images N
 * @param height image height H
 * @param width  image width W
 * @param indices the items' indices in the {@link Dataset} the batch was read from, in batch order (what a
 *               task reads targets by); null when unknown
 */
public record Batch(byte[] pixels, int[] labels, List<String> ids, int size, int height, int width, int[] indices) {
    /** A batch whose dataset indices are not known. */
    public Batch(byte[] pixels, int[] labels, List<String> ids, int size, int height, int width) {
        this(pixels, labels, ids, size, height, width, null);
    }
}
