package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.ChildJvm;
import dev.jvision.runtime.dist.DistEnv;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel training over libtorch's c10d (Gloo, loopback only) in child JVMs
 * ({@link DataParallelProbe}): two ranks with batch 16 end with the weights and validation
 * macro-F1 of one process with batch 32, and a rank that dies makes the other exit non-zero
 * with a message naming it instead of hanging.
 */
class DataParallelTest {
    private static final int STEPS = 20;

    @TempDir
    Path dir;
    private Path lastLog;

    /** AdamW with clipping, the recipe the issue names (Adam and clipping hide a wrong gradient scale). */
    @Test
    void twoRanksOfSixteenMatchOneRankOfThirtyTwoWithAdamW() throws Exception {
        assertSameAsSingleProcess("adamw");
    }

    /**
     * SGD with momentum and no clipping: sees whether gradients are averaged, not summed; then the
     * same 2-rank run with the all-reduces started from backward hooks gives identical weights.
     */
    @Test
    void twoRanksOfSixteenMatchOneRankOfThirtyTwoWithSgdAndOverlapChangesNothing() throws Exception {
        Path dist = assertSameAsSingleProcess("sgd");
        Path overlapped = runRanks("sgd", "overlap.bin", List.of("-Dprobe.overlap=true"));
        assertEquals(-1L, Files.mismatch(dist, overlapped), "weights with overlap = weights without, bit for bit");
        String log = Files.readString(lastLog);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("buckets started in backward: (\\d+)").matcher(log);
        assertTrue(m.find() && Integer.parseInt(m.group(1)) > 1, "all-reduces overlapped with backward: " + log);
    }

    /**
     * resnet18 (BatchNorm) with SyncBatchNorm and overlapped all-reduces: 2 ranks x 16 train like
     * 1 rank x 32, running statistics included (they are in the compared state).
     */
    @Test
    void resnet18WithSyncBatchNormOnTwoRanksMatchesOneRankOfThirtyTwo() throws Exception {
        assertSameAsSingleProcess("sgd", List.of("-Dprobe.model=resnet18", "-Dprobe.syncbn=true",
                "-Dprobe.overlap=true"));
    }

    private Path assertSameAsSingleProcess(String optimizer) throws Exception {
        return assertSameAsSingleProcess(optimizer, List.of());
    }

    private Path runRanks(String optimizer, String file, List<String> props) throws Exception {
        Path dist = dir.resolve(file);
        int port = freePort();
        List<Run> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            ranks.add(startMain(DataParallelProbe.class, props,
                    List.of(new String[] {dist.toString(), "32", "" + STEPS, "-1", optimizer}), port, r));
        }
        for (Run r : ranks) {
            assertEquals(0, r.await(), r.log());
        }
        lastLog = ranks.get(0).logFile();
        return dist;
    }

    private Path assertSameAsSingleProcess(String optimizer, List<String> props) throws Exception {
        Path single = dir.resolve("single.bin");
        Run one = startMain(DataParallelProbe.class, props,
                List.of(new String[] {single.toString(), "32", "" + STEPS, "-1", optimizer}), null, 0);
        assertEquals(0, one.await(), one.log());
        Path dist = runRanks(optimizer, "dist.bin", props);
        try (DataInputStream a = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(single), 1 << 16));
             DataInputStream b = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(dist), 1 << 16))) {
            assertEquals(DataParallelProbe.VAL, a.readInt());
            assertEquals(DataParallelProbe.VAL, b.readInt(), "validation rows gathered from both ranks");
            assertEquals(a.readDouble(), b.readDouble(), 0.0, "validation macro-F1");
            double maxDiff = 0;
            long n = 0;
            while (a.available() > 0) {
                int len = a.readInt();
                assertEquals(len, b.readInt());
                for (int i = 0; i < len; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a.readFloat() - b.readFloat()));
                }
                n += len;
            }
            assertEquals(0, b.available());
            assertTrue(n > 100_000, "parameters compared: " + n);
            System.out.println(optimizer + ": max abs weight difference " + maxDiff + " over " + n + " values");
            assertTrue(maxDiff <= 1e-5, "max |w(2 x 16) - w(1 x 32)| = " + maxDiff);
        }
        return dist;
    }

    @Test
    void aKilledRankMakesTheSurvivorExitNamingIt() throws Exception {
        int port = freePort();
        Path out = dir.resolve("never.bin");
        List<Run> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            ranks.add(start(List.of(new String[] {out.toString(), "32", "" + STEPS, "3", "adamw"}), port, r));
        }
        Run survivor = ranks.get(0);
        int rc = survivor.await();
        String log = survivor.log();
        assertEquals(3, rc, log);
        assertTrue(log.contains("DIST-ERROR rank 0: all_reduce failed, lost rank 1"), log);
        assertEquals(9, ranks.get(1).await(), ranks.get(1).log());
        assertTrue(Files.notExists(out));
    }

    /** Rank 0 hosts the rendezvous store: when it dies, the survivor still stops and names it. */
    @Test
    void aKilledRankZeroMakesTheSurvivorExitNamingIt() throws Exception {
        int port = freePort();
        Path out = dir.resolve("never0.bin");
        List<Run> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            ranks.add(start(List.of(new String[] {out.toString(), "32", "" + STEPS, "3", "adamw", "0"}), port, r));
        }
        assertEquals(9, ranks.get(0).await(), ranks.get(0).log());
        Run survivor = ranks.get(1);
        assertEquals(3, survivor.await(), survivor.log());
        assertTrue(survivor.log().contains("DIST-ERROR rank 1: all_reduce failed, lost rank 0"), survivor.log());
    }

    /**
     * {@link Trainer} with {@code distributed(group)} on 2 ranks from different initial weights:
     * both end with the same weights and validation logits, each rank runs half the batches,
     * and only rank 0 calls listeners and writes checkpoints.
     */
    @Test
    void trainerOnTwoRanksAgreesAndOnlyRankZeroReports() throws Exception {
        int port = freePort();
        Path ckpt = dir.resolve("ckpt");
        List<Run> ranks = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            ranks.add(startMain(DistributedTrainerProbe.class, List.of(ckpt.toString()), port, r));
        }
        String[] logs = new String[2];
        for (int r = 0; r < 2; r++) {
            assertEquals(0, ranks.get(r).await(), ranks.get(r).log());
            logs[r] = ranks.get(r).log();
        }
        // 32 training items, 2 ranks, batch 8: 2 batches per epoch on each rank
        assertTrue(logs[0].contains("EVENTS ") && logs[0].contains(" fit tiny_cnn 32/8 x2"), logs[0]);
        assertTrue(logs[1].contains("EVENTS 0 -"), logs[1]);
        assertEquals(line(logs[0], "WEIGHTS "), line(logs[1], "WEIGHTS "), "final weights of both ranks");
        assertEquals(line(logs[0], "LOGITS "), line(logs[1], "LOGITS "), "validation logits of both ranks");
        assertTrue(Files.isRegularFile(ckpt.resolve("last.safetensors")));
    }

    private static String line(String log, String prefix) {
        return log.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(log));
    }

    private record Run(Process process, Path logFile) {
        /** Exit status; a child still running after three minutes (a hang) fails the test. */
        int await() throws InterruptedException {
            if (!process.waitFor(180, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("child did not exit within 180 s (hang)");
            }
            return process.exitValue();
        }

        String log() throws IOException {
            return Files.readString(logFile);
        }
    }

    private Run start(List<String> args, Integer port, int rank) throws IOException {
        return startMain(DataParallelProbe.class, List.of(), args, port, rank);
    }

    private Run startMain(Class<?> main, List<String> args, Integer port, int rank) throws IOException {
        return startMain(main, List.of(), args, port, rank);
    }

    private Run startMain(Class<?> main, List<String> props, List<String> args, Integer port, int rank)
            throws IOException {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        jvm.addAll(props);
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(jvm, main, args.toArray(new String[0])));
        var env = pb.environment();
        for (String k : List.of("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")) {
            env.remove(k);
        }
        env.put("OPENBLAS_NUM_THREADS", "1");
        env.put("OMP_NUM_THREADS", "1");
        if (port != null) {
            env.putAll(DistEnv.childEnvironment(rank, rank, 2, 2, "127.0.0.1", port));
        }
        Path log = dir.resolve(main.getSimpleName() + "-rank" + rank + "-" + (port == null ? "single-" + System.nanoTime()
                : port) + ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new Run(pb.start(), log);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
