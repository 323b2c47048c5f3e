package dev.jvision.augment.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BoxAugmenterTest {
    static final int S = 64;
    static final int N = 4;

    @BeforeAll
    static void threads() {
        TorchSettings.setThreads(2);
    }

    /** Four black images, image i holding one white rectangle of class i. */
    private static float[] boxes() {
        return new float[] {8, 10, 30, 40, 30, 5, 60, 25, 20, 30, 50, 58, 5, 5, 25, 20};
    }

    private static byte[] pixels(float[] boxes) {
        byte[] px = new byte[N * S * S * 3];
        for (int i = 0; i < N; i++) {
            for (int y = (int) boxes[4 * i + 1]; y < boxes[4 * i + 3]; y++) {
                for (int x = (int) boxes[4 * i]; x < boxes[4 * i + 2]; x++) {
                    for (int c = 0; c < 3; c++) {
                        px[((i * S + y) * S + x) * 3 + c] = (byte) 255;
                    }
                }
            }
        }
        return px;
    }

    @Test
    void mosaicAffineFlip_rectanglesStayAlignedWithTheirBoxes() {
        float[] b = boxes();
        BoxAugmenter aug = new BoxAugmenter(new BoxAugmentConfig(1.0, 0.3, 0.1, 0.5, 0, 0, 0, 0, 2, 0.1));
        int checkedBoxes = 0;
        for (long seed = 1; seed <= 6; seed++) {
            try (var step = Memory.step()) {
                BoxAugmenter.Batch out = aug.apply(Tensors.fromBytes(pixels(b), N, S, S, 3), Tensors.fromFloats(b, N, 1, 4),
                        Tensors.fromLongs(new long[] {0, 1, 2, 3}, N, 1), seed, true);
                assertArrayEquals(new long[] {N, 3, S, S}, Tensors.shape(out.images()));
                float[] img = Tensors.toFloats(out.images());
                float[] ob = Tensors.toFloats(out.boxes());
                long[] oc = Tensors.toLongs(out.classes());
                int m = (int) out.classes().size(1);
                for (int i = 0; i < N; i++) {
                    boolean[] stray = new boolean[S * S];
                    for (int y = 0; y < S; y++) {
                        for (int x = 0; x < S; x++) {
                            float v = img[(i * 3) * S * S + y * S + x];
                            boolean inside = false;
                            boolean near = false;
                            for (int j = 0; j < m; j++) {
                                if (oc[i * m + j] < 0) {
                                    continue;
                                }
                                float[] bx = java.util.Arrays.copyOfRange(ob, (i * m + j) * 4, (i * m + j) * 4 + 4);
                                double cx = x + 0.5;
                                double cy = y + 0.5;
                                inside |= cx > bx[0] + 1.5 && cx < bx[2] - 1.5 && cy > bx[1] + 1.5 && cy < bx[3] - 1.5;
                                near |= cx > bx[0] - 1.5 && cx < bx[2] + 1.5 && cy > bx[1] - 1.5 && cy < bx[3] + 1.5;
                            }
                            if (inside) {
                                assertTrue(v > 0.9, "seed " + seed + " image " + i + ": dark pixel " + v + " at " + x + "," + y
                                        + " inside a box");
                            } else if (!near && v > 0.5) {
                                stray[y * S + x] = true;
                            }
                        }
                    }
                    // white outside every box may only be what a dropped box left: a sliver at the
                    // border (mostly clipped) or a region under 3 px wide or high (too small)
                    String bad = strayRegion(stray);
                    assertTrue(bad == null, "seed " + seed + " image " + i + ": white region outside every box: " + bad);
                    for (int j = 0; j < m; j++) {
                        if (oc[i * m + j] >= 0) {
                            checkedBoxes++;
                        }
                    }
                }
            }
        }
        assertTrue(checkedBoxes > 24, "only " + checkedBoxes + " boxes survived 6 mosaic batches");
    }

    /** A 4-connected white region that neither touches the border nor is thin, or null. */
    private static String strayRegion(boolean[] stray) {
        boolean[] seen = new boolean[S * S];
        for (int start = 0; start < S * S; start++) {
            if (!stray[start] || seen[start]) {
                continue;
            }
            java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>();
            todo.add(start);
            seen[start] = true;
            int x0 = S, y0 = S, x1 = -1, y1 = -1;
            boolean border = false;
            while (!todo.isEmpty()) {
                int k = todo.poll();
                int x = k % S;
                int y = k / S;
                x0 = Math.min(x0, x);
                x1 = Math.max(x1, x);
                y0 = Math.min(y0, y);
                y1 = Math.max(y1, y);
                border |= x == 0 || y == 0 || x == S - 1 || y == S - 1;
                int[][] nb = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
                for (int[] q : nb) {
                    if (q[0] >= 0 && q[1] >= 0 && q[0] < S && q[1] < S && stray[q[1] * S + q[0]] && !seen[q[1] * S + q[0]]) {
                        seen[q[1] * S + q[0]] = true;
                        todo.add(q[1] * S + q[0]);
                    }
                }
            }
            boolean thin = x1 - x0 + 1 <= 3 || y1 - y0 + 1 <= 3;
            if (!border && !thin) {
                return "x " + x0 + ".." + x1 + ", y " + y0 + ".." + y1;
            }
        }
        return null;
    }

    @Test
    void mosaicOff_eachImageKeepsOnlyItsOwnBox() {
        float[] b = boxes();
        BoxAugmenter aug = new BoxAugmenter(new BoxAugmentConfig(1.0, 0.0, 0.0, 1.0, 0, 0, 0, 0, 2, 0.1));
        try (var step = Memory.step()) {
            BoxAugmenter.Batch out = aug.apply(Tensors.fromBytes(pixels(b), N, S, S, 3), Tensors.fromFloats(b, N, 1, 4),
                    Tensors.fromLongs(new long[] {0, 1, 2, 3}, N, 1), 3, false);
            assertArrayEquals(new long[] {0, 1, 2, 3}, Tensors.toLongs(out.classes()));
            // flip probability 1: x -> 64 - x
            float[] expected = {34, 10, 56, 40, 4, 5, 34, 25, 14, 30, 44, 58, 39, 5, 59, 20};
            assertArrayEquals(expected, Tensors.toFloats(out.boxes()), 1e-4f);
            float[] img = Tensors.toFloats(out.images());
            assertEquals(1.0f, img[20 * S + 45], 1e-5f);   // image 0, inside the flipped rectangle
            assertEquals(0.0f, img[20 * S + 15], 1e-5f);   // where the rectangle was before the flip
        }
    }

    @Test
    void filter_dropsTinyAndMostlyClippedBoxes() {
        BoxAugmenter aug = new BoxAugmenter(BoxAugmentConfig.defaults());
        try (var step = Memory.step()) {
            Tensor boxes = Tensors.fromFloats(new float[] {
                -57, 10, 3, 30,      // 60 wide, 3 left inside: 5% of its area -> dropped
                10, 10, 11.5f, 40,   // 1.5 px wide -> dropped
                -5, 10, 20, 30,      // 80% inside -> kept, clipped to x1 = 0
                0, 0, 0, 0}, 1, 4, 4);
            Tensor classes = Tensors.fromLongs(new long[] {1, 2, 3, -1}, 1, 4);
            Tensor[] kept = aug.filter(boxes, classes, S, S);
            assertArrayEquals(new long[] {3}, Tensors.toLongs(kept[1]));
            assertArrayEquals(new float[] {0, 10, 20, 30}, Tensors.toFloats(kept[0]), 1e-6f);
        }
    }

    @Test
    void noBoxes_andColourJitter_work() {
        BoxAugmenter aug = new BoxAugmenter(BoxAugmentConfig.defaults());
        try (var step = Memory.step()) {
            byte[] px = new byte[N * S * S * 3];
            java.util.Arrays.fill(px, (byte) 128);
            BoxAugmenter.Batch out = aug.apply(Tensors.fromBytes(px, N, S, S, 3), Tensors.fromFloats(new float[0], N, 0, 4),
                    Tensors.fromLongs(new long[0], N, 0), 9, true);
            assertArrayEquals(new long[] {N, 0, 4}, Tensors.shape(out.boxes()));
            float[] img = Tensors.toFloats(out.images());
            for (float v : img) {
                assertTrue(v >= 0 && v <= 1, "value " + v);
            }
        }
    }

    @Test
    void colourMatrix_identityWithoutJitter_greyStaysGrey() {
        double[][] id = BoxAugmenter.colourMatrix(1, 1, 0);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(i == j ? 1 : 0, id[i][j], 1e-9);
            }
        }
        double[][] m = BoxAugmenter.colourMatrix(1.2, 0.3, 0.5);
        for (int i = 0; i < 3; i++) {   // grey (1, 1, 1) only scales by the value gain
            assertEquals(1.2, m[i][0] + m[i][1] + m[i][2], 1e-2);
        }
    }
}
