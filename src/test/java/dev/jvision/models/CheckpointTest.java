package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one checkpoint funnel: good checkpoints load ready for inference, bad ones are named bad input. */
class CheckpointTest {
    @TempDir
    static Path shared;
    static Path good;

    @TempDir
    Path dir;

    @BeforeAll
    static void save() throws IOException {
        NativeRuntime.init();
        TorchSettings.seed(3);
        good = shared.resolve("best.safetensors");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(3))) {
            Weights.save(m, good, Map.of());
            new CheckpointInfo("resnet18", 3, 48, m.spec().mean(), m.spec().std(), 1, 4, 0.7, 0.8, 0.6,
                    List.of("a", "b", "c"), "2025-01-01T00:00:00Z").write(CheckpointInfo.sidecarOf(good));
        }
    }

    private Path copyWithSidecar(String name, byte[] weights) throws IOException {
        Path w = Files.write(dir.resolve(name + ".safetensors"), weights);
        Files.copy(CheckpointInfo.sidecarOf(good), CheckpointInfo.sidecarOf(w));
        return w;
    }

    @Test
    void load_buildsTheSidecarsModel_withTheWeights_inEvalMode() throws IOException {
        Checkpoint c = Checkpoint.load(good, Device.CPU);
        try (c) {
            assertEquals("resnet18", c.model().spec().name());
            assertEquals(3, c.model().numClasses());
            assertFalse(c.model().isTraining());
            assertEquals(48, c.info().imgSize());
            assertEquals("b", c.info().className(1));
            assertEquals("7", c.info().className(7), "ids beyond the names fall back to the id");
            assertEquals(Device.CPU, c.device());
            try (SafeTensors.Contents saved = SafeTensors.read(good)) {
                Tensor want = saved.tensors().get("fc.weight");
                assertTrue(want.equal(c.model().stateDict().get("fc.weight")), "weights loaded");
            }
        }
        var e = assertThrows(IllegalStateException.class, c::model);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        c.close();
    }

    @Test
    void truncatedOrGarbageWeights_areBadInputNamingTheFile() throws IOException {
        byte[] all = Files.readAllBytes(good);
        for (int cut : new int[] {all.length - 100, all.length / 2, 200, 5}) {
            Path w = copyWithSidecar("cut" + cut, Arrays.copyOf(all, cut));
            var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(w, Device.CPU), "cut at " + cut);
            assertTrue(e.getMessage().startsWith(w.toString()), e.getMessage());
        }
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        Path w = copyWithSidecar("noise", noise);
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(w, Device.CPU));
        assertTrue(e.getMessage().startsWith(w.toString()) && e.getMessage().contains("not a safetensors file"),
                e.getMessage());
    }

    @Test
    void weightsOfAnotherModel_areBadInputNamingTheFileAndKeys() throws IOException {
        Path w = Files.copy(good, dir.resolve("x.safetensors"));
        CheckpointInfo i = CheckpointInfo.read(CheckpointInfo.sidecarOf(good));
        new CheckpointInfo("resnet34", 3, 48, i.mean(), i.std(), 0, 0, 0, 0, 0, null, null)
                .write(CheckpointInfo.sidecarOf(w));
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(w, Device.CPU));
        assertTrue(e.getMessage().contains(w.toString()) && e.getMessage().contains("do not fit model 'resnet34'")
                && e.getMessage().contains("missing keys"), e.getMessage());
        new CheckpointInfo("resnet18", 5, 48, i.mean(), i.std(), 0, 0, 0, 0, 0, null, null).write(CheckpointInfo.sidecarOf(w));
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(w, Device.CPU));
        assertTrue(e.getMessage().contains("fc has 3 classes (expected: 5)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load("resnet18", 5, w, Device.CPU));
        assertTrue(e.getMessage().contains(w.toString()), e.getMessage());
    }

    @Test
    void badSidecars_areNamed() throws IOException {
        Path w = Files.copy(good, dir.resolve("y.safetensors"));
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(w, Device.CPU));
        assertTrue(e.getMessage().contains("y.json") && e.getMessage().contains("sidecar not found"), e.getMessage());
        Files.writeString(CheckpointInfo.sidecarOf(w), "{\"model\": \"resnet_9000\", \"numClasses\": 3, \"imgSize\": 48}");
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.readInfo(w));
        assertTrue(e.getMessage().contains("y.json") && e.getMessage().contains("resnet_9000"), e.getMessage());
        Files.writeString(CheckpointInfo.sidecarOf(w), "{\"model\": \"resnet18\", \"numClasses\": 0, \"imgSize\": 48}");
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.readInfo(w));
        assertTrue(e.getMessage().contains("numClasses: 0"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> Checkpoint.load(dir.resolve("none.safetensors"), Device.CPU));
    }

    @Test
    void bareWeights_loadByModelName_withTheModelsDefaults() throws IOException {
        try (Checkpoint c = Checkpoint.load("resnet18", 3, good, Device.CPU)) {
            assertEquals(224, c.info().imgSize());
            assertEquals("2", c.info().className(2));
        }
        assertThrows(IllegalArgumentException.class, () -> Checkpoint.load("resnet18", 0, good, Device.CPU));
    }
}
