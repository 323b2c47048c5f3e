package dev.jvision.augment;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.config.AugmentConfig;
import dev.jvision.config.Configs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host-side parameter sampler: probabilities, ramps, mixing weights. No tensors. */
class AugmentSamplerTest {
    static AugmentConfig cfg(String augmentYaml) {
        String indented = augmentYaml.isEmpty() ? "" : "  " + augmentYaml.replace("\n", "\n  ");
        return Configs.fromYaml("augment:\n" + indented + "\n", "test.yaml", List.of()).augment();
    }

    private static final int N = 10_000;

    /** |count - p N| within 5 standard deviations (fails with probability ~1e-6). */
    private static void assertRate(double p, int count, String what) {
        double sd = Math.sqrt(N * p * (1 - p));
        assertTrue(Math.abs(count - p * N) <= 5 * sd + 1, what + ": " + count + " of " + N + " (expected about " + p * N + ")");
    }

    @Test
    void opWithProbabilityP_isAppliedToAboutPOfTheSamples() {
        AugmentConfig c = cfg("hflip: 0.3\nvflip: 0.1\nrot90: 0.75\ncrop: {prob: 0.4}\nerasing: {prob: 0.25}");
        AugmentParams p = new AugmentSampler(c).sample(N, 32, 32, 0, 1, 7, false);
        assertRate(0.3, p.count(AugmentOp.HFLIP), "hflip");
        assertRate(0.1, p.count(AugmentOp.VFLIP), "vflip");
        assertRate(0.75, p.count(AugmentOp.ROT90), "rot90");
        assertRate(0.4, p.count(AugmentOp.CROP), "crop");
        assertRate(0.25, p.count(AugmentOp.ERASE), "erasing");
        assertEquals(0, p.count(AugmentOp.BLUR), "basic policy draws no advanced ops");
    }

    @Test
    void advancedOps_areGatedByTheHardAugmentationRamp() {
        String yaml = "policy: advanced\nadvanced: {blur_prob: 0.5, noise_prob: 1.0}\n"
                + "hard_augmentation: {enabled: true, initial_prob: 0.2, final_prob: 0.9}";
        AugmentSampler s = new AugmentSampler(cfg(yaml));
        AugmentParams first = s.sample(N, 16, 16, 0, 10, 1, false);
        assertRate(0.2, first.count(AugmentOp.HARD), "gate at epoch 0");
        assertRate(0.1, first.count(AugmentOp.BLUR), "blur at epoch 0");
        assertRate(0.2, first.count(AugmentOp.NOISE), "noise at epoch 0");
        AugmentParams last = s.sample(N, 16, 16, 9, 10, 1, false);
        assertRate(0.9, last.count(AugmentOp.HARD), "gate at the last epoch");
        assertRate(0.45, last.count(AugmentOp.BLUR), "blur at the last epoch");
    }

    @Test
    void ramp_isLinearOrCosineBetweenInitialAndFinal() {
        AugmentConfig.HardAugmentation lin = new AugmentConfig.HardAugmentation(true, 0.1, 0.5, "linear");
        assertEquals(0.1, lin.probAt(0, 5), 1e-12);
        assertEquals(0.3, lin.probAt(2, 5), 1e-12);
        assertEquals(0.5, lin.probAt(4, 5), 1e-12);
        assertEquals(0.5, lin.probAt(9, 5), 1e-12);
        AugmentConfig.HardAugmentation cos = new AugmentConfig.HardAugmentation(true, 0.1, 0.5, "cosine");
        assertEquals(0.3, cos.probAt(2, 5), 1e-12);
        assertTrue(cos.probAt(1, 5) < lin.probAt(1, 5));
        assertEquals(1.0, AugmentConfig.HardAugmentation.defaults().probAt(0, 5), "disabled: always on");
    }

    @Test
    void randAugment_drawsNumOpsFromThePool() {
        AugmentParams p = new AugmentSampler(cfg("policy: randaugment\nhflip: 0\nrand_augment: {num_ops: 2, magnitude: 9}"))
                .sample(N, 16, 16, 0, 1, 3, false);
        // with replacement from 18 ops: P(op drawn at least once) = 1 - (17/18)^2
        double q = 1 - Math.pow(17.0 / 18, 2);
        for (AugmentOp op : AugmentOp.RAND_POOL) assertRate(q, p.count(op), op.name());
        AugmentParams t = new AugmentSampler(cfg("policy: trivialaugment\nhflip: 0")).sample(N, 16, 16, 0, 1, 3, false);
        for (AugmentOp op : AugmentOp.RAND_POOL) assertRate(1.0 / 18, t.count(op), "trivial " + op.name());
    }

    @Test
    void mixup_lambdasMatchTargetsAndFollowBeta() {
        AugmentParams p = new AugmentSampler(cfg("mixup: {enabled: true, alpha: 0.4, prob: 0.6}"))
                .sample(N, 8, 8, 0, 1, 11, true);
        assertRate(0.6, p.count(AugmentOp.MIXUP), "mixup");
        assertEquals(0, p.count(AugmentOp.CUTMIX));
        double sum = 0;
        for (int i = 0; i < N; i++) {
            assertEquals(p.mixLambda[i], p.targetLambda[i], 0.0);
            assertTrue(p.mixLambda[i] >= 0 && p.mixLambda[i] <= 1);
            if (p.has(i, AugmentOp.MIXUP)) sum += p.mixLambda[i];
            else assertEquals(1.0, p.mixLambda[i]);
        }
        // Beta(a, a) has mean 1/2 and sd 1/sqrt(4(2a+1)) = 0.37 for a = 0.4
        assertEquals(0.5, sum / p.count(AugmentOp.MIXUP), 0.03);
    }

    @Test
    void cutmix_weightIsExactlyTheKeptAreaFraction() {
        AugmentParams p = new AugmentSampler(cfg("cutmix: {enabled: true, alpha: 1.0, prob: 1.0}"))
                .sample(2000, 24, 40, 0, 1, 5, true);
        for (int i = 0; i < p.n; i++) {
            int[] b = {p.cutBox[i * 4], p.cutBox[i * 4 + 1], p.cutBox[i * 4 + 2], p.cutBox[i * 4 + 3]};
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[2] <= 40 && b[3] <= 24, "box inside the image");
            double area = Math.max(0, b[2] - b[0]) * (double) Math.max(0, b[3] - b[1]);
            assertEquals(1 - area / (24 * 40), p.targetLambda[i], 1e-12);
            assertEquals(1.0, p.mixLambda[i], "CutMix does not blend");
        }
    }

    @Test
    void bothMixes_switchProbPicksCutmix() {
        AugmentParams p = new AugmentSampler(cfg("mixup: {enabled: true, prob: 1.0, switch_prob: 0.3}\n"
                + "cutmix: {enabled: true, prob: 1.0}")).sample(N, 8, 8, 0, 1, 9, true);
        assertRate(0.3, p.count(AugmentOp.CUTMIX), "cutmix");
        assertRate(0.7, p.count(AugmentOp.MIXUP), "mixup");
    }

    @Test
    void sameSeed_sameParameters_otherSeed_different() {
        AugmentSampler s = new AugmentSampler(cfg("policy: advanced\nrot90: 0.5\nrotate_degrees: 20\nerasing: {prob: 0.5}"));
        AugmentParams a = s.sample(64, 32, 32, 2, 5, 42, true);
        AugmentParams b = s.sample(64, 32, 32, 2, 5, 42, true);
        AugmentParams c = s.sample(64, 32, 32, 2, 5, 43, true);
        assertArrayEquals(a.grid, b.grid);
        assertArrayEquals(a.colour, b.colour);
        assertArrayEquals(a.erase, b.erase);
        assertArrayEquals(a.ops, b.ops);
        assertFalse(java.util.Arrays.equals(a.grid, c.grid));
    }

    @Test
    void quarterTurnsAndFlips_giveExactMatrices() {
        AugmentParams p = new AugmentSampler(cfg("hflip: 0.5\nvflip: 0.5\nrot90: 1.0")).sample(200, 16, 16, 0, 1, 2, false);
        for (double v : p.grid) assertTrue(v == 0 || v == 1 || v == -1, "entry " + v);
    }

    @Test
    void homography_mapsCornersExactly() {
        double[][] src = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
        double[][] dst = {{-0.8, -0.9}, {0.95, -0.7}, {0.9, 0.85}, {-0.75, 1}};
        double[] h = AugmentSampler.homography(src, dst);
        for (int k = 0; k < 4; k++) {
            double x = src[k][0];
            double y = src[k][1];
            double z = h[6] * x + h[7] * y + h[8];
            assertEquals(dst[k][0], (h[0] * x + h[1] * y + h[2]) / z, 1e-12);
            assertEquals(dst[k][1], (h[3] * x + h[4] * y + h[5]) / z, 1e-12);
        }
    }
}
