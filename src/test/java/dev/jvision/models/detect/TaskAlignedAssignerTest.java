package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class TaskAlignedAssignerTest {
    /**
     * A 4x4 grid of anchors at stride 8 (centres 4, 12, 20, 28). Image 0: gt 0 = (0,0,16,16)
     * class 0 contains anchors 0, 1, 4, 5; gt 1 = (8,0,32,16) class 1 contains 1, 2, 3, 5, 6, 7;
     * row 2 is padding. Image 1 has only padding. alpha = beta = 1, top-2.
     */
    @Test
    void handMadeCase_assignsExpectedAnchors() {
        int a = 16;
        float[] anchors = new float[a * 2];
        for (int i = 0; i < a; i++) {
            anchors[2 * i] = 4 + 8 * (i % 4);
            anchors[2 * i + 1] = 4 + 8 * (i / 4);
        }
        float[] pred = new float[2 * a * 4];
        for (int i = 0; i < 2 * a; i++) {      // default: a tiny box far away (IoU 0)
            pred[4 * i] = 100;
            pred[4 * i + 1] = 100;
            pred[4 * i + 2] = 101;
            pred[4 * i + 3] = 101;
        }
        setBox(pred, 0, 0, 0, 16, 16);     // IoU 1 with gt 0
        setBox(pred, 1, 0, 0, 16, 8);      // IoU 0.5 with gt 0, 1/7 with gt 1
        setBox(pred, 4, 0, 0, 8, 8);       // IoU 0.25 with gt 0
        setBox(pred, 5, 8, 8, 24, 24);     // IoU 1/7 with gt 0
        setBox(pred, 2, 8, 0, 32, 16);     // IoU 1 with gt 1
        float[] scores = new float[2 * a * 2];
        for (int i = 0; i < 2 * a; i++) {
            scores[2 * i] = 0.5f;
            scores[2 * i + 1] = 0.5f;
        }
        scores[2 * 1 + 1] = 0.9f;          // anchor 1 looks like class 1
        float[] gt = {0, 0, 16, 16, 8, 0, 32, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        long[] cls = {0, 1, -1, -1, -1, -1};
        try (var step = Memory.step()) {
            var r = new TaskAlignedAssigner(2, 1, 1).assign(Tensors.fromFloats(scores, 2, a, 2),
                    Tensors.fromFloats(pred, 2, a, 4), Tensors.fromFloats(anchors, a, 2),
                    Tensors.fromFloats(gt, 2, 3, 4), Tensors.fromLongs(cls, 2, 3));
            long[] fg = Tensors.toLongs(r.foreground());
            long[] expectedFg = new long[2 * a];
            expectedFg[0] = 1;
            expectedFg[1] = 1;   // claimed by both gts; its box overlaps gt 0 more (0.5 vs 1/7)
            expectedFg[2] = 1;
            assertArrayEquals(expectedFg, fg);
            long[] labels = Tensors.toLongs(r.labels());
            assertEquals(0, labels[0]);
            assertEquals(0, labels[1]);
            assertEquals(1, labels[2]);
            long[] gtIndex = Tensors.toLongs(r.gtIndex());
            assertEquals(0, gtIndex[1]);
            assertEquals(1, gtIndex[2]);
            float[] target = Tensors.toFloats(r.scores());
            // gt 0: metrics 0.5 (anchor 0) and 0.25 (anchor 1), best IoU 1 -> 1.0 and 0.5
            assertEquals(1.0, target[0], 1e-5);
            assertEquals(0.5, target[2], 1e-5);
            assertEquals(0.0, target[3], 1e-6);
            // gt 1 keeps only anchor 2 (metric 0.5, IoU 1) -> 1.0 at class 1
            assertEquals(1.0, target[2 * 2 + 1], 1e-5);
            double sum = 0;
            for (float v : target) {
                sum += v;
            }
            assertEquals(2.5, sum, 1e-5);
            float[] boxes = Tensors.toFloats(r.boxes());
            assertArrayEquals(new float[] {8, 0, 32, 16}, java.util.Arrays.copyOfRange(boxes, 8, 12), 1e-6f);
        }
    }

    @Test
    void noBoxes_allBackground() {
        try (var step = Memory.step()) {
            Tensor scores = Tensors.fromFloats(new float[2 * 3 * 2], 2, 3, 2);
            Tensor pred = Tensors.fromFloats(new float[2 * 3 * 4], 2, 3, 4);
            Tensor anchors = Tensors.fromFloats(new float[3 * 2], 3, 2);
            var r = new TaskAlignedAssigner(10, 0.5, 6).assign(scores, pred, anchors,
                    Tensors.fromFloats(new float[0], 2, 0, 4), Tensors.fromLongs(new long[0], 2, 0));
            assertEquals(0, Tensors.toLongs(r.foreground().sum())[0]);
            assertArrayEquals(new long[] {2, 3, 2}, Tensors.shape(r.scores()));
        }
    }

    private static void setBox(float[] pred, int anchor, float x1, float y1, float x2, float y2) {
        pred[4 * anchor] = x1;
        pred[4 * anchor + 1] = y1;
        pred[4 * anchor + 2] = x2;
        pred[4 * anchor + 3] = y2;
    }
}
