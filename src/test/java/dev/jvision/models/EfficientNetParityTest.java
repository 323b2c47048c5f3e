package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Numeric parity with timm on two tiny EfficientNets built by timm's own builder (fixtures from
 * {@code src/test/python/make_effnet_fixtures.py}): TensorFlow "same" padding on an odd-sized
 * input, and PyTorch padding; eval logits, train-mode logits and the running-statistics update.
 * Full registered variants are compared when {@code JVISION_PARITY_DIR} holds the (large,
 * uncommitted) output of {@code make_effnet_fixtures.py --parity DIR}; skipped otherwise.
 */
class EfficientNetParityTest {
    static final double TOLERANCE = 1e-4;

    /** Keep in sync with TINY_ARCH in make_effnet_fixtures.py. */
    static final List<List<String>> TINY_ARCH = List.of(
            List.of("cn_r1_k3_s1_e1_c8_skip"),
            List.of("ds_r1_k3_s1_c8_se0.25"),
            List.of("er_r1_k3_s2_e4_c12"),
            List.of("ir_r2_k3_s2_e4_c16_se0.25"),
            List.of("ir_r1_k5_s2_e3_c24_se0.25", "er_r1_k3_s1_e2_c24"));

    static EfficientNetV2.Arch tiny(String cfg) {
        return cfg.equals("tf")
                ? new EfficientNetV2.Arch(TINY_ARCH, 1.1, 1.3, 0.0, 8, 32, true, 1e-3)
                : new EfficientNetV2.Arch(TINY_ARCH, 0.8, 0.9, 0.9, 8, 32, false, 1e-5);
    }

    static Path resource(String name) {
        try {
            var url = EfficientNetParityTest.class.getResource("/models/effnet/" + name);
            assertNotNull(url, "missing fixture " + name + " (run src/test/python/make_effnet_fixtures.py)");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tf", "pt"})
    void tinyModel_logitsAndRunningStats_matchTimm(String cfg) throws IOException {
        try (EfficientNetV2 m = EfficientNetV2.create(tiny(cfg), ModelOptions.of(5));
             SafeTensors.Contents io = SafeTensors.read(resource("tiny_io.safetensors"))) {
            Weights.LoadReport r = Weights.load(m, resource("tiny_" + cfg + ".safetensors"), false);
            assertEquals(m.stateDict().size(), r.loaded());
            Map<String, Tensor> t = io.tensors();
            Tensor x = t.get("x");
            m.train(false);
            float evalDiff;
            float trainDiff;
            try (var s = Memory.step()) {
                float[] actual = Tensors.toFloats(m.forward(x));
                evalDiff = ModelFixtures.maxAbsDiff(Tensors.toFloats(t.get(cfg + "_eval")), actual);
            }
            m.train(true);
            try (var s = Memory.step()) {
                float[] actual = Tensors.toFloats(m.forward(x));
                trainDiff = ModelFixtures.maxAbsDiff(Tensors.toFloats(t.get(cfg + "_train")), actual);
            }
            float rmDiff = ModelFixtures.maxAbsDiff(Tensors.toFloats(t.get(cfg + "_rm")),
                    Tensors.toFloats(m.stateDict().get("bn1.running_mean")));
            System.out.printf("efficientnet tiny_%s parity with timm: eval %.3g, train %.3g, running_mean %.3g%n",
                    cfg, evalDiff, trainDiff, rmDiff);
            assertTrue(evalDiff <= TOLERANCE, cfg + " eval max abs diff " + evalDiff + " (expected: <= " + TOLERANCE + ")");
            assertTrue(trainDiff <= TOLERANCE, cfg + " train max abs diff " + trainDiff + " (expected: <= " + TOLERANCE + ")");
            assertTrue(rmDiff <= 1e-6, cfg + " running_mean max abs diff " + rmDiff);
            assertEquals(8L, m.stateDict().get("bn1.num_batches_tracked").item_long(), "7 from the fixture + 1 train step");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tf_efficientnetv2_b0", "efficientnetv2_rw_t", "tf_efficientnetv2_s"})
    void fullVariant_evalLogits_matchTimm(String name) throws IOException {
        String env = System.getenv("JVISION_PARITY_DIR");
        Assumptions.assumeTrue(env != null && !env.isBlank(), "JVISION_PARITY_DIR not set");
        Path d = Path.of(env);
        Assumptions.assumeTrue(Files.isRegularFile(d.resolve(name + ".safetensors")), "no " + name + ".safetensors in " + d);
        try (ImageModel m = Models.create(name, ModelOptions.of(5));
             SafeTensors.Contents io = SafeTensors.read(d.resolve("effnet_io.safetensors"))) {
            Weights.LoadReport r = Weights.load(m, d.resolve(name + ".safetensors"), false);
            assertEquals(m.stateDict().size(), r.loaded());
            m.train(false);
            float diff;
            try (var s = Memory.step()) {
                float[] actual = Tensors.toFloats(m.forward(io.tensors().get("x")));
                diff = ModelFixtures.maxAbsDiff(Tensors.toFloats(io.tensors().get(name)), actual);
            }
            System.out.printf("%s parity with timm (2x3x99x99): max abs diff %.3g%n", name, diff);
            assertTrue(diff <= TOLERANCE, name + " max abs diff " + diff + " (expected: <= " + TOLERANCE + ")");
        }
    }
}
