package dev.jvision.runtime.dist;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts the worker JVMs of one node of a data-parallel job, as torchrun does: {@code nproc}
 * children of this JVM's {@code java}, JVM options and class path running {@code main} with
 * {@code args}, each with the torchrun environment ({@code RANK = nodeRank * nproc + local},
 * {@code WORLD_SIZE = nnodes * nproc}, ...), {@code OPENBLAS_NUM_THREADS=1} and
 * {@code OMP_NUM_THREADS} = cores / nproc; their output goes to this process's. When a worker
 * fails, the others get {@code grace} to stop on their own (they notice the lost rank within the
 * collective timeout) and are then killed; the launcher returns the first failure's status and
 * prints which rank it was. Killing the launcher kills its workers. Not thread-safe.
 */
public final class Launcher {
    private final int nproc;
    private final int nnodes;
    private final int nodeRank;
    private final String masterAddr;
    private final int masterPort;
    private final java.time.Duration grace;

    /**
     * @param master {@code host:port} of rank 0's store, or null for 127.0.0.1 and a free port
     *               (single node only)
     */
    public Launcher(int nproc, int nnodes, int nodeRank, String master, java.time.Duration grace) {
        if (nproc < 1) {
            throw new IllegalArgumentException("--nproc-per-node: " + nproc + " (expected: >= 1)");
        }
        if (nnodes < 1) {
            throw new IllegalArgumentException("--nnodes: " + nnodes + " (expected: >= 1)");
        }
        if (nodeRank < 0 || nodeRank >= nnodes) {
            throw new IllegalArgumentException("--node-rank: " + nodeRank + " (expected: 0.." + (nnodes - 1) + ")");
        }
        if (master == null && nnodes > 1) {
            throw new IllegalArgumentException("--master: unset (expected: host:port of node 0 when --nnodes > 1)");
        }
        this.nproc = nproc;
        this.nnodes = nnodes;
        this.nodeRank = nodeRank;
        if (master == null) {
            this.masterAddr = "127.0.0.1";
            this.masterPort = freeLoopbackPort();
        } else {
            int colon = master.lastIndexOf(':');
            int port = -1;
            try {
                port = colon > 0 ? Integer.parseInt(master.substring(colon + 1)) : -1;
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--master: '" + master + "' (expected: host:port, port 1..65535)");
            }
            this.masterAddr = master.substring(0, colon);
            this.masterPort = port;
        }
        this.grace = grace;
    }

    /** Runs the workers of this node to the end; returns 0 when all succeeded, else the first failure's status. */
    public int run(Class<?> main, List<String> args) throws IOException, InterruptedException {
        int cores = Runtime.getRuntime().availableProcessors();
        List<Process> workers = new ArrayList<>();
        Thread killer = new Thread(() -> workers.forEach(Process::destroyForcibly), "jvision-launcher-kill");
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            for (int local = 0; local < nproc; local++) {
                ProcessBuilder pb = new ProcessBuilder(command(main, args)).inheritIO();
                Map<String, String> env = pb.environment();
                env.putAll(DistEnv.childEnvironment(nodeRank * nproc + local, local, nnodes * nproc, nproc, masterAddr,
                        masterPort));
                env.put("OPENBLAS_NUM_THREADS", "1");
                env.put("OMP_NUM_THREADS", Integer.toString(Math.max(1, cores / nproc)));
                workers.add(pb.start());
            }
            return await(workers);
        } finally {
            workers.forEach(Process::destroyForcibly);
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs
            }
        }
    }

    private int await(List<Process> workers) throws InterruptedException {
        int failedRank = -1;
        int failedStatus = 0;
        long deadline = Long.MAX_VALUE;
        while (true) {
            boolean running = false;
            for (int i = 0; i < workers.size(); i++) {
                Process p = workers.get(i);
                if (p.isAlive()) {
                    running = true;
                } else if (p.exitValue() != 0 && failedRank < 0) {
                    failedRank = nodeRank * nproc + i;
                    failedStatus = p.exitValue();
                    deadline = System.nanoTime() + grace.toNanos();
                    System.err.println("error: rank " + failedRank + " exited with status " + failedStatus
                            + "; stopping the other ranks");
                }
            }
            if (!running) {
                return failedRank < 0 ? 0 : failedStatus;
            }
            if (System.nanoTime() > deadline) {
                System.err.println("error: ranks still running " + grace.toSeconds() + " s after rank " + failedRank
                        + " failed; killing them");
                workers.forEach(Process::destroyForcibly);
                for (Process p : workers) {
                    p.waitFor();
                }
                return failedStatus;
            }
            Thread.sleep(200);
        }
    }

    private static List<String> command(Class<?> main, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(args);
        return cmd;
    }

    private static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("no free loopback port for the rendezvous", e);
        }
    }
}
