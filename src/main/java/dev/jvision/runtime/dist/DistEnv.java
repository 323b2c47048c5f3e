package dev.jvision.runtime.dist;

import java.util.Map;

/**
 * Where this process sits in a data-parallel job, read from torchrun's environment contract
 * ({@code RANK}, {@code LOCAL_RANK}, {@code WORLD_SIZE}, {@code LOCAL_WORLD_SIZE},
 * {@code MASTER_ADDR}, {@code MASTER_PORT}), so the same job runs under {@code jvision train
 * --nproc-per-node}, Slurm {@code srun}, a Kubernetes PyTorchJob or plain ssh. Rank 0 hosts the
 * rendezvous store on {@code masterAddr:masterPort}. Immutable.
 */
public record DistEnv(int rank, int localRank, int worldSize, int localWorldSize, String masterAddr, int masterPort) {

    public DistEnv {
        if (worldSize < 1) {
            throw new IllegalArgumentException("env WORLD_SIZE: " + worldSize + " (expected: >= 1)");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("env RANK: " + rank + " (expected: 0.." + (worldSize - 1) + ")");
        }
        if (localWorldSize < 1 || localWorldSize > worldSize) {
            throw new IllegalArgumentException(
                    "env LOCAL_WORLD_SIZE: " + localWorldSize + " (expected: 1.." + worldSize + ")");
        }
        if (localRank < 0 || localRank >= localWorldSize) {
            throw new IllegalArgumentException(
                    "env LOCAL_RANK: " + localRank + " (expected: 0.." + (localWorldSize - 1) + ")");
        }
        if (masterAddr == null || masterAddr.isBlank()) {
            throw new IllegalArgumentException("env MASTER_ADDR: '" + masterAddr + "' (expected: a host name or IP)");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new IllegalArgumentException("env MASTER_PORT: " + masterPort + " (expected: 1..65535)");
        }
    }

    /** A single-process job (rank 0 of 1); no store is ever opened for it. */
    public static DistEnv single() {
        return new DistEnv(0, 0, 1, 1, "127.0.0.1", 29500);
    }

    /** This process's environment ({@link System#getenv()}), or {@link #single()} when {@code WORLD_SIZE} is unset. */
    public static DistEnv fromEnvironment() {
        return fromMap(System.getenv());
    }

    /**
     * Reads the contract from {@code env}: {@link #single()} when {@code WORLD_SIZE} is absent;
     * {@code LOCAL_RANK} defaults to {@code RANK}, {@code LOCAL_WORLD_SIZE} to {@code WORLD_SIZE}
     * (one node), {@code MASTER_ADDR} to 127.0.0.1 and {@code MASTER_PORT} to 29500.
     *
     * @throws IllegalArgumentException naming the variable, its value and what was expected
     */
    public static DistEnv fromMap(Map<String, String> env) {
        if (env.get("WORLD_SIZE") == null) {
            return single();
        }
        int world = intVar(env, "WORLD_SIZE", null);
        int rank = intVar(env, "RANK", null);
        int localWorld = intVar(env, "LOCAL_WORLD_SIZE", world);
        int localRank = intVar(env, "LOCAL_RANK", localWorld == world ? rank : null);
        String addr = env.getOrDefault("MASTER_ADDR", "127.0.0.1");
        int port = intVar(env, "MASTER_PORT", 29500);
        return new DistEnv(rank, localRank, world, localWorld, addr, port);
    }

    private static int intVar(Map<String, String> env, String name, Integer fallback) {
        String v = env.get(name);
        if (v == null) {
            if (fallback == null) {
                throw new IllegalArgumentException("env " + name + ": unset (expected: an integer; WORLD_SIZE is set)");
            }
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("env " + name + ": '" + v + "' (expected: an integer)");
        }
    }

    /** True when more than one process takes part. */
    public boolean distributed() {
        return worldSize > 1;
    }

    /** True on the rank that writes logs, metrics, TensorBoard and checkpoints. */
    public boolean isMain() {
        return rank == 0;
    }

    /** Torch intra-op threads for this rank: the machine's {@code cores} split over the local ranks, at least 1. */
    public int threadsPerRank(int cores) {
        return Math.max(1, cores / localWorldSize);
    }

    /** The environment a child process of rank {@code rank} on this node gets (the torchrun variables). */
    public static Map<String, String> childEnvironment(int rank, int localRank, int worldSize, int localWorldSize,
                                                        String masterAddr, int masterPort) {
        return Map.of("RANK", Integer.toString(rank), "LOCAL_RANK", Integer.toString(localRank), "WORLD_SIZE",
                Integer.toString(worldSize), "LOCAL_WORLD_SIZE", Integer.toString(localWorldSize), "MASTER_ADDR",
                masterAddr, "MASTER_PORT", Integer.toString(masterPort));
    }
}
