package dev.jvision.augment;

import static dev.jvision.augment.AugmentSamplerTest.cfg;
import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.config.AugmentConfig;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The device pipeline on CPU tensors: exactness, mixing, determinism, shapes. */
class AugmenterTest {
    private static final Device CPU = Device.CPU;
    private static final double[] ZERO = {0, 0, 0};
    private static final double[] ONE = {1, 1, 1};

    static Tensor randomBatch(int n, int h, int w, long seed) {
        byte[] b = new byte[n * h * w * 3];
        new SplittableRandom(seed).nextBytes(b);
        return Tensors.fromBytes(b, n, h, w, 3);
    }

    /** Float NCHW in [0, 1] of a uint8 NHWC batch. */
    static Tensor unit(Tensor u8) {
        return u8.to(torch.ScalarType.Float).permute(0, 3, 1, 2).contiguous().mul(new org.bytedeco.pytorch.Scalar(1.0 / 255.0));
    }

    static Tensor toUint8(Tensor unitNchw) {
        return unitNchw.mul(new org.bytedeco.pytorch.Scalar(255.0)).round().to(torch.ScalarType.Byte)
                .permute(0, 2, 3, 1).contiguous();
    }

    static float maxAbsDiff(Tensor a, Tensor b) {
        float[] x = Tensors.toFloats(a);
        float[] y = Tensors.toFloats(b);
        assertEquals(x.length, y.length, "sizes");
        float m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    static Augmenter augmenter(AugmentConfig c, int classes) {
        return new Augmenter(c, classes, ZERO, ONE, CPU, false);
    }

    @Test
    void flipTwice_isIdentity_andOnceIsTorchFlip() {
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("hflip: 1.0\nvflip: 1.0"), 2)) {
            Tensor u8 = randomBatch(3, 12, 17, 1);
            Tensor once = a.apply(u8, a.sample(3, 12, 17, 0, 1, 5, false), 5);
            assertEquals(0f, maxAbsDiff(once, unit(u8).flip(2, 3)), 1e-6f);
            Tensor twice = a.apply(toUint8(once), a.sample(3, 12, 17, 0, 1, 6, false), 6);
            assertEquals(0f, maxAbsDiff(twice, unit(u8)), 1e-6f);
        }
    }

    @Test
    void quarterTurnThroughTheGrid_equalsTorchRot90() {
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("hflip: 0"), 2)) {
            Tensor u8 = randomBatch(3, 10, 10, 2);
            AugmentParams p = new AugmentParams(3, 10, 10, 10, 10, 0);
            for (int i = 0; i < 3; i++) {
                double[] r = AugmentSampler.rotation((i + 1) * Math.PI / 2);
                System.arraycopy(r, 0, p.grid, i * 9, 9);
            }
            Tensor out = a.apply(u8, p, 0);
            for (int k = 1; k <= 3; k++) {
                Tensor want = torch.rot90(unit(u8).narrow(0, k - 1, 1), k, new long[] {2, 3});
                assertEquals(0f, maxAbsDiff(out.narrow(0, k - 1, 1), want), 1e-5f, "k=" + k);
            }
        }
    }

    @Test
    void identityParameters_returnTheInput() {
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("policy: basic\nhflip: 0"), 2)) {
            Tensor u8 = randomBatch(4, 9, 13, 3);
            AugmentParams p = a.sample(4, 9, 13, 0, 1, 1, false);
            assertTrue(p.geometricIdentity() && p.colourIdentity());
            assertEquals(0f, maxAbsDiff(a.apply(u8, p, 1), unit(u8)));
            // the grid path itself, with identity homographies
            assertEquals(0f, maxAbsDiff(a.resample(unit(u8), p), unit(u8)), 1e-5f);
        }
    }

    @Test
    void zeroStrengthColourOps_returnTheInput() {
        String yaml = "policy: advanced\nhflip: 0\nbrightness: 0\ncontrast: 0\nadvanced: {affine_prob: 0, perspective_prob: 0,"
                + " color_prob: 1.0, saturation: 0, hue: 0, gamma: 0, sharpness: 0, grayscale: 0, blur_prob: 0,"
                + " motion_blur_prob: 0, noise_prob: 0, jpeg_prob: 0}";
        try (var s = Memory.step(); Augmenter a = augmenter(cfg(yaml), 2)) {
            Tensor u8 = randomBatch(4, 8, 8, 4);
            assertEquals(0f, maxAbsDiff(a.apply(u8, a.sample(4, 8, 8, 0, 1, 2, false), 2), unit(u8)));
        }
    }

    @Test
    void grayscale_makesChannelsEqual_andKeepsGreyPixels() {
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("policy: advanced\nhflip: 0\nadvanced: {affine_prob: 0,"
                + " perspective_prob: 0, color_prob: 0, grayscale: 1.0, blur_prob: 0, motion_blur_prob: 0, noise_prob: 0,"
                + " jpeg_prob: 0}"), 2)) {
            Tensor u8 = randomBatch(2, 6, 6, 5);
            Tensor out = a.apply(u8, a.sample(2, 6, 6, 0, 1, 3, false), 3);
            assertEquals(0f, maxAbsDiff(out.narrow(1, 0, 1), out.narrow(1, 1, 1)), 1e-6f);
            assertEquals(0f, maxAbsDiff(out.narrow(1, 1, 1), out.narrow(1, 2, 1)), 1e-6f);
        }
    }

    @Test
    void filters_keepAConstantImageConstant() {
        String yaml = "policy: advanced\nhflip: 0\nadvanced: {affine_prob: 0, perspective_prob: 0, color_prob: 1.0,"
                + " saturation: 0, hue: 0, gamma: 0, sharpness: 0.9, blur_prob: 1.0, motion_blur_prob: 1.0, noise_prob: 0,"
                + " jpeg_prob: 0}";
        try (var s = Memory.step(); Augmenter a = augmenter(cfg(yaml), 2)) {
            byte[] px = new byte[2 * 11 * 13 * 3];
            java.util.Arrays.fill(px, (byte) 150);
            Tensor u8 = Tensors.fromBytes(px, 2, 11, 13, 3);
            AugmentParams p = a.sample(2, 11, 13, 0, 1, 4, false);
            assertEquals(2, p.count(AugmentOp.BLUR));
            assertEquals(2, p.count(AugmentOp.MOTION_BLUR));
            assertEquals(0f, maxAbsDiff(a.apply(u8, p, 4), unit(u8)), 1e-5f);
        }
    }

    @Test
    void jpeg_lossGrowsAsQualityFalls() {
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("hflip: 0"), 2)) {
            Tensor u8 = smoothBatch(1, 32, 32);
            AugmentParams hi = new AugmentParams(1, 32, 32, 32, 32, 0);
            hi.jpegQuality[0] = 95;
            AugmentParams lo = new AugmentParams(1, 32, 32, 32, 32, 0);
            lo.jpegQuality[0] = 5;
            float eHi = maxAbsDiff(a.apply(u8, hi, 0), unit(u8));
            float eLo = maxAbsDiff(a.apply(u8, lo, 0), unit(u8));
            assertTrue(eHi < 0.05f, "q95 error " + eHi);
            assertTrue(eLo > 2 * eHi, "q5 error " + eLo + " vs q95 " + eHi);
        }
    }

    static Tensor smoothBatch(int n, int h, int w) {
        byte[] b = new byte[n * h * w * 3];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int c = 0; c < 3; c++) {
                        b[((i * h + y) * w + x) * 3 + c] = (byte) (128 + 100 * Math.sin(0.3 * x + 0.2 * y + c + i));
                    }
                }
            }
        }
        return Tensors.fromBytes(b, n, h, w, 3);
    }

    /** Batch whose sample i is the constant 10 * (i + 1). */
    static Tensor constantPerSample(int n, int h, int w) {
        byte[] b = new byte[n * h * w * 3];
        for (int i = 0; i < n; i++) java.util.Arrays.fill(b, i * h * w * 3, (i + 1) * h * w * 3, (byte) (10 * (i + 1)));
        return Tensors.fromBytes(b, n, h, w, 3);
    }

    @Test
    void mixup_targetsSumToOneAndMatchTheImageWeights() {
        int n = 8;
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("policy: none\nmixup: {enabled: true, alpha: 1.0, prob: 1.0}"), n)) {
            Tensor u8 = constantPerSample(n, 4, 4);
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) labels[i] = i;
            Augmenter.Augmented out = a.train(u8, Tensors.fromLongs(labels, n), 0, 1, 21);
            AugmentParams p = a.sample(n, 4, 4, 0, 1, 21, true);
            float[] t = Tensors.toFloats(out.targets());
            float[] img = Tensors.toFloats(out.images());
            assertEquals(n, p.count(AugmentOp.MIXUP));
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int c = 0; c < n; c++) sum += t[i * n + c];
                assertEquals(1.0, sum, 1e-6);
                int j = p.partner[i];
                double lam = p.mixLambda[i];
                if (j != i) {
                    assertEquals(lam, t[i * n + i], 1e-6);
                    assertEquals(1 - lam, t[i * n + j], 1e-6);
                }
                double want = (lam * 10 * (i + 1) + (1 - lam) * 10 * (j + 1)) / 255.0;
                assertEquals(want, img[i * 48], 1e-5, "pixel of sample " + i);
            }
        }
    }

    @Test
    void cutmix_targetWeightEqualsThePastedPixelFraction() {
        int n = 6;
        try (var s = Memory.step(); Augmenter a = augmenter(cfg("policy: none\ncutmix: {enabled: true, alpha: 1.0, prob: 1.0}"), n)) {
            Tensor u8 = constantPerSample(n, 10, 14);
            long[] labels = new long[n];
            for (int i = 0; i < n; i++) labels[i] = i;
            Augmenter.Augmented out = a.train(u8, Tensors.fromLongs(labels, n), 0, 1, 8);
            AugmentParams p = a.sample(n, 10, 14, 0, 1, 8, true);
            float[] img = Tensors.toFloats(out.images());
            float[] t = Tensors.toFloats(out.targets());
            for (int i = 0; i < n; i++) {
                int j = p.partner[i];
                if (j == i) continue;
                int own = 0;
                for (int k = 0; k < 140; k++) {
                    if (Math.abs(img[i * 420 + k] - 10 * (i + 1) / 255.0) < 1e-6) own++;
                }
                assertEquals(own / 140.0, t[i * n + i], 1e-6, "own-label weight of sample " + i);
                assertEquals(1 - own / 140.0, t[i * n + j], 1e-6);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "basic", "advanced", "randaugment", "trivialaugment"})
    void everyPolicy_givesFloatNchwAndSoftTargets(String policy) {
        String yaml = "policy: " + policy + "\nrot90: 0.5\nrotate_degrees: 10\nscale_min: 0.9\nscale_max: 1.1\n"
                + "brightness: 0.2\ncontrast: 0.2\ncrop: {prob: 0.5}\nerasing: {prob: 0.5, max_count: 2}\n"
                + "advanced: {blur_prob: 0.5, motion_blur_prob: 0.5, noise_prob: 0.5, jpeg_prob: 0.5}\n"
                + "mixup: {enabled: true, prob: 0.5}\ncutmix: {enabled: true, prob: 0.5}\n"
                + "hard_augmentation: {enabled: true, initial_prob: 0.5, final_prob: 1.0}";
        for (boolean channelsLast : new boolean[] {false, true}) {
            try (var s = Memory.step();
                 Augmenter a = new Augmenter(cfg(yaml), 5, new double[] {0.485, 0.456, 0.406},
                         new double[] {0.229, 0.224, 0.225}, CPU, channelsLast)) {
                Tensor u8 = randomBatch(8, 20, 24, 6);
                long[] labels = {0, 1, 2, 3, 4, 0, 1, 2};
                Augmenter.Augmented out = a.train(u8, Tensors.fromLongs(labels, 8), 1, 3, 99);
                assertArrayEquals(new long[] {8, 3, 20, 24}, Tensors.shape(out.images()));
                assertEquals(torch.ScalarType.Float, out.images().scalar_type().intern());
                assertEquals(channelsLast, out.images().is_contiguous(torch.MemoryFormat.ChannelsLast)
                        && !out.images().is_contiguous());
                assertArrayEquals(new long[] {8, 5}, Tensors.shape(out.targets()));
                assertEquals(torch.ScalarType.Float, out.targets().scalar_type().intern());
                float[] t = Tensors.toFloats(out.targets());
                for (int i = 0; i < 8; i++) {
                    double sum = 0;
                    for (int c = 0; c < 5; c++) sum += t[i * 5 + c];
                    assertEquals(1.0, sum, 1e-5);
                }
                for (float v : Tensors.toFloats(out.images())) assertTrue(Float.isFinite(v));
                assertArrayEquals(new long[] {8, 3, 20, 24}, Tensors.shape(a.eval(u8)));
            }
        }
    }

    @Test
    void sameSeed_sameBatch_otherSeed_different() {
        String yaml = "policy: advanced\nrot90: 0.5\nrotate_degrees: 30\nerasing: {prob: 0.7}\n"
                + "advanced: {noise_prob: 0.8, blur_prob: 0.5, perspective_prob: 0.5}\nmixup: {enabled: true, prob: 0.5}";
        try (var s = Memory.step(); Augmenter a = augmenter(cfg(yaml), 3)) {
            Tensor u8 = randomBatch(6, 16, 16, 7);
            Tensor labels = Tensors.fromLongs(new long[] {0, 1, 2, 0, 1, 2}, 6);
            Augmenter.Augmented x = a.train(u8, labels, 0, 1, 1234);
            Augmenter.Augmented y = a.train(u8, labels, 0, 1, 1234);
            Augmenter.Augmented z = a.train(u8, labels, 0, 1, 1235);
            assertEquals(0f, maxAbsDiff(x.images(), y.images()));
            assertEquals(0f, maxAbsDiff(x.targets(), y.targets()));
            assertTrue(maxAbsDiff(x.images(), z.images()) > 0.1f);
        }
    }

    @Test
    void letterbox_padsAndOutputSizeResizes() {
        try (var s = Memory.step();
             Augmenter a = augmenter(cfg("hflip: 0\nresize: letterbox\noutput_size: 16\npad_mode: constant\npad_value: 1.0"), 2)) {
            byte[] px = new byte[8 * 16 * 3]; // black 8 x 16 (h x w)
            Tensor out = a.eval(Tensors.fromBytes(px, 1, 8, 16, 3));
            assertArrayEquals(new long[] {1, 3, 16, 16}, Tensors.shape(out));
            float[] v = Tensors.toFloats(out);
            assertEquals(1f, v[0], 1e-6f, "top band is padding");
            assertEquals(0f, v[8 * 16 + 5], 1e-6f, "middle row is the image");
        }
    }

    @Test
    void badInput_isRejectedWithTheShape() {
        try (var s = Memory.step(); Augmenter a = augmenter(AugmentConfig.defaults(), 2)) {
            Tensor f = Tensors.fromFloats(new float[12], 1, 2, 2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.eval(f));
            assertTrue(e.getMessage().contains("[1, 2, 2, 3]") && e.getMessage().contains("uint8"), e.getMessage());
            a.close();
            assertThrows(IllegalStateException.class, () -> a.eval(randomBatch(1, 2, 2, 0)));
        }
    }
}
