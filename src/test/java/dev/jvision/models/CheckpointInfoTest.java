package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointInfoTest {
    @TempDir
    Path dir;

    @Test
    void sidecarOf_replacesSafetensorsExtension() {
        assertEquals(dir.resolve("best.json"), CheckpointInfo.sidecarOf(dir.resolve("best.safetensors")));
    }

    @Test
    void writeRead_roundTrips() throws IOException {
        CheckpointInfo info = new CheckpointInfo("resnet18", 3, 96, new double[] {0.485, 0.456, 0.406},
                new double[] {0.229, 0.224, 0.225}, 2, 7, 0.875, 0.9, 0.31, List.of("cat", "dog", "bird"),
                "2024-01-02T03:04:05Z");
        Path file = dir.resolve("best.json");
        info.write(file);
        CheckpointInfo back = CheckpointInfo.read(file);
        assertEquals(info.model(), back.model());
        assertEquals(info.numClasses(), back.numClasses());
        assertEquals(info.imgSize(), back.imgSize());
        assertArrayEquals(info.mean(), back.mean());
        assertArrayEquals(info.std(), back.std());
        assertEquals(info.fold(), back.fold());
        assertEquals(info.epoch(), back.epoch());
        assertEquals(info.valF1(), back.valF1());
        assertEquals(info.valAcc(), back.valAcc());
        assertEquals(info.valLoss(), back.valLoss());
        assertEquals(info.classNames(), back.classNames());
        assertEquals(info.created(), back.created());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary files left");
        }
    }

    @Test
    void read_missingFileNamesIt() {
        Path file = dir.resolve("nope.json");
        var e = assertThrows(IllegalArgumentException.class, () -> CheckpointInfo.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void read_malformedFileNamesIt() throws IOException {
        Path file = dir.resolve("best.json");
        Files.writeString(file, "{\"model\": \"resnet18\", \"numClasses\": ");
        var e = assertThrows(IllegalArgumentException.class, () -> CheckpointInfo.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }
}
