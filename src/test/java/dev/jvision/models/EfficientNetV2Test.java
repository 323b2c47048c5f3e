package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.nn.Conv2dSame;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Architecture decoding, rounding, padding, initialisation and registry entries of
 * {@link EfficientNetV2}; expected numbers come from timm 1.0.29. Key/shape/dtype equality with
 * timm and forward/backward of every registered variant are in {@link ModelsTest}, numeric
 * parity in {@link EfficientNetParityTest}.
 */
class EfficientNetV2Test {
    private static final List<List<String>> BASE = List.of(
            List.of("cn_r1_k3_s1_e1_c16_skip"), List.of("er_r2_k3_s2_e4_c32"), List.of("er_r2_k3_s2_e4_c48"),
            List.of("ir_r3_k3_s2_e4_c96_se0.25"), List.of("ir_r5_k3_s1_e6_c112_se0.25"), List.of("ir_r8_k3_s2_e6_c192_se0.25"));

    @ParameterizedTest
    @CsvSource({"1280,1.1,0,1408", "1280,1.2,0,1536", "24,0.8,0.9,24", "1280,0.8,0.9,1024", "48,1.1,0,56",
            "112,1.2,0,136", "20,1.0,0.9,24"})
    void roundChannels_matchesTimm(int channels, double multiplier, double roundLimit, int expected) {
        EfficientNetV2.Arch a = new EfficientNetV2.Arch(BASE, multiplier, 1.0, roundLimit, 32, 1280, true, 1e-3);
        assertEquals(expected, a.roundChannels(channels));
    }

    @ParameterizedTest
    @CsvSource({"1.0,'1,2,2,3,5,8'", "1.1,'2,3,3,4,6,9'", "1.2,'2,3,3,4,6,10'", "1.4,'2,3,3,5,7,12'"})
    void depthScaling_ceilPerStage_matchesTimm(double depthMultiplier, String expected) {
        List<Integer> counts = EfficientNetV2.decode(BASE, depthMultiplier).stream().map(List::size).toList();
        assertEquals(expected, String.join(",", counts.stream().map(String::valueOf).toList()));
    }

    @Test
    void depthScaling_multiDefinitionStage_allocatesInReverseWithPythonRounding() {
        // 5/6 * 3 = 2.5 rounds half to even (2), so the first definition keeps one block
        var stage = EfficientNetV2.decode(List.of(List.of("ir_r1_k3_s1_e1_c8", "er_r5_k3_s1_e1_c8")), 0.5).get(0);
        assertEquals(List.of("ir", "er", "er"), stage.stream().map(EfficientNetV2.BlockArgs::type).toList());
        stage = EfficientNetV2.decode(List.of(List.of("ir_r1_k5_s2_e3_c24_se0.25", "er_r3_k3_s1_e2_c24")), 1.7).get(0);
        assertEquals(List.of("ir", "ir", "er", "er", "er", "er", "er"), stage.stream().map(EfficientNetV2.BlockArgs::type).toList());
    }

    @Test
    void decode_readsEveryOption() {
        var b = EfficientNetV2.decode(List.of(List.of("ir_r2_k5_s2_e6_c40_se0.25_a3_p1_noskip_nre")), 1.0).get(0).get(0);
        assertEquals("ir", b.type());
        assertEquals(5, b.kernel());
        assertEquals(2, b.stride());
        assertEquals(6.0, b.expRatio());
        assertEquals(40, b.outChs());
        assertEquals(0.25, b.seRatio());
        assertEquals(3, b.expKernel());
        assertTrue(b.noskip());
        assertEquals(EfficientNetV2.Act.RELU, b.act());
        var cn = EfficientNetV2.decode(List.of(List.of("cn_r1_k3_s1_e1_c24_skip")), 1.0).get(0).get(0);
        assertTrue(cn.skip());
        assertFalse(cn.noskip());
    }

    @ParameterizedTest
    @ValueSource(strings = {"xx_r1_k3_s1_c8", "ir_r1_k3_s1_e4_c8_q7", "ir_r1_k3_s1_e4", "ir_r1_k3.5_s1_e4_c8", "er_r1_k3_s3_e4_c8",
            "ir_r1_k3_s1_c8", "ir_r1_k3_s1_e4_c8_nzz"})
    void decode_badBlockString_namesStageBlockAndExpectation(String block) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> EfficientNetV2.decode(List.of(List.of("cn_r1_k3_s1_e1_c8"), List.of(block)), 1.0));
        assertTrue(e.getMessage().contains("stage 1 block '" + block + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("expected") || e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void arch_rejectsBadMultipliers() {
        assertThrows(IllegalArgumentException.class, () -> new EfficientNetV2.Arch(BASE, 0, 1, 0, 32, 1280, true, 1e-3));
        assertThrows(IllegalArgumentException.class, () -> new EfficientNetV2.Arch(List.of(), 1, 1, 0, 32, 1280, true, 1e-3));
    }

    @ParameterizedTest
    @CsvSource({"61,3,2,2", "60,3,2,1", "61,3,1,2", "7,5,2,4", "8,5,2,3", "1,3,2,2"})
    void samePadding_asTensorflow(long size, int kernel, int stride, long expected) {
        assertEquals(expected, Conv2dSame.samePadding(size, kernel, stride, 1));
    }

    @Test
    void conv2dSame_outputIsCeilOfInputOverStride() {
        try (Conv2dSame c = new Conv2dSame(3, 4, 3, 2, 1, 1, true); var s = Memory.step()) {
            assertArrayEquals(new long[] {1, 4, 31, 30}, Tensors.shape(c.forward(Tensors.fromFloats(new float[3 * 61 * 60], 1, 3, 61, 60))));
        }
    }

    @Test
    void specs_carryTimmPretrainedConfig() {
        ModelSpec s = Models.spec("tf_efficientnetv2_s");
        assertEquals(300, s.inputSize());
        assertArrayEquals(new double[] {0.5, 0.5, 0.5}, s.mean());
        assertEquals(1.0, s.cropPct());
        ModelSpec b0 = Models.spec("tf_efficientnetv2_b0");
        assertEquals(192, b0.inputSize());
        assertArrayEquals(ModelSpec.IMAGENET_MEAN, b0.mean());
        assertEquals(0.875, b0.cropPct());
        assertEquals("bicubic", b0.interpolation());
        assertEquals(240, Models.spec("tf_efficientnetv2_b3").inputSize());
        assertEquals(384, Models.spec("tf_efficientnetv2_m").inputSize());
        assertEquals(288, Models.spec("efficientnetv2_rw_s").inputSize());
        assertEquals(List.of("efficientnetv2_rw_s", "efficientnetv2_rw_t"), Models.list("efficientnetv2_*"));
        assertEquals(6, Models.list("tf_efficientnetv2_*").size());
    }

    @Test
    void init_followsTimmGoogInit() {
        TorchSettings.seed(3);
        try (ImageModel m = Models.create("tf_efficientnetv2_b0", ModelOptions.of(10))) {
            Map<String, Tensor> sd = m.stateDict();
            // depthwise 3x3 conv of 192 channels: fan_out = 9 * 192 / 192 (timm's fix_group_fanout)
            assertEquals(Math.sqrt(2.0 / 9), std(sd.get("blocks.3.0.conv_dw.weight")), 0.05);
            assertEquals(Math.sqrt(2.0 / (9 * 32)), std(sd.get("conv_stem.weight")), 0.02);
            assertArrayEquals(new long[] {12, 192, 1, 1}, Tensors.shape(sd.get("blocks.3.0.se.conv_reduce.weight")));
            assertEquals(0f, maxAbs(sd.get("blocks.3.0.se.conv_reduce.bias")));
            assertEquals(0f, maxAbs(sd.get("classifier.bias")));
            assertTrue(maxAbs(sd.get("classifier.weight")) <= 1 / Math.sqrt(10) + 1e-6);
            assertEquals(1f, Tensors.toFloats(sd.get("blocks.5.7.bn3.weight"))[0]);
        }
    }

    @Test
    void resetClassifier_keepsPlaceAndFollowsMode() {
        var arch = EfficientNetParityTest.tiny("tf");
        try (EfficientNetV2 m = EfficientNetV2.create(arch, ModelOptions.of(5))) {
            m.train(false);
            m.resetClassifier(3);
            assertEquals(3, m.numClasses());
            assertFalse(m.children().get("classifier").isTraining());
            List<String> keys = List.copyOf(m.stateDict().keySet());
            assertEquals(List.of("classifier.weight", "classifier.bias"), keys.subList(keys.size() - 2, keys.size()));
            try (var s = Memory.step()) {
                assertArrayEquals(new long[] {1, 3}, Tensors.shape(m.forward(ModelFixtures.images(1, 37, 2))));
                assertArrayEquals(new long[] {1, m.numFeatures(), 3, 3}, Tensors.shape(m.forwardFeatures(ModelFixtures.images(1, 37, 2))));
            }
            assertThrows(IllegalArgumentException.class, () -> m.resetClassifier(0));
        }
    }

    @Test
    void dropPath_onlyInTraining() {
        var arch = EfficientNetParityTest.tiny("pt");
        TorchSettings.seed(5);
        try (EfficientNetV2 m = EfficientNetV2.create(arch, new ModelOptions(5, 0.0, 0.9)); var s = Memory.step()) {
            Tensor x = ModelFixtures.images(8, 32, 1);
            m.train(false);
            assertArrayEquals(Tensors.toFloats(m.forward(x)), Tensors.toFloats(m.forward(x)));
            m.train(true);
            float[] a = Tensors.toFloats(m.forward(x));
            float[] b = Tensors.toFloats(m.forward(x));
            assertTrue(ModelFixtures.maxAbsDiff(a, b) > 0, "drop-path 0.9 must make training forwards differ");
        }
    }

    private static double std(Tensor t) {
        float[] v = Tensors.toFloats(t);
        double sum = 0;
        double sq = 0;
        for (float f : v) {
            sum += f;
            sq += (double) f * f;
        }
        double mean = sum / v.length;
        return Math.sqrt(sq / v.length - mean * mean);
    }

    private static float maxAbs(Tensor t) {
        float m = 0;
        for (float f : Tensors.toFloats(t)) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}
