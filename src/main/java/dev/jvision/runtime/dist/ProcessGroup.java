package dev.jvision.runtime.dist;

import dev.jvision.runtime.Device;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;

/**
 * One libtorch c10d process group for a data-parallel job: rendezvous through a {@code TCPStore}
 * hosted by rank 0 on {@code MASTER_ADDR:MASTER_PORT}, then Gloo on CPU or NCCL on CUDA. Gloo
 * binds to the interface that reaches the master address (127.0.0.1 stays on loopback).
 *
 * <p>Every collective blocks until done and fails with a {@link DistributedException} after the
 * operation timeout, or at once when a peer's connection closes (a killed rank). To name the lost
 * rank, each rank bumps a heartbeat counter in the store every {@value #HEARTBEAT_MS} ms; after
 * a failure the ranks whose counter stopped are reported (rank 0 when the store itself is gone).
 *
 * <p>Owns the store, the backend and the heartbeat thread; {@link #close()} releases them.
 * Collectives are not thread-safe: call them from one thread, in the same order on every rank.
 */
public final class ProcessGroup implements AutoCloseable {
    static final long HEARTBEAT_MS = 500;
    private static final String HEARTBEAT = "jvision/heartbeat/";

    private final DistEnv env;
    private final TCPStore store;
    private final Store heartbeatStore;
    private final Backend backend;
    private final Kind kind;
    private final Duration timeout;
    private final Thread heartbeat;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ProcessGroup(DistEnv env, TCPStore store, Backend backend, Kind kind, Duration timeout) {
        this.env = env;
        this.kind = kind;
        this.store = store;
        this.backend = backend;
        this.timeout = timeout;
        this.heartbeatStore = store.clone();
        this.heartbeat = new Thread(this::beat, "jvision-heartbeat-" + env.rank());
        heartbeat.setDaemon(true);
        heartbeat.start();
    }

    /**
     * Joins the job described by {@code env} on {@code device} (Gloo for CPU, NCCL for CUDA).
     * Waits up to {@code rendezvous} for every rank to arrive; collectives then time out after
     * {@code timeout}.
     *
     * @throws DistributedException when the rendezvous fails or times out
     */
    public static ProcessGroup open(DistEnv env, Device device, Duration rendezvous, Duration timeout) {
        return open(env, device, Kind.AUTO, rendezvous, timeout);
    }

    /** The c10d backend of a job: {@code AUTO} is NCCL on CUDA and Gloo on CPU. */
    public enum Kind {
        AUTO, GLOO, NCCL;

        /**
         * The concrete backend on {@code device}.
         *
         * @throws IllegalArgumentException for NCCL on a CPU device
         */
        public Kind on(Device device) {
            if (this == AUTO) {
                return device.isCuda() ? NCCL : GLOO;
            }
            if (this == NCCL && !device.isCuda()) {
                throw new IllegalArgumentException("experiment.distributed.backend: nccl (expected: auto or gloo on "
                        + "device " + device + "; NCCL needs CUDA)");
            }
            return this;
        }
    }

    /**
     * Joins the job with the given backend ({@link Kind#on} resolves {@code AUTO}); otherwise as
     * {@link #open(DistEnv, Device, Duration, Duration)}.
     *
     * @throws IllegalArgumentException for NCCL on a CPU device
     */
    public static ProcessGroup open(DistEnv env, Device device, Kind kind, Duration rendezvous, Duration timeout) {
        Kind resolved = kind.on(device);
        TCPStore store;
        try {
            TCPStoreOptions so = new TCPStoreOptions();
            so.port((short) env.masterPort()).isServer(env.rank() == 0).waitWorkers(false)
                    .timeout(new Milliseconds(rendezvous.toMillis()));
            store = new TCPStore(env.masterAddr(), so);
        } catch (RuntimeException e) {
            throw new DistributedException("rank " + env.rank() + ": rendezvous with " + env.masterAddr() + ":"
                    + env.masterPort() + " failed within " + rendezvous.toSeconds() + " s: " + firstLine(e), e);
        }
        Backend backend;
        try {
            backend = resolved == Kind.NCCL ? nccl(store, env) : gloo(store, env, rendezvous);
            backend.setTimeout(new Milliseconds(timeout.toMillis()));
        } catch (RuntimeException e) {
            store.close();
            throw new DistributedException("rank " + env.rank() + ": process group of " + env.worldSize()
                    + " ranks not formed within " + rendezvous.toSeconds() + " s: " + firstLine(e), e);
        }
        return new ProcessGroup(env, store, backend, resolved, timeout);
    }

    private static Backend gloo(TCPStore store, DistEnv env, Duration rendezvous) {
        ProcessGroupGloo.Options opts = ProcessGroupGloo.Options.create(new Milliseconds(rendezvous.toMillis()));
        opts.devices(new GlooDeviceVector(ProcessGroupGloo.createDeviceForHostname(env.masterAddr().equals("localhost")
                ? "127.0.0.1" : localAddressFor(env))));
        return new ProcessGroupGloo(store, env.rank(), env.worldSize(), opts);
    }

    /** Loopback jobs bind Gloo to 127.0.0.1; multi-node jobs to this host's name. */
    private static String localAddressFor(DistEnv env) {
        String a = env.masterAddr();
        if (a.startsWith("127.") || a.equals("::1")) {
            return "127.0.0.1";
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    private static Backend nccl(TCPStore store, DistEnv env) {
        try {
            return new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(store, env.rank(), env.worldSize());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new IllegalStateException("NCCL backend not available in this build (" + e.getMessage()
                    + "); use experiment.device: cpu for Gloo", e);
        }
    }

    /** This process's place in the job. */
    public DistEnv env() {
        return env;
    }

    /** The backend in use: {@link Kind#GLOO} or {@link Kind#NCCL}. */
    public Kind kind() {
        return kind;
    }

    /** This process's rank. */
    public int rank() {
        return env.rank();
    }

    /** The number of ranks. */
    public int worldSize() {
        return env.worldSize();
    }

    /** Sums {@code tensors} element-wise over all ranks, in place (dense, contiguous tensors). */
    public void allReduceSum(List<Tensor> tensors) {
        try (TensorVector v = new TensorVector(tensors.toArray(new Tensor[0]));
             AllreduceOptions o = new AllreduceOptions();
             ReduceOp op = new ReduceOp(ReduceOp.RedOpType.SUM)) {
            o.reduceOp(op);
            await(backend.allreduce(v, o), "all_reduce");
        }
    }

    /**
     * Starts summing {@code tensor} (dense, contiguous) over all ranks in place and returns at
     * once; the sum is there after {@link Pending#await()}. Several may be in flight; every rank
     * must start them in the same order.
     */
    public Pending allReduceSumAsync(Tensor tensor) {
        try (TensorVector v = new TensorVector(tensor);
             AllreduceOptions o = new AllreduceOptions();
             ReduceOp op = new ReduceOp(ReduceOp.RedOpType.SUM)) {
            o.reduceOp(op);
            return new Pending(backend.allreduce(v, o), "all_reduce");
        } catch (RuntimeException e) {
            throw failure("all_reduce", e);
        }
    }

    /**
     * A collective in flight. {@link #await()} blocks until it is done (or fails with a
     * {@link DistributedException} naming the lost rank) and releases it; {@link #close()}
     * releases it without waiting for the result to be used. Not thread-safe.
     */
    public final class Pending implements AutoCloseable {
        private Work work;
        private final String op;

        private Pending(Work work, String op) {
            work.retainReference(); // outlives the caller's pointer scope (started in a hook, awaited later)
            this.work = work;
            this.op = op;
        }

        /** Waits for the collective; idempotent. */
        public void await() {
            if (work != null) {
                Work w = work;
                work = null;
                ProcessGroup.this.await(w, op);
            }
        }

        @Override
        public void close() {
            if (work != null) {
                work.close();
                work = null;
            }
        }
    }

    /** Sums {@code values} over all ranks and returns the sums (for metrics and counters). */
    public double[] allReduceSum(double[] values) {
        Tensor t = org.bytedeco.pytorch.global.torch.tensor(values);
        try {
            allReduceSum(List.of(t));
            double[] out = new double[values.length];
            t.contiguous().data_ptr_double().get(out);
            return out;
        } finally {
            t.close();
        }
    }

    /**
     * Gathers every rank's {@code rows} (each {@code width} wide; counts may differ) on every
     * rank, in rank order: rank 0's rows first. For validation outputs, so that metrics computed
     * from the gathered rows equal the single-process numbers.
     */
    public float[][] allGatherRows(float[][] rows, int width) {
        double[] counts = new double[env.worldSize()];
        counts[env.rank()] = rows.length;
        counts = allReduceSum(counts);
        int max = 0;
        int total = 0;
        for (double c : counts) {
            max = Math.max(max, (int) c);
            total += (int) c;
        }
        float[] mine = new float[env.worldSize() * max * width];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != width) {
                throw new IllegalArgumentException("row " + i + " width: " + rows[i].length + " (expected: " + width + ")");
            }
            System.arraycopy(rows[i], 0, mine, (env.rank() * max + i) * width, width);
        }
        Tensor t = dev.jvision.runtime.Tensors.fromFloats(mine, mine.length);
        try {
            allReduceSum(List.of(t));
            float[] all = dev.jvision.runtime.Tensors.toFloats(t);
            float[][] out = new float[total][];
            int k = 0;
            for (int r = 0; r < counts.length; r++) {
                for (int i = 0; i < (int) counts[r]; i++) {
                    out[k++] = java.util.Arrays.copyOfRange(all, (r * max + i) * width, (r * max + i + 1) * width);
                }
            }
            return out;
        } finally {
            t.close();
        }
    }

    /** Copies {@code tensors} of rank {@code root} into the same tensors of every other rank, in place. */
    public void broadcast(List<Tensor> tensors, int root) {
        try (TensorVector v = new TensorVector(tensors.toArray(new Tensor[0]));
             BroadcastOptions o = new BroadcastOptions()) {
            o.rootRank(root);
            await(backend.broadcast(v, o), "broadcast");
        }
    }

    /** Rank 0's {@code value} (at most 4096 UTF-8 bytes) on every rank; other ranks pass anything, e.g. null. */
    public String broadcastString(String value) {
        byte[] mine = new byte[4100];
        if (env.rank() == 0) {
            byte[] b = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (b.length > 4096) {
                throw new IllegalArgumentException("broadcast string: " + b.length + " bytes (expected: <= 4096)");
            }
            java.nio.ByteBuffer.wrap(mine).putInt(b.length).put(b);
        }
        Tensor t = dev.jvision.runtime.Tensors.fromBytes(mine, mine.length);
        try {
            broadcast(List.of(t), 0);
            byte[] got = new byte[mine.length];
            new org.bytedeco.javacpp.BytePointer(t.data_ptr()).get(got);
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(got);
            int n = bb.getInt();
            return new String(got, 4, n, java.nio.charset.StandardCharsets.UTF_8);
        } finally {
            t.close();
        }
    }

    /** Blocks until every rank has called it. */
    public void barrier() {
        await(backend.barrier(), "barrier");
    }

    private void await(Work work, String op) {
        try {
            work._wait();
        } catch (RuntimeException e) {
            throw failure(op, e);
        } finally {
            work.close();
        }
    }

    private DistributedException failure(String op, RuntimeException e) {
        String lost = lostRanks();
        return new DistributedException("rank " + env.rank() + ": " + op + " failed, " + lost + " (collective timeout "
                + timeout.toSeconds() + " s): " + firstLine(e), e);
    }

    /** Which ranks stopped beating: read every counter, wait three beats, read again. */
    private String lostRanks() {
        try {
            long[] before = counters();
            Thread.sleep(3 * HEARTBEAT_MS);
            long[] after = counters();
            List<Integer> lost = new ArrayList<>();
            for (int r = 0; r < before.length; r++) {
                if (r != env.rank() && after[r] == before[r]) {
                    lost.add(r);
                }
            }
            return lost.isEmpty() ? "lost rank unknown (all ranks still beat)" : "lost rank " + join(lost);
        } catch (RuntimeException e) {
            return "lost rank 0 (it hosts the rendezvous store, now unreachable)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "lost rank unknown (interrupted)";
        }
    }

    private long[] counters() {
        long[] c = new long[env.worldSize()];
        synchronized (heartbeatStore) {
            for (int r = 0; r < c.length; r++) {
                c[r] = heartbeatStore.add(HEARTBEAT + r, 0);
            }
        }
        return c;
    }

    private void beat() {
        while (!closed.get()) {
            try {
                synchronized (heartbeatStore) {
                    heartbeatStore.add(HEARTBEAT + env.rank(), 1);
                }
                Thread.sleep(HEARTBEAT_MS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                return; // store gone: the next collective reports it
            }
        }
    }

    private static String join(List<Integer> ranks) {
        StringBuilder b = new StringBuilder();
        for (int r : ranks) {
            b.append(b.length() == 0 ? "" : ", ").append(r);
        }
        return b.toString();
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Stops the heartbeat and releases the backend and the store (without a barrier). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        heartbeat.interrupt();
        try {
            heartbeat.join(2 * HEARTBEAT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            backend.shutdown();
        } catch (RuntimeException ignored) {
            // a peer is gone; nothing left to flush
        }
        backend.close();
        heartbeatStore.close();
        store.close();
    }
}
