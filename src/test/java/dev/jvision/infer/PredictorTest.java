package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictorTest {
    @TempDir
    Path run;

    @Test
    void runCheckpoints_emptyFolderNamesIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> Predictor.runCheckpoints(run));
        assertTrue(e.getMessage().contains(run.toString()), e.getMessage());
    }

    @Test
    void runCheckpoints_listsFoldsInNumericOrder() throws IOException {
        for (int k : new int[] {10, 2, 0}) {
            Path d = Files.createDirectories(run.resolve("fold" + k));
            Files.writeString(d.resolve("best.safetensors"), "");
        }
        Files.createDirectories(run.resolve("fold1"));
        Files.createDirectories(run.resolve("other"));
        assertEquals(List.of(run.resolve("fold0/best.safetensors"), run.resolve("fold2/best.safetensors"),
                run.resolve("fold10/best.safetensors")), Predictor.runCheckpoints(run));
    }
}
