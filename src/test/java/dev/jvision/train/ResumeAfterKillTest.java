package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.data.demo.DemoData;
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
 * A K-fold run killed with SIGKILL inside an epoch of its second fold, then resumed with
 * {@code --resume}, ends with the same metrics, checkpoints and out-of-fold probabilities as an
 * uninterrupted run, bit for bit (CPU, deterministic, one thread).
 */
class ResumeAfterKillTest {
    @TempDir
    Path tmp;

    private Path config(String name, Path data) throws IOException {
        String yaml = """
                experiment: {name: %s, seed: 11, output_dir: '%s', threads: 1, deterministic: true, device: cpu}
                data: {root: '%s', generate_demo: false, img_size: 32, prefetch: 2}
                model: {name: resnet18, num_classes: 17}
                train: {epochs: 2, batch_size: 8, n_folds: 2, lr: 1.0e-3, warmup_epochs: 0.5, grad_clip: 1.0,
                        ema: true, ema_decay: 0.9, save_top_k: 2, checkpoint_every_steps: 1, tensorboard: true}
                infer: {batch_size: 32}
                """.formatted(name, tmp.resolve("runs-" + name), data);
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private Process child(String mode, Path arg, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-Xmx512m", "-Djvision.progress=false"),
                ResumeChildMain.class, mode, arg.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile());
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
    void resume_afterKill_matchesUninterruptedRun() throws Exception {
        Path data = tmp.resolve("data");
        DemoData.generate(data, 51, 17, 5);
        Process ref = child("fresh", config("ref", data), tmp.resolve("ref.log"));
        Process victim = child("fresh", config("victim", data), tmp.resolve("victim.log"));
        ObjectMapper json = new ObjectMapper();
        String killedAt = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (killedAt == null && System.nanoTime() < deadline) {
            assertTrue(victim.isAlive(), "the run ended before it could be killed: " + Files.readString(tmp.resolve("victim.log")));
            Path out = tmp.resolve("runs-victim");
            if (Files.isDirectory(out)) {
                Path state = onlyRun(out).resolve("fold1/last.json");
                if (Files.isRegularFile(state)) {
                    try {
                        JsonNode p = json.readTree(state.toFile());
                        if (p.get("batch").asInt() > 0) {
                            victim.destroyForcibly().waitFor();
                            killedAt = "fold 1 epoch " + (p.get("epoch").asInt() + 1) + " after batch " + p.get("batch").asInt();
                        }
                    } catch (IOException partial) {
                        // being replaced: read again
                    }
                }
            }
            Thread.sleep(20);
        }
        assertTrue(killedAt != null, "no mid-epoch checkpoint of fold 1 within the time limit");
        Path run = onlyRun(tmp.resolve("runs-victim"));
        assertFalse(Files.exists(run.resolve("oof_logits.csv")), "the killed run must not have finished");
        System.out.println("killed at " + killedAt);
        Process resumed = child("resume", run, tmp.resolve("resume.log"));
        assertTrue(resumed.waitFor(5, TimeUnit.MINUTES), "resume timed out");
        assertEquals(0, resumed.exitValue(), Files.readString(tmp.resolve("resume.log")));
        assertTrue(ref.waitFor(5, TimeUnit.MINUTES), "reference run timed out");
        assertEquals(0, ref.exitValue(), Files.readString(tmp.resolve("ref.log")));
        Path refRun = onlyRun(tmp.resolve("runs-ref"));

        assertEquals(scores(refRun), scores(run), "metrics.csv scores");
        for (String f : List.of("fold0/best.safetensors", "fold1/best.safetensors", "fold1/last.safetensors",
                "fold0/last.safetensors", "oof_logits.csv")) {
            assertArrayEquals(Files.readAllBytes(refRun.resolve(f)), Files.readAllBytes(run.resolve(f)), f);
        }
        assertEquals(List.of(Files.list(refRun.resolve("fold1/top")).map(p -> p.getFileName().toString()).sorted().toArray()),
                List.of(Files.list(run.resolve("fold1/top")).map(p -> p.getFileName().toString()).sorted().toArray()));
    }

    /** metrics.csv without the timing and memory columns. */
    private static List<String> scores(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("metrics.csv"))) {
            String[] c = l.split(",");
            out.add(String.join(",", List.of(c).subList(0, 8)) + "," + c[10]);
        }
        return out;
    }
}
