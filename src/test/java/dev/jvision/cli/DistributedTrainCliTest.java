package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.data.demo.DemoData;
import dev.jvision.runtime.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvision train --nproc-per-node 2} end to end in a child JVM (Gloo on loopback): the
 * launcher's two workers train one fold (resnet18 with SyncBatchNorm) into one run folder that
 * rank 0 writes; and when a
 * worker is killed mid-epoch, the launcher exits non-zero within the timeout and the survivor's
 * error names the lost rank.
 */
class DistributedTrainCliTest {
    @TempDir
    Path tmp;

    private Path config(String name, Path data, int epochs) throws IOException {
        String yaml = """
                experiment: {name: %s, seed: 11, output_dir: '%s', threads: 1, deterministic: true, device: cpu}
                data: {root: '%s', generate_demo: false, img_size: 32, prefetch: 2}
                model: {name: resnet18, num_classes: 17}
                train: {epochs: %d, batch_size: 4, n_folds: 2, folds: [0], lr: 1.0e-3, warmup_epochs: 0,
                        checkpoint_every_steps: 1, tensorboard: false}
                infer: {batch_size: 32}
                """.formatted(name, tmp.resolve("runs-" + name), data, epochs);
        Path f = tmp.resolve(name + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private Process launcher(Path cfg, Path log) throws IOException {
        return launch(log, "train", "--config", cfg.toString(), "--nproc-per-node", "2");
    }

    private Process launch(Path log, String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m", "-Djvision.progress=false"),
                Main.class, args))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        for (String k : List.of("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")) {
            pb.environment().remove(k);
        }
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        return pb.start();
    }

    private Path data() throws IOException {
        Path data = tmp.resolve("data");
        DemoData.generate(data, 51, 17, 5);
        return data;
    }

    private static boolean hasRun(Path outputDir) throws IOException {
        if (!Files.isDirectory(outputDir)) {
            return false;
        }
        try (var s = Files.list(outputDir)) {
            return s.findAny().isPresent();
        }
    }

    private static Path onlyRun(Path outputDir) throws IOException {
        try (var s = Files.list(outputDir)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), "run folders in " + outputDir + ": " + runs);
            return runs.get(0);
        }
    }

    @Test
    void twoWorkersTrainIntoOneRunFolder() throws Exception {
        Path log = tmp.resolve("train.log");
        Process p = launch(log, "train", "--config", config("ok", data(), 1).toString(), "--nproc-per-node", "2",
                "--set", "experiment.distributed.sync_bn=true");
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "launcher still running after 5 minutes");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("rank 0 of 2") && out.contains("rank 1 of 2"), out);
        assertTrue(out.contains("backend gloo"), out);
        assertTrue(out.contains("SyncBatchNorm: 20 BatchNorm layers use global-batch statistics"), out);
        Path run = onlyRun(tmp.resolve("runs-ok"));
        for (String f : List.of("config.yaml", "metrics.csv", "fold0/best.safetensors", "fold0/last.safetensors",
                "fold0/result.json")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        assertEquals(2, Files.readAllLines(run.resolve("metrics.csv")).size(), "header and one epoch, from rank 0 only");
        String runLog = Files.readString(run.resolve("run.log"));
        assertEquals(1, runLog.lines().filter(l -> l.contains("fold 0 done")).count(), "run.log is rank 0's: " + runLog);
    }

    @Test
    void aKilledWorkerStopsTheJobNamingIt() throws Exception {
        Path log = tmp.resolve("kill.log");
        Process p = launcher(config("kill", data(), 50), log);
        Path out = tmp.resolve("runs-kill");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        Optional<ProcessHandle> victim = Optional.empty();
        while (victim.isEmpty() && System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), Files.readString(log));
            if (hasRun(out)
                    && Files.isRegularFile(onlyRun(out).resolve("fold0/last.json"))) {
                victim = p.toHandle().children().filter(c -> rankOf(c) == 1).findFirst();
            }
            Thread.sleep(50);
        }
        assertTrue(victim.isPresent(), "no training step of the workers within the time limit: " + Files.readString(log));
        victim.get().destroyForcibly();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the job did not stop after a worker was killed");
        String text = Files.readString(log);
        assertNotEquals(0, p.exitValue(), text);
        assertTrue(text.contains("error: rank 1 exited with status 137"), text);
        assertTrue(text.contains("error: rank 0: all_reduce failed, lost rank 1"), text);
    }

    /**
     * Two 2-rank runs side by side; one loses rank 1 (SIGKILL) mid-epoch after a step
     * checkpoint, is resumed with {@code --resume} on 2 ranks and ends with the same checkpoints
     * and scores as the uninterrupted one, byte for byte (CPU, deterministic, one thread a rank).
     */
    @Test
    void resumeAfterAKilledWorker_matchesAnUninterruptedTwoRankRun() throws Exception {
        Path data = data();
        Process ref = launcher(config("ref", data, 2), tmp.resolve("ref.log"));
        Path victimLog = tmp.resolve("victim.log");
        Process victim = launcher(config("victim", data, 2), victimLog);
        Path run = killRankOneMidEpoch(victim, tmp.resolve("runs-victim"), victimLog);
        Path resumeLog = tmp.resolve("resume.log");
        Process resumed = launch(resumeLog, "train", "--resume", run.toString(), "--nproc-per-node", "2");
        assertTrue(resumed.waitFor(5, TimeUnit.MINUTES), "resume timed out");
        assertEquals(0, resumed.exitValue(), Files.readString(resumeLog));
        assertTrue(ref.waitFor(5, TimeUnit.MINUTES), "reference run timed out");
        assertEquals(0, ref.exitValue(), Files.readString(tmp.resolve("ref.log")));
        Path refRun = onlyRun(tmp.resolve("runs-ref"));
        assertEquals(scores(refRun), scores(run), "metrics.csv scores");
        for (String f : List.of("fold0/best.safetensors", "fold0/last.safetensors")) {
            assertArrayEquals(Files.readAllBytes(refRun.resolve(f)), Files.readAllBytes(run.resolve(f)), f);
        }
    }

    /**
     * A 2-rank run (per-rank batch 4) loses rank 1 mid-epoch and is resumed on one process with
     * the same global batch ({@code --set train.batch_size=8}): it restores rank 0's checkpoint,
     * finishes the fold and writes its results. Not compared with an uninterrupted run: the
     * augmentation streams and summation order depend on the number of ranks (README).
     */
    @Test
    void resumeOnOneRankAfterAKilledTwoRankRun_finishes() throws Exception {
        Path log = tmp.resolve("two.log");
        Process two = launcher(config("two", data(), 2), log);
        Path run = killRankOneMidEpoch(two, tmp.resolve("runs-two"), log);
        Path resumeLog = tmp.resolve("one.log");
        Process one = launch(resumeLog, "train", "--resume", run.toString(), "--set", "train.batch_size=8");
        assertTrue(one.waitFor(5, TimeUnit.MINUTES), "resume on one rank timed out");
        String out = Files.readString(resumeLog);
        assertEquals(0, one.exitValue(), out);
        assertTrue(!out.contains("rank 0 of"), "a single process: " + out);
        assertTrue(Files.isRegularFile(run.resolve("fold0/result.json")), out);
        assertEquals(3, Files.readAllLines(run.resolve("metrics.csv")).size(), "header and both epochs");
    }

    /**
     * Waits for a step checkpoint of {@code job} past the first batch, SIGKILLs its rank 1 and
     * waits for the job to stop non-zero; returns the run folder.
     */
    private Path killRankOneMidEpoch(Process job, Path out, Path log) throws Exception {
        ObjectMapper json = new ObjectMapper();
        String killedAt = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (killedAt == null && System.nanoTime() < deadline) {
            assertTrue(job.isAlive(), "the run ended before it could be killed: " + Files.readString(log));
            Path state = hasRun(out) ? onlyRun(out).resolve("fold0/last.json") : null;
            if (state != null && Files.isRegularFile(state)) {
                try {
                    JsonNode p = json.readTree(state.toFile());
                    Optional<ProcessHandle> rank1 = job.toHandle().children().filter(c -> rankOf(c) == 1).findFirst();
                    if (p.get("batch").asInt() > 0 && rank1.isPresent()) {
                        rank1.get().destroyForcibly();
                        killedAt = "epoch " + (p.get("epoch").asInt() + 1) + " after batch " + p.get("batch").asInt();
                    }
                } catch (IOException partial) {
                    // being replaced: read again
                }
            }
            Thread.sleep(20);
        }
        assertTrue(killedAt != null, "no mid-epoch checkpoint within the time limit");
        assertTrue(job.waitFor(3, TimeUnit.MINUTES), "the killed job did not stop");
        assertNotEquals(0, job.exitValue(), Files.readString(log));
        System.out.println("killed rank 1 at " + killedAt);
        return onlyRun(out);
    }

    /** metrics.csv without the timing and memory columns. */
    private static List<String> scores(Path run) throws IOException {
        List<String> out = new java.util.ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("metrics.csv"))) {
            String[] c = l.split(",");
            out.add(String.join(",", List.of(c).subList(0, 8)) + "," + c[10]);
        }
        return out;
    }

    /** The RANK in a worker's environment (Linux /proc), or -1. */
    private static int rankOf(ProcessHandle h) {
        try {
            for (String kv : Files.readString(Path.of("/proc/" + h.pid() + "/environ")).split("\0")) {
                if (kv.startsWith("RANK=")) {
                    return Integer.parseInt(kv.substring(5));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
