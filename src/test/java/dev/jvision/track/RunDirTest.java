package dev.jvision.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunDirTest {
    @TempDir
    Path out;

    private Experiment experiment() {
        String yaml = "experiment:\n  name: unit test/run\n  output_dir: '" + out + "'\ntrain:\n  epochs: 2\n";
        return Configs.fromYaml(yaml, "test.yaml", List.of());
    }

    @Test
    void create_writesConfigThatLoadsBackEqual() throws IOException {
        Experiment exp = experiment();
        try (RunDir run = RunDir.create(exp)) {
            assertEquals(out, run.dir().getParent());
            assertTrue(run.dir().getFileName().toString().endsWith("-unit_test_run"), run.dir().toString());
            assertEquals(exp, Configs.load(run.dir().resolve("config.yaml"), List.of()));
            assertEquals(run.dir().resolve("fold1"), run.foldDir(1));
            assertTrue(Files.isDirectory(run.dir().resolve("fold1")));
            assertEquals(run.dir().resolve("metrics.csv"), run.metrics().file());
        }
    }

    @Test
    void create_withLogbackBackend_writesRunLogUntilClosed() throws IOException {
        Path dir;
        try (RunDir run = RunDir.create(experiment())) {
            dir = run.dir();
            org.slf4j.LoggerFactory.getLogger(RunDirTest.class).info("inside the run");
        }
        org.slf4j.LoggerFactory.getLogger(RunDirTest.class).info("after the run");
        String log = Files.readString(dir.resolve("run.log"));
        assertTrue(log.contains("RunDirTest - inside the run"), log);
        assertTrue(!log.contains("after the run"), "detached on close: " + log);
    }

    @Test
    void create_twiceGivesDistinctFolders() throws IOException {
        Experiment exp = experiment();
        try (RunDir a = RunDir.create(exp); RunDir b = RunDir.create(exp)) {
            assertNotEquals(a.dir(), b.dir());
        }
    }

    @Test
    void open_existingRunWorks() throws IOException {
        Path dir;
        try (RunDir run = RunDir.create(experiment())) {
            dir = run.dir();
        }
        try (RunDir again = RunDir.open(dir)) {
            assertEquals(dir, again.dir());
        }
    }

    @Test
    void open_folderWithoutConfigNamesIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> RunDir.open(out));
        assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
    }
}
