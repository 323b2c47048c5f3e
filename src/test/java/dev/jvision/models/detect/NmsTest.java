package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.global.opencv_dnn;
import org.bytedeco.opencv.opencv_core.Rect2d;
import org.bytedeco.opencv.opencv_core.Rect2dVector;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class NmsTest {
    /** Random clustered boxes so that many overlap. */
    private static float[] randomBoxes(Random r, int n) {
        float[] b = new float[n * 4];
        for (int i = 0; i < n; i++) {
            float cx = 20 + 60 * (r.nextInt(5)) + (float) r.nextGaussian() * 8;
            float cy = 20 + 60 * (r.nextInt(4)) + (float) r.nextGaussian() * 8;
            float w = 10 + r.nextFloat() * 40;
            float h = 10 + r.nextFloat() * 40;
            b[4 * i] = cx - w / 2;
            b[4 * i + 1] = cy - h / 2;
            b[4 * i + 2] = cx + w / 2;
            b[4 * i + 3] = cy + h / 2;
        }
        return b;
    }

    /** OpenCV's NMSBoxes on the same boxes: kept indices (into the input order). */
    private static TreeSet<Integer> opencv(float[] boxes, float[] scores, float iou) {
        int n = scores.length;
        Rect2d[] rects = new Rect2d[n];
        for (int i = 0; i < n; i++) {
            rects[i] = new Rect2d(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2] - boxes[4 * i], boxes[4 * i + 3] - boxes[4 * i + 1]);
        }
        TreeSet<Integer> kept = new TreeSet<>();
        try (Rect2dVector v = new Rect2dVector(rects); FloatPointer s = new FloatPointer(scores);
             IntPointer idx = new IntPointer()) {
            opencv_dnn.NMSBoxes(v, s, 0f, iou, idx);
            for (long i = 0; i < idx.limit(); i++) {
                kept.add(idx.get(i));
            }
        }
        return kept;
    }

    /** Sorts one image's boxes by descending score and runs {@link Nms#keep}; returns kept input indices. */
    private static TreeSet<Integer> tensorNms(float[] boxes, float[] scores, float iou) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        float[] sorted = new float[n * 4];
        for (int i = 0; i < n; i++) {
            System.arraycopy(boxes, 4 * order[i], sorted, 4 * i, 4);
        }
        TreeSet<Integer> kept = new TreeSet<>();
        try (var step = Memory.step()) {
            Tensor b = Tensors.fromFloats(sorted, 1, n, 4);
            Tensor valid = Tensors.fromFloats(fill(n, 1), 1, n).gt(new org.bytedeco.pytorch.Scalar(0.5));
            long[] k = Tensors.toLongs(Nms.keep(b, valid, iou));
            for (int i = 0; i < n; i++) {
                if (k[i] != 0) {
                    kept.add(order[i]);
                }
            }
        }
        return kept;
    }

    private static float[] fill(int n, float v) {
        float[] f = new float[n];
        Arrays.fill(f, v);
        return f;
    }

    @Test
    void randomBoxes_matchOpenCvNmsBoxes() {
        Random r = new Random(11);
        for (int trial = 0; trial < 6; trial++) {
            int n = 50 + r.nextInt(250);
            float[] boxes = randomBoxes(r, n);
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = r.nextFloat();
            }
            float iou = 0.3f + 0.1f * trial;
            TreeSet<Integer> expected = opencv(boxes, scores, iou);
            TreeSet<Integer> got = tensorNms(boxes, scores, iou);
            assertTrue(expected.size() > 3 && expected.size() < n, "trial " + trial + ": degenerate case");
            assertEquals(expected, got, "trial " + trial + " (n=" + n + ", iou=" + iou + ")");
        }
    }

    @Test
    void classAware_differentClassesDoNotSuppress() {
        try (var step = Memory.step()) {
            Tensor boxes = Tensors.fromFloats(new float[] {0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 10, 10}, 1, 3, 4);
            Tensor classes = Tensors.fromLongs(new long[] {0, 1, 0}, 1, 3);
            Tensor valid = Tensors.fromLongs(new long[] {1, 1, 1}, 1, 3).gt(new org.bytedeco.pytorch.Scalar(0));
            assertArrayEquals(new long[] {1, 1, 0}, Tensors.toLongs(Nms.keepPerClass(boxes, classes, valid, 0.5)));
            assertArrayEquals(new long[] {1, 0, 0}, Tensors.toLongs(Nms.keep(boxes, valid, 0.5)));
        }
    }

    @Test
    void decoder_confThreshold_maxDet_andPadding() {
        // image 0: two overlapping boxes of class 1 and one far box of class 0; image 1: all below conf
        float[] boxes = {0, 0, 10, 10, 1, 0, 11, 10, 50, 50, 60, 60, 0, 0, 5, 5,
                         0, 0, 10, 10, 20, 20, 30, 30, 40, 40, 50, 50, 0, 0, 5, 5};
        float[] scores = {0.1f, 0.9f, 0.2f, 0.8f, 0.7f, 0.1f, 0.05f, 0.01f,
                          0.1f, 0.1f, 0.2f, 0.1f, 0.1f, 0.2f, 0.1f, 0.1f};
        try (var step = Memory.step()) {
            Detections d = DetectionDecoder.select(Tensors.fromFloats(boxes, 2, 4, 4), Tensors.fromFloats(scores, 2, 4, 2),
                    new DetectionDecoder.Options(0.25, 0.5, 3, 100, false));
            List<List<Detections.Box>> lists = d.toLists();
            assertEquals(2, lists.get(0).size());
            assertEquals(0, lists.get(1).size());
            Detections.Box first = lists.get(0).get(0);
            assertEquals(0.9f, first.score(), 1e-6f);
            assertEquals(1, first.classId());
            assertEquals(0.7f, lists.get(0).get(1).score(), 1e-6f);
            assertEquals(0, lists.get(0).get(1).classId());
            assertArrayEquals(new long[] {2, 3}, Tensors.shape(d.scores()));
            assertEquals(-1, Tensors.toLongs(d.classes())[2]);

            Detections one = DetectionDecoder.select(Tensors.fromFloats(boxes, 2, 4, 4), Tensors.fromFloats(scores, 2, 4, 2),
                    new DetectionDecoder.Options(0.25, 0.5, 1, 100, false));
            assertEquals(new ArrayList<>(List.of(1L, 0L)), toList(Tensors.toLongs(one.counts())));
        }
    }

    @Test
    void slicedBatch_sameAsWholeBatch() {
        Random r = new Random(2);
        int b = 5;
        int n = 40;
        float[] boxes = new float[b * n * 4];
        long[] classes = new long[b * n];
        for (int i = 0; i < b; i++) {
            System.arraycopy(randomBoxes(r, n), 0, boxes, i * n * 4, n * 4);
        }
        for (int i = 0; i < classes.length; i++) {
            classes[i] = r.nextInt(3);
        }
        try (var step = Memory.step()) {
            Tensor bx = Tensors.fromFloats(boxes, b, n, 4);
            Tensor cl = Tensors.fromLongs(classes, b, n);
            Tensor valid = Tensors.fromFloats(fill(b * n, 1), b, n).gt(new org.bytedeco.pytorch.Scalar(0.5));
            long[] whole = Tensors.toLongs(Nms.keepPerClass(bx, cl, valid, 0.4));
            long[] sliced = Tensors.toLongs(DetectionDecoder.chunkedNms(bx, cl, valid, 0.4, 2L * n * n));
            assertArrayEquals(whole, sliced);
        }
    }

    private static List<Long> toList(long[] a) {
        List<Long> l = new ArrayList<>();
        for (long v : a) {
            l.add(v);
        }
        return l;
    }
}
