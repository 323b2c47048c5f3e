package dev.jvision.augment.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class LetterboxTest {
    @Test
    void plan_keepsAspectAndPadsToSize() {
        Letterbox.Placement p = Letterbox.plan(200, 100, 64, 32, false, true);
        assertEquals(64, p.newWidth());
        assertEquals(32, p.newHeight());
        assertEquals(0, p.padLeft());
        assertEquals(16, p.padTop());
        assertEquals(64, p.outWidth());
        assertEquals(64, p.outHeight());
        Letterbox.Placement auto = Letterbox.plan(200, 90, 64, 32, true, true);
        assertEquals(29, auto.newHeight());       // round(90 * 0.32) = 29
        assertEquals(32, auto.outHeight());       // padded only to the next multiple of 32
        assertEquals(1, auto.padTop());
        Letterbox.Placement noUp = Letterbox.plan(20, 10, 64, 32, false, false);
        assertEquals(20, noUp.newWidth());
        assertEquals(22, noUp.padLeft());
        assertThrows(IllegalArgumentException.class, () -> Letterbox.plan(10, 10, 50, 32, false, true));
    }

    @Test
    void boxes_roundTripToOriginalPixels() {
        Letterbox.Placement p = Letterbox.plan(333, 517, 640, 32, false, true);
        try (var step = Memory.step()) {
            float[] original = {10.5f, 20, 300, 500, 0, 0, 333, 517};
            Tensor boxes = Tensors.fromFloats(original, 2, 4);
            Tensor there = p.toLetterbox(boxes);
            assertArrayEquals(original, Tensors.toFloats(p.toOriginal(there)), 1e-3f);
            float[] first = java.util.Arrays.copyOf(Tensors.toFloats(there), 4);
            assertArrayEquals(new float[] {10.5f, 20, 300, 500}, p.toOriginal(first), 1e-3f);
        }
    }

    @Test
    void image_rectangleLandsWhereItsBoxMaps() {
        int w = 120;
        int h = 60;
        byte[] px = new byte[h * w * 3];
        float[] box = {30, 10, 70, 40};
        for (int y = 10; y < 40; y++) {
            for (int x = 30; x < 70; x++) {
                for (int c = 0; c < 3; c++) {
                    px[(y * w + x) * 3 + c] = (byte) 255;
                }
            }
        }
        Letterbox.Placement p = Letterbox.plan(w, h, 96, 32, false, true);
        try (var step = Memory.step()) {
            Tensor out = Letterbox.apply(Tensors.fromBytes(px, h, w, 3), p, 114);
            assertArrayEquals(new long[] {96, 96, 3}, Tensors.shape(out));
            float[] mapped = Tensors.toFloats(p.toLetterbox(Tensors.fromFloats(box, 4)));
            long[] v = Tensors.toLongs(out);
            // inside the mapped box (1 px margin): white; just outside: black image; padding rows: 114
            for (int y = (int) mapped[1] + 1; y < (int) mapped[3] - 1; y++) {
                for (int x = (int) mapped[0] + 1; x < (int) mapped[2] - 1; x++) {
                    assertEquals(255, v[(y * 96 + x) * 3], "inside at " + x + "," + y);
                }
            }
            assertEquals(0, v[((int) mapped[1] + 5) * 96 * 3 + ((int) mapped[0] - 3) * 3]);
            assertEquals(114, v[0]);
            assertEquals(114, v[(95 * 96 + 50) * 3 + 1]);
        }
    }
}
