package dev.jvision.runtime.dist;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide data-parallel job of a CLI run, joined from the torchrun environment: like
 * libtorch's thread and RNG settings it is per process. {@link #join} is called once at start-up
 * by the training command; library code reads {@link #current()} (null: a single process).
 * Thread-safe.
 */
public final class Distributed {
    private static final Logger LOG = LoggerFactory.getLogger(Distributed.class);
    /** Rendezvous wait for all ranks to arrive (JVM start-up and data loading included). */
    public static final Duration RENDEZVOUS = Duration.ofMinutes(10);
    /** How long one collective may wait for a slow or lost rank. */
    public static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static ProcessGroup current;

    private Distributed() {}

    /**
     * Joins the job that {@link DistEnv#fromEnvironment()} describes on {@code device} (a
     * no-op returning null for a single process), splitting the machine's cores among the local
     * ranks: {@code configuredThreads} (0: all cores) capped at cores / local ranks. The group is
     * closed at JVM exit.
     */
    public static synchronized ProcessGroup join(Device device, int configuredThreads) {
        return join(device, configuredThreads, ProcessGroup.Kind.AUTO);
    }

    /**
     * As {@link #join(Device, int)} with the backend {@code kind} ({@code AUTO}: NCCL on CUDA,
     * Gloo on CPU).
     *
     * @throws IllegalArgumentException for NCCL on a CPU device (before any rendezvous)
     */
    public static synchronized ProcessGroup join(Device device, int configuredThreads, ProcessGroup.Kind kind) {
        DistEnv env = DistEnv.fromEnvironment();
        if (!env.distributed()) {
            return null;
        }
        if (current != null) {
            return current;
        }
        kind.on(device);
        int cores = Runtime.getRuntime().availableProcessors();
        int perRank = env.threadsPerRank(cores);
        int threads = TorchSettings.setThreads(configuredThreads > 0 ? Math.min(configuredThreads, perRank) : perRank);
        LOG.info("rank {} of {} (local {} of {}), rendezvous {}:{}, {} torch threads, backend {}", env.rank(),
                env.worldSize(), env.localRank(), env.localWorldSize(), env.masterAddr(), env.masterPort(), threads,
                kind.on(device).name().toLowerCase(java.util.Locale.ROOT));
        current = ProcessGroup.open(env, device, kind, RENDEZVOUS, TIMEOUT);
        ProcessGroup g = current;
        Runtime.getRuntime().addShutdownHook(new Thread(g::close, "jvision-dist-close"));
        return g;
    }

    /** The joined group, or null in a single process. */
    public static synchronized ProcessGroup current() {
        return current;
    }

    /** True unless this process is a rank other than 0 of a joined job. */
    public static synchronized boolean isMain() {
        return current == null || current.rank() == 0;
    }
}
