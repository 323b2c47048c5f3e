package dev.jvision.models.detect;

import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Decoded detections of a batch, padded to {@code D} per image and sorted by descending score;
 * rows past {@code counts[b]} are padding (score 0, class -1). Tensors belong to the caller's
 * step scope; {@link #toLists()} copies them to the host.
 *
 * @param boxes   float [B, D, 4] corners in the detector's input pixels
 * @param scores  float [B, D]
 * @param classes int64 [B, D]
 * @param counts  int64 [B] kept detections per image
 */
public record Detections(Tensor boxes, Tensor scores, Tensor classes, Tensor counts) {
    /** One detection on the host. Immutable. */
    public record Box(float x1, float y1, float x2, float y2, float score, int classId) {
        public float width() {
            return x2 - x1;
        }

        public float height() {
            return y2 - y1;
        }
    }

    /** The detections per image, as host objects (a copy; the tensors stay the caller's). */
    public List<List<Box>> toLists() {
        long b = boxes.size(0);
        long d = boxes.size(1);
        float[] bx = Tensors.toFloats(boxes);
        float[] sc = Tensors.toFloats(scores);
        long[] cl = Tensors.toLongs(classes);
        long[] n = Tensors.toLongs(counts);
        List<List<Box>> out = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            List<Box> img = new ArrayList<>();
            for (int j = 0; j < n[i]; j++) {
                int r = (int) (i * d + j);
                img.add(new Box(bx[4 * r], bx[4 * r + 1], bx[4 * r + 2], bx[4 * r + 3], sc[r], (int) cl[r]));
            }
            out.add(img);
        }
        return out;
    }
}
