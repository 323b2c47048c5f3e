package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * launcher's two workers train one fold into one run folder that rank 0 writes; and when a
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
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m", "-Djvision.progress=false"),
                Main.class, "train", "--config", cfg.toString(), "--nproc-per-node", "2"))
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
        Process p = launcher(config("ok", data(), 1), log);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "launcher still running after 5 minutes");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("rank 0 of 2") && out.contains("rank 1 of 2"), out);
        Path run = onlyRun(tmp.resolve("runs-ok"));
        for (String f : List.of("config.yaml", "metrics.csv", "fold0/best.safetensors", "fold0/last.safetensors",
                "fold0/result.json")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        assertEquals(2, Files.readAllLines(run.resolve("metrics.csv")).size(), "header and one epoch, from rank 0 only");
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
            if (Files.isDirectory(out) && Files.list(out).findAny().isPresent()
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
