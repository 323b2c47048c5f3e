package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Numeric parity with timm. The fixture (about 45 MB) is not committed: make it with
 * {@code python src/test/python/make_resnet_fixtures.py --parity DIR} and run with
 * {@code JVISION_PARITY_DIR=DIR}; skipped otherwise.
 */
class ResNetParityTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void resnet18_evalLogits_matchTimm() throws IOException {
        String env = System.getenv("JVISION_PARITY_DIR");
        Assumptions.assumeTrue(env != null && !env.isBlank(), "JVISION_PARITY_DIR not set");
        Path d = Path.of(env);
        Assumptions.assumeTrue(Files.isRegularFile(d.resolve("resnet18.safetensors")), "no resnet18.safetensors in " + d);
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(5));
             SafeTensors.Contents images = SafeTensors.read(d.resolve("images.safetensors"));
             SafeTensors.Contents logits = SafeTensors.read(d.resolve("logits.safetensors"))) {
            Weights.LoadReport r = Weights.load(m, d.resolve("resnet18.safetensors"), false);
            assertEquals(m.stateDict().size(), r.loaded());
            m.train(false);
            float[] expected = Tensors.toFloats(logits.tensors().get("logits"));
            float[] actual;
            try (var s = Memory.step()) {
                actual = Tensors.toFloats(m.forward(images.tensors().get("x")));
            }
            float diff = ModelFixtures.maxAbsDiff(expected, actual);
            System.out.println("resnet18 parity with timm: max abs diff " + diff);
            assertTrue(diff <= TOLERANCE, "max abs diff " + diff + " (expected: <= " + TOLERANCE + ")");
        }
    }
}
