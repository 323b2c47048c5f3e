package dev.jvision.augment;

import static dev.jvision.augment.AugmentSamplerTest.cfg;
import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** augment.translate, augment.flip_mode: alternate and the TTA shifts. */
class FlipShiftTest {
    @BeforeAll
    static void init() {
        NativeRuntime.init();
    }

    /** A [1, 1, 3, 4] batch with value 10 y + x. */
    private static Tensor grid() {
        float[] v = new float[12];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 4; x++) v[y * 4 + x] = 10 * y + x;
        return Tensors.fromFloats(v, 1, 1, 3, 4);
    }

    @Test
    void shiftRightDown_reflectsAboutTheEdgePixel() {
        try (var s = Memory.step()) {
            Tensor out = FlipShift.apply(grid(), new int[] {1}, new int[] {1}, new boolean[] {false}, Device.CPU);
            // row -1 reflects to row 1, column -1 to column 1
            assertArrayEquals(new float[] {11, 10, 11, 12, 1, 0, 1, 2, 11, 10, 11, 12}, Tensors.toFloats(out));
            assertArrayEquals(Tensors.toFloats(out), Tensors.toFloats(FlipShift.shift(grid(), 2, 3, 1, 1)),
                    "the TTA shift (index_select) agrees with the training gather");
        }
    }

    @Test
    void flipThenShiftLeft_perSample() {
        try (var s = Memory.step()) {
            Tensor two = torch.cat(new org.bytedeco.pytorch.TensorVector(grid(), grid()));
            Tensor out = FlipShift.apply(two, new int[] {-1, 0}, new int[] {0, 0}, new boolean[] {true, false}, Device.CPU);
            float[] v = Tensors.toFloats(out);
            // sample 0: flipped rows (3, 2, 1, 0) shifted left: (2, 1, 0, 1)
            assertArrayEquals(new float[] {2, 1, 0, 1, 12, 11, 10, 11, 22, 21, 20, 21}, Arrays.copyOfRange(v, 0, 12));
            assertArrayEquals(Tensors.toFloats(grid()), Arrays.copyOfRange(v, 12, 24), "sample 1 untouched");
        }
    }

    @Test
    void reflectIndices_andTooLargeShifts() {
        assertArrayEquals(new long[] {2, 1, 0, 1, 2}, FlipShift.reflectIndices(5, 2));
        assertArrayEquals(new long[] {2, 3, 4, 3, 2}, FlipShift.reflectIndices(5, -2));
        assertThrows(IllegalArgumentException.class, () -> FlipShift.reflectIndices(3, 3));
    }

    @Test
    void alternateFlip_everyImageFlippedInExactlyOneOfTwoEpochs_andHalfOfThem() {
        int flipped0 = 0;
        for (int i = 0; i < 2000; i++) {
            String id = "img" + i + ".png";
            for (int e = 0; e < 5; e++) {
                assertNotEquals(FlipShift.alternateFlip(id, e), FlipShift.alternateFlip(id, e + 1), id + " epoch " + e);
            }
            if (FlipShift.alternateFlip(id, 0)) flipped0++;
        }
        assertTrue(flipped0 > 900 && flipped0 < 1100, "about half flipped at epoch 0: " + flipped0);
    }

    @Test
    void augmenter_alternateMode_flipsByIdAndEpoch() {
        try (var s = Memory.step();
             Augmenter a = new Augmenter(cfg("policy: basic\nflip_mode: alternate\nhflip: 0.5"), 2,
                     new double[] {0, 0, 0}, new double[] {1, 1, 1}, Device.CPU, false)) {
            Tensor raw = AugmenterTest.randomBatch(6, 5, 7, 3);
            Tensor labels = Tensors.fromLongs(new long[] {0, 1, 0, 1, 0, 1}, 6);
            List<String> ids = List.of("a", "b", "c", "d", "e", "f");
            Tensor plain = AugmenterTest.unit(raw);
            for (int epoch = 0; epoch < 2; epoch++) {
                Tensor x = a.train(raw, labels, epoch, 4, 99 + epoch, ids).images();
                for (int i = 0; i < 6; i++) {
                    Tensor want = FlipShift.alternateFlip(ids.get(i), epoch) ? torch.flip(plain.narrow(0, i, 1), 3)
                            : plain.narrow(0, i, 1);
                    assertEquals(0f, AugmenterTest.maxAbsDiff(want, x.narrow(0, i, 1)), 1e-6, "image " + i + " epoch " + epoch);
                }
            }
        }
    }

    @Test
    void augmenter_translate_isWholePixelReflectShifts_andLeavesOtherDrawsAlone() {
        try (var s = Memory.step();
             Augmenter a = new Augmenter(cfg("policy: basic\nhflip: 0\ntranslate: 2"), 2,
                     new double[] {0, 0, 0}, new double[] {1, 1, 1}, Device.CPU, false)) {
            Tensor raw = AugmenterTest.randomBatch(64, 8, 8, 5);
            AugmentParams p = a.sample(64, 8, 8, 0, 1, 7, false);
            List<Integer> seen = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                assertTrue(Math.abs(p.shiftX[i]) <= 2 && Math.abs(p.shiftY[i]) <= 2);
                if (!seen.contains(p.shiftX[i])) seen.add(p.shiftX[i]);
            }
            assertEquals(5, seen.size(), "all of -2..2 drawn: " + seen);
            Tensor x = a.apply(raw, p, 7);
            Tensor plain = AugmenterTest.unit(raw);
            for (int i = 0; i < 64; i++) {
                Tensor want = FlipShift.shift(plain.narrow(0, i, 1), 2, 3, p.shiftX[i], p.shiftY[i]);
                assertEquals(0f, AugmenterTest.maxAbsDiff(want, x.narrow(0, i, 1)), 1e-6, "image " + i);
            }
            // the other ops' draws are those of the config without translate
            AugmentParams q = new Augmenter(cfg("policy: basic\nhflip: 0.5\nrotate_degrees: 10"), 2,
                    new double[] {0, 0, 0}, new double[] {1, 1, 1}, Device.CPU, false).sample(16, 8, 8, 0, 1, 7, false);
            AugmentParams r = new Augmenter(cfg("policy: basic\nhflip: 0.5\nrotate_degrees: 10\ntranslate: 3"), 2,
                    new double[] {0, 0, 0}, new double[] {1, 1, 1}, Device.CPU, false).sample(16, 8, 8, 0, 1, 7, false);
            assertArrayEquals(q.grid, r.grid);
        }
    }

    @Test
    void config_rejectsBadValues() {
        var e = assertThrows(dev.jvision.config.ConfigException.class, () -> cfg("translate: 40"));
        assertTrue(e.getMessage().contains("augment.translate"), e.getMessage());
        e = assertThrows(dev.jvision.config.ConfigException.class, () -> cfg("flip_mode: sometimes"));
        assertTrue(e.getMessage().contains("flip_mode"), e.getMessage());
        assertEquals("random", cfg("").flipMode());
        assertEquals(0, cfg("").translate());
    }

    @Test
    void tta_shiftViews_parseApplyAndInvert() {
        Tta.View v = Tta.parse("hflip+right1+down1");
        assertEquals(3, v.steps().size());
        try (var s = Memory.step()) {
            Tensor px = AugmenterTest.randomBatch(2, 6, 6, 11);
            Tensor back = Tta.applyPixels(Tta.applyPixels(px, Tta.parse("right1")), Tta.parse("right1").inverse());
            // a shift and its inverse agree away from the reflected border column
            assertEquals(0f, AugmenterTest.maxAbsDiff(px.narrow(2, 0, 5).to(torch.ScalarType.Float),
                    back.narrow(2, 0, 5).to(torch.ScalarType.Float)), 0);
            Tensor f = AugmenterTest.unit(px);
            assertEquals(0f, AugmenterTest.maxAbsDiff(AugmenterTest.unit(Tta.applyPixels(px, v)), Tta.applyFloat(f, v)), 1e-6,
                    "uint8 NHWC and float NCHW paths agree");
        }
        for (String ok : Tta.SMALL_IMAGE_VIEWS) Tta.parse(ok);
        new dev.jvision.config.InferConfig(8, false, true, Tta.SMALL_IMAGE_VIEWS, 0, false, 0);
        assertThrows(IllegalArgumentException.class, () -> Tta.parse("right9"));
    }
}
