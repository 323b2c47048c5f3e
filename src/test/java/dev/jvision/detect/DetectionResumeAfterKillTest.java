package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.cli.Main;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.runtime.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvision train} on a detection config, SIGKILLed in a child JVM inside its first epoch
 * (mosaic on) after a step checkpoint, then {@code jvision train --resume RUN}: the resumed run
 * crosses the {@code close_mosaic} switch, keeps EMA, and ends with the same metrics.csv scores,
 * best and last checkpoints and best-epoch evaluation as an uninterrupted run, byte for byte
 * (CPU, deterministic, one thread).
 */
class DetectionResumeAfterKillTest {
    @TempDir
    Path tmp;

    private Path config(String name, Path data) throws IOException {
        String yaml = """
                task: detection
                experiment: {name: %s, seed: 13, output_dir: '%s', threads: 1, deterministic: true, device: cpu}
                data: {root: '%s', img_size: 64, prefetch: 1}
                model: {name: det_tiny, num_classes: 2}
                detect: {close_mosaic: 1, val_max_det: 20}
                train: {epochs: 2, batch_size: 4, lr: 2.0e-3, warmup_epochs: 0.5, ema: true, ema_decay: 0.9, n_folds: 1,
                        save_top_k: 2, checkpoint_every_steps: 1, tensorboard: false}
                infer: {batch_size: 4}
                """.formatted(name, tmp.resolve("runs-" + name), data);
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private Process child(Path log, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-Xmx512m", "-Djvision.progress=false"),
                Main.class, args)).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    private static Path onlyRun(Path outputDir) throws IOException {
        try (var s = Files.list(outputDir)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), "run folders in " + outputDir);
            return runs.get(0);
        }
    }

    @Test
    void resume_afterKillInAMosaicEpoch_matchesUninterruptedRun() throws Exception {
        Path data = tmp.resolve("data");
        DetectionDemoData.generate(data, 12, 4, 2, 2, 64, 21, 1);
        Process ref = child(tmp.resolve("ref.log"), "train", "--config", config("ref", data).toString());
        Path victimLog = tmp.resolve("victim.log");
        Process victim = child(victimLog, "train", "--config", config("victim", data).toString());
        ObjectMapper json = new ObjectMapper();
        String killedAt = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Path out = tmp.resolve("runs-victim");
        while (killedAt == null && System.nanoTime() < deadline) {
            assertTrue(victim.isAlive(), "the run ended before it could be killed: " + Files.readString(victimLog));
            Path state = Files.isDirectory(out) ? onlyRun(out).resolve("fold0/last.json") : null;
            if (state != null && Files.isRegularFile(state)) {
                try {
                    JsonNode p = json.readTree(state.toFile());
                    if (p.get("batch").asInt() > 0) {
                        victim.destroyForcibly().waitFor();
                        killedAt = "epoch " + (p.get("epoch").asInt() + 1) + " after batch " + p.get("batch").asInt();
                    }
                } catch (IOException partial) {
                    // being replaced: read again
                }
            }
            Thread.sleep(10);
        }
        assertTrue(killedAt != null, "no mid-epoch checkpoint within the time limit: " + Files.readString(victimLog));
        Path run = onlyRun(out);
        assertFalse(Files.exists(run.resolve("result.json")), "the killed run must not have finished");
        System.out.println("killed at " + killedAt);
        Path resumeLog = tmp.resolve("resume.log");
        Process resumed = child(resumeLog, "train", "--resume", run.toString());
        assertTrue(resumed.waitFor(4, TimeUnit.MINUTES), "resume timed out");
        assertEquals(0, resumed.exitValue(), Files.readString(resumeLog));
        assertTrue(ref.waitFor(4, TimeUnit.MINUTES), "reference run timed out");
        assertEquals(0, ref.exitValue(), Files.readString(tmp.resolve("ref.log")));
        Path refRun = onlyRun(tmp.resolve("runs-ref"));

        List<String> refScores = scores(refRun);
        assertEquals(3, refScores.size(), "header and 2 epochs: " + refScores);
        assertEquals(refScores, scores(run), "metrics.csv scores");
        for (String f : List.of("fold0/best.safetensors", "fold0/last.safetensors", "eval_val.json")) {
            assertArrayEquals(Files.readAllBytes(refRun.resolve(f)), Files.readAllBytes(run.resolve(f)), f);
        }
    }

    /** metrics.csv without the timing and memory columns (img_per_s, peak_mem_mb, seconds). */
    private static List<String> scores(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("metrics.csv"))) {
            String[] c = l.split(",");
            out.add(String.join(",", List.of(c).subList(0, 7)) + "," + c[9] + "," + c[11]);
        }
        return out;
    }
}
