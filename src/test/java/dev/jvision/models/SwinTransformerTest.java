package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SwinTransformerTest {
    private static final int FIXTURE_CLASSES = 17; // as in src/test/python/make_swin_fixtures.py

    @ParameterizedTest
    @ValueSource(strings = {"swin_tiny_patch4_window7_224", "swin_small_patch4_window7_224",
            "swin_base_patch4_window7_224", "swin_base_patch4_window12_384"})
    void variant_stateDictMatchesTimm_forwardsAtFullSize_andTrains(String name) throws IOException {
        List<String> expected = keys(name);
        ModelSpec spec = Models.spec(name);
        assertEquals("swin", spec.family());
        assertEquals("bicubic", spec.interpolation());
        assertEquals(name.endsWith("384") ? 384 : 224, spec.inputSize());
        assertEquals(name.endsWith("384") ? 1.0 : 0.9, spec.cropPct());
        TorchSettings.seed(3);
        try (ImageModel m = Models.create(name, ModelOptions.of(FIXTURE_CLASSES))) {
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
                long[] sh = Tensors.shape(e.getValue());
                StringBuilder shape = new StringBuilder("[");
                for (int i = 0; i < sh.length; i++) {
                    shape.append(i == 0 ? "" : ",").append(sh[i]);
                }
                actual.add(e.getKey() + " " + SafeTensors.dtypeName(e.getValue().scalar_type()) + " " + shape.append(']'));
            }
            assertEquals(expected.stream().sorted().toList(), actual.stream().sorted().toList(), name);
            assertEquals(expected, actual, name + ": order differs from timm's state_dict");
            assertEquals("head.fc", m.classifierName());
            // timm's init: trunc-normal(.02) Linear weights, zero biases, unit LayerNorm
            float[] qkv = Tensors.toFloats(m.stateDict().get("layers.0.blocks.0.attn.qkv.weight"));
            double sq = 0;
            for (float v : qkv) {
                sq += v * v;
                assertTrue(Math.abs(v) <= 2, "truncated at 2");
            }
            assertEquals(0.02, Math.sqrt(sq / qkv.length), 0.002, "qkv init std");
            for (float v : Tensors.toFloats(m.stateDict().get("head.fc.bias"))) {
                assertEquals(0f, v);
            }
            // full-size forward (the size timm builds it for), batch 1, eval: slow on CPU, so once
            m.train(false);
            int size = spec.inputSize();
            try (var s = Memory.step(); NoGradGuard ng = new NoGradGuard()) {
                Tensor features = m.forwardFeatures(ModelFixtures.images(1, size, 5));
                int grid = size / 32;
                long width = Tensors.shape(m.stateDict().get("norm.weight"))[0];
                assertArrayEquals(new long[] {1, grid, grid, width}, Tensors.shape(features), "NHWC features");
                Tensor logits = m.forwardHead(features);
                assertArrayEquals(new long[] {1, FIXTURE_CLASSES}, Tensors.shape(logits));
                for (float v : Tensors.toFloats(logits)) {
                    assertTrue(Float.isFinite(v), name + ": logit " + v);
                }
            }
            // training step at a small input (windows as built, padded maps): every parameter learns
            m.train(true);
            try (var s = Memory.step()) {
                Tensor logits = m.forward(ModelFixtures.images(1, 64, 6));
                Tensor loss = torch.cross_entropy_loss(logits, Tensors.fromLongs(new long[] {2}, 1));
                assertTrue(Float.isFinite(loss.item_float()));
                loss.backward();
                assertEveryParameterHasAFiniteGradient(m);
            }
        }
    }

    @Test
    void tinyConfig_forwardBackward_withDropPath_isStochasticInTrainingOnly() {
        TorchSettings.seed(5);
        SwinTransformer.Config c = new SwinTransformer.Config(64, 4, 4, 16, new int[] {2, 2, 2}, new int[] {1, 2, 4}, 4, 4.0, 0.5, 0);
        try (SwinTransformer m = SwinTransformer.create(c)) {
            assertEquals(4, m.numClasses());
            assertEquals("swin_custom", m.spec().name());
            m.train(true);
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(4, 64, 7);
                Tensor logits = m.forward(x);
                float[] a = Tensors.toFloats(logits);
                torch.cross_entropy_loss(logits, Tensors.fromLongs(new long[] {0, 1, 2, 3}, 4)).backward();
                assertEveryParameterHasAFiniteGradient(m);
                float[] b = Tensors.toFloats(m.forward(x));
                assertTrue(ModelFixtures.maxAbsDiff(a, b) > 0, "drop path must act in training");
            }
            m.train(false);
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(2, 64, 8);
                assertArrayEquals(Tensors.toFloats(m.forward(x)), Tensors.toFloats(m.forward(x)));
            }
        }
    }

    private static void assertEveryParameterHasAFiniteGradient(ImageModel m) {
        List<String> noGrad = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
            Tensor g = e.getValue().grad();
            if (!g.defined()) {
                noGrad.add(e.getKey());
                continue;
            }
            for (float v : Tensors.toFloats(g)) {
                if (!Float.isFinite(v)) {
                    fail("non-finite gradient in " + e.getKey());
                }
            }
        }
        assertEquals(List.of(), noGrad, "parameters without a gradient");
    }

    @Test
    void nonPersistentBuffers_areNotInTheStateDict() {
        try (SwinTransformer m = SwinTransformer.create(SwinParityTest.tiny(64))) {
            for (String k : m.stateDict().keySet()) {
                assertFalse(k.contains("relative_position_index") || k.contains("attn_mask"), k);
            }
            assertTrue(m.namedBuffers().isEmpty(), "timm's Swin has no persistent buffers");
        }
    }

    @Test
    void unsupportedImageSize_namesSizeAndConstraint() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new SwinTransformer.Config(30, 4, 4, 16, new int[] {2}, new int[] {1}, 5, 4.0, 0, 0));
        assertTrue(e.getMessage().contains("img_size: 30") && e.getMessage().contains("multiple of patch_size 4"), e.getMessage());
        try (SwinTransformer m = SwinTransformer.create(SwinParityTest.tiny(32))) {
            m.train(false);
            try (var s = Memory.step()) {
                var f = assertThrows(IllegalArgumentException.class, () -> m.forward(ModelFixtures.images(1, 30, 1)));
                assertTrue(f.getMessage().contains("[1, 3, 30, 30]") && f.getMessage().contains("multiples of patch_size 4"),
                        f.getMessage());
                var g = assertThrows(IllegalArgumentException.class,
                        () -> m.forward(Tensors.fromFloats(new float[32 * 32], 1, 1, 32, 32)));
                assertTrue(g.getMessage().contains("[1, 1, 32, 32]"), g.getMessage());
            }
        }
    }

    @Test
    void badConfig_namesTheField() {
        var heads = assertThrows(IllegalArgumentException.class,
                () -> new SwinTransformer.Config(32, 4, 4, 16, new int[] {2, 2}, new int[] {3, 2}, 5, 4.0, 0, 0));
        assertTrue(heads.getMessage().contains("num_heads[0]: 3") && heads.getMessage().contains("16"), heads.getMessage());
        var len = assertThrows(IllegalArgumentException.class,
                () -> new SwinTransformer.Config(32, 4, 4, 16, new int[] {2, 2}, new int[] {1}, 5, 4.0, 0, 0));
        assertTrue(len.getMessage().contains("depths"), len.getMessage());
        var window = assertThrows(IllegalArgumentException.class,
                () -> new SwinTransformer.Config(32, 4, 0, 16, new int[] {2}, new int[] {1}, 5, 4.0, 0, 0));
        assertTrue(window.getMessage().contains("window_size: 0"), window.getMessage());
    }

    @Test
    void resetClassifier_keepsHeadLastAndChangesOutputs() {
        try (SwinTransformer m = SwinTransformer.create(SwinParityTest.tiny(32))) {
            m.train(false);
            m.resetClassifier(3);
            assertEquals(3, m.numClasses());
            assertFalse(m.children().get("head").children().get("fc").isTraining());
            List<String> keys = new ArrayList<>(m.stateDict().keySet());
            assertEquals(List.of("head.fc.weight", "head.fc.bias"), keys.subList(keys.size() - 2, keys.size()));
            try (var s = Memory.step()) {
                assertArrayEquals(new long[] {2, 3}, Tensors.shape(m.forward(ModelFixtures.images(2, 32, 1))));
            }
        }
    }

    @Test
    void closedModel_throws_andCloseIsIdempotent() {
        SwinTransformer m = SwinTransformer.create(SwinParityTest.tiny(32));
        m.close();
        m.close();
        assertThrows(IllegalStateException.class, m::stateDict);
        try (var s = Memory.step()) {
            assertThrows(IllegalStateException.class, () -> m.forward(ModelFixtures.images(1, 32, 1)));
        }
    }

    private static List<String> keys(String name) throws IOException {
        try (InputStream in = SwinTransformerTest.class.getResourceAsStream("/models/" + name + ".keys.txt")) {
            assertNotNull(in, "no timm fixture for " + name + " (run src/test/python/make_swin_fixtures.py)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }
}
