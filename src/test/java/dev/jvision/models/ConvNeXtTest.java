package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ConvNeXt against timm 1.0.29: fixtures from src/test/python/make_convnext_fixtures.py. */
class ConvNeXtTest {
    static final double TOLERANCE = 1e-4;
    static final int[] TINY_DEPTHS = {1, 1, 2, 1};
    static final int[] TINY_DIMS = {8, 16, 24, 32};

    static Path fixture(String name) {
        try {
            return Path.of(ConvNeXtTest.class.getResource("/models/convnext/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing fixture " + name + " (run src/test/python/make_convnext_fixtures.py)", e);
        }
    }

    /** timm ConvNeXt(depths=(1,1,2,1), dims=(8,16,24,32), num_classes=5[, conv_mlp=True, head_hidden_size=12]). */
    static ConvNeXt tiny(boolean convMlp) {
        return ConvNeXt.create(new ConvNeXt.Config(TINY_DEPTHS, TINY_DIMS, convMlp, 1e-6, convMlp ? 12 : 0, 1.0),
                ModelOptions.of(5));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tiny_evalLogits_matchTimm(boolean convMlp) throws IOException {
        String file = convMlp ? "tiny_convmlp" : "tiny";
        try (ConvNeXt m = tiny(convMlp); SafeTensors.Contents io = SafeTensors.read(fixture("io.safetensors"))) {
            Weights.LoadReport r = Weights.load(m, fixture(file + ".safetensors"), false);
            assertEquals(m.stateDict().size(), r.loaded());
            m.train(false);
            float[] expected = Tensors.toFloats(io.tensors().get("logits_" + file));
            float[] actual;
            try (var s = Memory.step()) {
                Tensor logits = m.forward(io.tensors().get("x"));
                assertArrayEquals(new long[] {2, 5}, Tensors.shape(logits));
                actual = Tensors.toFloats(logits);
            }
            float diff = ModelFixtures.maxAbsDiff(expected, actual);
            System.out.println("convnext " + file + " parity with timm: max abs diff " + diff);
            assertTrue(diff <= TOLERANCE, file + ": max abs diff " + diff + " (expected: <= " + TOLERANCE + ")");
            // channels-last weights and input give the same logits
            m.toChannelsLast();
            try (var s = Memory.step()) {
                Tensor x = io.tensors().get("x").contiguous(torch.MemoryFormat.ChannelsLast);
                float d2 = ModelFixtures.maxAbsDiff(expected, Tensors.toFloats(m.forward(x)));
                assertTrue(d2 <= TOLERANCE, file + " channels_last: max abs diff " + d2);
            }
        }
    }

    @Test
    void tinyWeights_intoConvMlpModel_failWithKeyNames() {
        try (ConvNeXt m = tiny(true)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Weights.load(m, fixture("tiny.safetensors"), false));
            assertTrue(e.getMessage().contains("tiny.safetensors"), e.getMessage());
            assertTrue(e.getMessage().contains("head.pre_logits.fc.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("mlp.fc1.weight"), e.getMessage());
        }
    }

    static List<String> timmKeys(String name) throws IOException {
        try (InputStream in = ConvNeXtTest.class.getResourceAsStream("/models/" + name + ".keys.txt")) {
            assertNotNull(in, "no timm key list for " + name + " (run src/test/python/make_convnext_fixtures.py)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }

    static List<String> keyLines(ImageModel m) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            long[] sh = Tensors.shape(e.getValue());
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < sh.length; i++) {
                b.append(i == 0 ? "" : ",").append(sh[i]);
            }
            out.add(e.getKey() + " " + SafeTensors.dtypeName(e.getValue().scalar_type()) + " " + b.append(']'));
        }
        return out;
    }

    /**
     * Every variant is built at full size with timm's exact state_dict, then run on a small input:
     * forward and backward for the small ones, an eval forward for the large ones.
     */
    @ParameterizedTest
    @ValueSource(strings = {"convnext_atto", "convnext_femto", "convnext_pico", "convnext_nano", "convnext_tiny",
            "convnext_small", "convnext_base", "convnext_large"})
    void variant_matchesTimmStateDict_andRuns(String name) throws IOException {
        TorchSettings.seed(2);
        try (ImageModel m = Models.create(name, ModelOptions.of(17))) {
            List<String> expected = timmKeys(name);
            List<String> actual = keyLines(m);
            assertEquals(expected.stream().sorted().toList(), actual.stream().sorted().toList(), name);
            assertEquals(expected, actual, name + ": order differs from timm's state_dict");
            assertEquals("head.fc", m.classifierName());
            assertEquals(17, m.numClasses());
            boolean small = Set.of("convnext_atto", "convnext_femto", "convnext_pico").contains(name);
            m.train(small);
            try (var s = Memory.step()) {
                Tensor logits = m.forward(ModelFixtures.images(1, 32, 5));
                assertArrayEquals(new long[] {1, 17}, Tensors.shape(logits));
                if (small) {
                    Tensor loss = torch.cross_entropy_loss(logits, Tensors.fromLongs(new long[] {3}, 1));
                    loss.backward();
                    for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                        assertTrue(e.getValue().grad().defined(), name + ": no gradient for " + e.getKey());
                    }
                }
                for (float v : Tensors.toFloats(logits)) {
                    assertTrue(Float.isFinite(v), name);
                }
            }
        }
    }

    @Test
    void specs_followTimmPretrainedConfigs() {
        assertEquals(List.of("convnext_atto", "convnext_base", "convnext_femto", "convnext_large", "convnext_nano",
                "convnext_pico", "convnext_small", "convnext_tiny"), Models.list("convnext_*"));
        for (String n : Models.list("convnext_*")) {
            ModelSpec s = Models.spec(n);
            assertEquals("convnext", s.family());
            assertEquals(224, s.inputSize());
            assertEquals("bicubic", s.interpolation());
            assertArrayEquals(ModelSpec.IMAGENET_MEAN, s.mean());
            assertArrayEquals(ModelSpec.IMAGENET_STD, s.std());
            double crop = Set.of("convnext_nano", "convnext_tiny", "convnext_small").contains(n) ? 0.95 : 0.875;
            assertEquals(crop, s.cropPct(), n);
        }
    }

    @Test
    void init_followsTimm() {
        TorchSettings.seed(3);
        try (ConvNeXt m = ConvNeXt.create(ConvNeXt.Config.of(new int[] {1, 1, 3, 1}, new int[] {64, 128, 256, 512}, false),
                ModelOptions.of(100))) {
            Map<String, Tensor> p = m.namedParameters();
            for (String k : List.of("stem.0.weight", "stages.2.blocks.1.mlp.fc1.weight", "stages.3.downsample.1.weight",
                    "stages.1.blocks.0.conv_dw.weight", "head.fc.weight")) {
                float[] w = Tensors.toFloats(p.get(k));
                double sum = 0;
                double sq = 0;
                for (float v : w) {
                    sum += v;
                    sq += (double) v * v;
                }
                double mean = sum / w.length;
                double std = Math.sqrt(sq / w.length - mean * mean);
                assertEquals(0.02, std, 0.002, k + " std");
                assertEquals(0, mean, 0.003, k + " mean");
            }
            for (String k : List.of("stem.0.bias", "stages.0.blocks.0.mlp.fc2.bias", "head.fc.bias", "stem.1.bias",
                    "head.norm.bias")) {
                for (float v : Tensors.toFloats(p.get(k))) {
                    assertEquals(0f, v, k);
                }
            }
            for (String k : List.of("stem.1.weight", "stages.1.downsample.0.weight", "stages.2.blocks.0.norm.weight",
                    "head.norm.weight")) {
                for (float v : Tensors.toFloats(p.get(k))) {
                    assertEquals(1f, v, k);
                }
            }
            for (float v : Tensors.toFloats(p.get("stages.2.blocks.2.gamma"))) {
                assertEquals(1e-6f, v);
            }
        }
    }

    @Test
    void noLayerScale_hasNoGamma_andHeadHiddenSizeAddsPreLogits() {
        try (ConvNeXt m = ConvNeXt.create(new ConvNeXt.Config(TINY_DEPTHS, TINY_DIMS, false, null, 10, 1.0),
                ModelOptions.of(3))) {
            assertTrue(m.stateDict().keySet().stream().noneMatch(k -> k.endsWith("gamma")));
            assertArrayEquals(new long[] {10, 32}, Tensors.shape(m.stateDict().get("head.pre_logits.fc.weight")));
            assertArrayEquals(new long[] {3, 10}, Tensors.shape(m.stateDict().get("head.fc.weight")));
        }
    }

    @Test
    void resetClassifier_keepsBodyAndModeAndKeyOrder() throws IOException {
        try (ConvNeXt m = tiny(false); SafeTensors.Contents io = SafeTensors.read(fixture("io.safetensors"))) {
            Weights.load(m, fixture("tiny.safetensors"), false);
            m.train(false);
            m.resetClassifier(9);
            assertEquals(9, m.numClasses());
            assertFalse(m.isTraining());
            List<String> keys = new ArrayList<>(m.stateDict().keySet());
            assertEquals(List.of("head.norm.weight", "head.norm.bias", "head.fc.weight", "head.fc.bias"),
                    keys.subList(keys.size() - 4, keys.size()));
            for (float v : Tensors.toFloats(m.stateDict().get("head.fc.bias"))) {
                assertEquals(0f, v);
            }
            try (var s = Memory.step()) {
                assertArrayEquals(new long[] {2, 9}, Tensors.shape(m.forward(io.tensors().get("x"))));
            }
            // a checkpoint with 5 classes loads into the 9-class model only with allowNewHead
            assertThrows(IllegalArgumentException.class, () -> Weights.load(m, fixture("tiny.safetensors"), false));
            Weights.LoadReport r = Weights.load(m, fixture("tiny.safetensors"), true);
            assertEquals(List.of("head.fc.weight", "head.fc.bias"), r.droppedHead());
        }
    }

    @Test
    void anyInputSize_andDropPathInTraining() {
        TorchSettings.seed(4);
        try (ConvNeXt m = ConvNeXt.create(ConvNeXt.Config.of(TINY_DEPTHS, TINY_DIMS, false), new ModelOptions(4, 0.3, 0.5))) {
            m.train(false);
            try (var s = Memory.step()) {
                for (int size : new int[] {32, 72, 96}) {
                    assertArrayEquals(new long[] {1, 4}, Tensors.shape(m.forward(ModelFixtures.images(1, size, size))));
                }
                Tensor features = m.forwardFeatures(ModelFixtures.images(2, 96, 1));
                assertArrayEquals(new long[] {2, 32, 3, 3}, Tensors.shape(features));
            }
            m.train(true);
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(8, 32, 6);
                float[] a = Tensors.toFloats(m.forward(x));
                float[] b = Tensors.toFloats(m.forward(x));
                assertTrue(ModelFixtures.maxAbsDiff(a, b) > 0, "drop path / dropout must be stochastic in training");
            }
        }
    }

    @Test
    void config_rejectsBadValues() {
        var e = assertThrows(IllegalArgumentException.class, () -> ConvNeXt.Config.of(new int[] {1, 1, 1}, TINY_DIMS, false));
        assertTrue(e.getMessage().startsWith("depths: [1, 1, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvNeXt.Config.of(TINY_DEPTHS, new int[] {8, 0, 8, 8}, false));
        assertTrue(e.getMessage().startsWith("dims: "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConvNeXt.Config(TINY_DEPTHS, TINY_DIMS, false, Double.NaN, 0, 1.0));
        assertTrue(e.getMessage().startsWith("layer_scale_init: NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ConvNeXt.Config(TINY_DEPTHS, TINY_DIMS, false, 1e-6, -1, 1.0));
        assertTrue(e.getMessage().startsWith("head_hidden_size: -1"), e.getMessage());
    }
}
