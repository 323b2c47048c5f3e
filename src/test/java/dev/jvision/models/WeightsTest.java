package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightsTest {
    @TempDir Path dir;

    private static float[] evalLogits(ImageModel m) {
        m.train(false);
        try (var s = Memory.step()) {
            return Tensors.toFloats(m.forward(ModelFixtures.images(2, 64, 11)));
        }
    }

    /** One training-mode forward so that running statistics and num_batches_tracked differ from init. */
    private static void warmUp(ImageModel m) {
        m.train(true);
        try (var s = Memory.step()) {
            m.forward(ModelFixtures.images(2, 64, 12));
        }
    }

    @Test
    void saveLoad_roundTrip_givesIdenticalLogits() throws IOException {
        Path f = dir.resolve("r18.safetensors");
        float[] expected;
        TorchSettings.seed(1);
        try (ImageModel a = Models.create("resnet18", ModelOptions.of(5))) {
            warmUp(a);
            expected = evalLogits(a);
            Weights.save(a, f, Map.of("model", "resnet18"));
        }
        TorchSettings.seed(2);
        try (ImageModel b = Models.create("resnet18", ModelOptions.of(5))) {
            assertNotEquals(expected[0], evalLogits(b)[0], "a differently seeded model differs before loading");
            Weights.LoadReport r = Weights.load(b, f, false);
            assertEquals(f, r.file());
            assertEquals(b.stateDict().size(), r.loaded());
            assertEquals(List.of(), r.droppedHead());
            assertArrayEquals(expected, evalLogits(b));
            assertEquals(1L, Tensors.toLongs(b.stateDict().get("bn1.num_batches_tracked"))[0]);
        }
        try (SafeTensors.Contents c = SafeTensors.read(f)) {
            assertEquals("resnet18", c.metadata().get("model"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    @Test
    void loadResnet34IntoResnet18_listsMissingAndUnexpectedKeys() throws IOException {
        Path f = dir.resolve("r34.safetensors");
        try (ImageModel r34 = Models.create("resnet34", ModelOptions.of(5))) {
            Weights.save(r34, f, null);
        }
        try (ImageModel r18 = Models.create("resnet18", ModelOptions.of(5))) {
            var e = assertThrows(IllegalArgumentException.class, () -> Weights.load(r18, f, true));
            String msg = e.getMessage();
            assertTrue(msg.contains(f.toString()), msg);
            assertTrue(msg.contains("'resnet18'"), msg);
            assertTrue(msg.contains("unexpected keys"), msg);
            assertTrue(msg.contains("96 unexpected keys: layer1.2.bn1.bias"), msg);
            assertFalse(msg.contains("missing keys"), "resnet34 has every key of resnet18: " + msg);
        }
        try (ImageModel r50 = Models.create("resnet50", ModelOptions.of(5))) {
            var e = assertThrows(IllegalArgumentException.class, () -> Weights.load(r50, f, true));
            String msg = e.getMessage();
            assertTrue(msg.contains(f.toString()), msg);
            assertTrue(msg.contains("missing keys"), msg);
            assertTrue(msg.contains("layer1.0.conv3.weight"), msg);
            assertTrue(msg.contains("mis-shaped keys"), msg);
            assertTrue(msg.contains("more"), "long lists are cut: " + msg);
        }
    }

    @Test
    void differentClassCount_allowNewHead_dropsFcAndReportsIt() throws IOException {
        Path f = dir.resolve("r18_10.safetensors");
        float[] featuresBefore;
        try (ImageModel src = Models.create("resnet18", ModelOptions.of(10))) {
            warmUp(src);
            src.train(false);
            try (var s = Memory.step()) {
                featuresBefore = Tensors.toFloats(src.forwardFeatures(ModelFixtures.images(2, 64, 11)));
            }
            Weights.save(src, f, null);
        }
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(3))) {
            float[] fcBefore = Tensors.toFloats(m.stateDict().get("fc.weight"));
            Weights.LoadReport r = Weights.load(m, f, true);
            assertEquals(List.of("fc.weight", "fc.bias"), r.droppedHead());
            assertEquals(m.stateDict().size() - 2, r.loaded());
            assertEquals(3, m.numClasses());
            assertArrayEquals(fcBefore, Tensors.toFloats(m.stateDict().get("fc.weight")), "the new head is kept");
            m.train(false);
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(2, 64, 11);
                assertArrayEquals(featuresBefore, Tensors.toFloats(m.forwardFeatures(x)), "the backbone is loaded");
                assertArrayEquals(new long[] {2, 3}, Tensors.shape(m.forward(x)));
            }

            var e = assertThrows(IllegalArgumentException.class, () -> Weights.load(m, f, false));
            String msg = e.getMessage();
            assertTrue(msg.contains(f.toString()), msg);
            assertTrue(msg.contains("fc has 10 classes (expected: 3)"), msg);
        }
    }

    @Test
    void load_missingFile_throwsNoSuchFile() {
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(2))) {
            Path f = dir.resolve("nope.safetensors");
            var e = assertThrows(java.nio.file.NoSuchFileException.class, () -> Weights.load(m, f, true));
            assertTrue(e.getMessage().contains(f.toString()));
        }
    }
}
