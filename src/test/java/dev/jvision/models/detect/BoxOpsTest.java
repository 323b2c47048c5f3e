package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class BoxOpsTest {
    private static Tensor box(float... xyxy) {
        return Tensors.fromFloats(xyxy, xyxy.length / 4, 4);
    }

    private static double one(Tensor t) {
        return Tensors.toDoubles(t)[0];
    }

    @Test
    void overlappingSquares_iouGiouDiouCiou_matchHandValues() {
        try (var step = Memory.step()) {
            Tensor a = box(0, 0, 2, 2);
            Tensor b = box(1, 1, 3, 3);
            // intersection 1, union 7, hull 3x3 = 9, centre distance^2 2, hull diagonal^2 18
            assertEquals(1.0 / 7, one(BoxOps.iou(a, b)), 1e-6);
            assertEquals(1.0 / 7 - 2.0 / 9, one(BoxOps.giou(a, b)), 1e-6);
            assertEquals(1.0 / 7 - 2.0 / 18, one(BoxOps.diou(a, b)), 1e-6);
            // same aspect ratio: v = 0, CIoU = DIoU
            assertEquals(1.0 / 7 - 2.0 / 18, one(BoxOps.ciou(a, b)), 1e-6);
        }
    }

    @Test
    void differentAspect_ciouPenalisesAspect_matchesHandValue() {
        try (var step = Memory.step()) {
            Tensor a = box(0, 0, 4, 2);   // w 4, h 2
            Tensor b = box(1, 0, 3, 4);   // w 2, h 4
            // intersection 2x2 = 4, union 12: IoU 1/3; centres (2,1),(2,2): rho^2 1; hull 4x4: c^2 32
            double iou = 1.0 / 3;
            double diou = iou - 1.0 / 32;
            double v = 4 / (Math.PI * Math.PI) * Math.pow(Math.atan(2.0 / 4) - Math.atan(4.0 / 2), 2);
            double alpha = v / (1 - iou + v);
            assertEquals(0.2683316, diou - alpha * v, 1e-6);
            assertEquals(iou, one(BoxOps.iou(a, b)), 1e-6);
            assertEquals(diou, one(BoxOps.diou(a, b)), 1e-6);
            assertEquals(diou - alpha * v, one(BoxOps.ciou(a, b)), 1e-6);
        }
    }

    @Test
    void disjointBoxes_iouZero_giouNegative() {
        try (var step = Memory.step()) {
            Tensor a = box(0, 0, 1, 1);
            Tensor b = box(2, 0, 3, 1);
            assertEquals(0, one(BoxOps.iou(a, b)), 1e-7);
            // hull 3x1 = 3, union 2
            assertEquals(-1.0 / 3, one(BoxOps.giou(a, b)), 1e-6);
        }
    }

    @Test
    void pairwiseIou_shapeAndValues() {
        try (var step = Memory.step()) {
            Tensor a = box(0, 0, 2, 2, 0, 0, 1, 1);
            Tensor b = box(1, 1, 3, 3, 0, 0, 2, 2, 10, 10, 11, 11);
            Tensor m = BoxOps.pairwiseIou(a, b);
            assertArrayEquals(new long[] {2, 3}, Tensors.shape(m));
            double[] v = Tensors.toDoubles(m);
            assertArrayEquals(new double[] {1.0 / 7, 1, 0, 0, 0.25, 0}, v, 1e-6);
        }
    }

    @Test
    void distancesAndBoxes_roundTrip() {
        try (var step = Memory.step()) {
            Tensor points = Tensors.fromFloats(new float[] {10, 20}, 1, 2);
            Tensor ltrb = Tensors.fromFloats(new float[] {1, 2, 3, 4}, 1, 4);
            Tensor boxes = BoxOps.distancesToBoxes(points, ltrb);
            assertArrayEquals(new float[] {9, 18, 13, 24}, Tensors.toFloats(boxes), 1e-6f);
            assertArrayEquals(new float[] {1, 2, 3, 4}, Tensors.toFloats(BoxOps.boxesToDistances(points, boxes)), 1e-6f);
            assertArrayEquals(new float[] {11, 21, 4, 6}, Tensors.toFloats(BoxOps.xyxyToCxcywh(boxes)), 1e-6f);
        }
    }
}
