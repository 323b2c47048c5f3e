package dev.jvision.runtime.dist;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel synchronisation of one model over a {@link ProcessGroup}: {@link #broadcast}
 * copies rank 0's parameters and buffers to every rank at start, {@link #averageGradients}
 * averages the gradients after backward so that N ranks with batch B step like one rank with
 * batch N x B (mean-reduced loss). Gradients are flattened into size-bounded buckets of one
 * dtype (one all-reduce per bucket) and copied back.
 *
 * <p>With {@code overlap} (the default of the CLI), {@link #beforeLastBackward} registers a
 * libtorch tensor hook on every parameter for the backward pass that completes the gradients:
 * each hook copies its parameter's finished gradient into its bucket, and a bucket whose
 * gradients are all in starts its all-reduce at once (asynchronously, buckets in reverse
 * parameter order as gradients arrive, always launched in bucket order so every rank issues the
 * same sequence), while backward goes on with the earlier layers. {@link #averageGradients} then
 * starts what is left, waits for all buckets and writes the means into the gradients. Without
 * overlap, every bucket's all-reduce starts after backward, all in flight together, and the
 * means are written as each completes. Both give identical gradients: the same buckets, the same
 * sums.
 *
 * <p>Averaging happens before loss-scale unscaling and clipping, so every rank sees identical
 * gradients and takes the same skip and clipping decision. Holds native memory (bucket buffers)
 * only between {@link #beforeLastBackward} and {@link #averageGradients}; the process group stays
 * owned by the caller. Not thread-safe (the hooks run on libtorch's backward thread while the
 * caller waits in {@code backward()}).
 */
public final class GradientSync {
    /** Default bucket bound, as DDP's 25 MiB. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final ProcessGroup group;
    private final long bucketBytes;
    private final boolean overlap;
    private final boolean syncBatchNorm;
    // overlap state of the backward pass in progress (null when none is armed)
    private Armed armed;
    private final List<Hook> hooks = new ArrayList<>();
    private int startedInBackward;

    public GradientSync(ProcessGroup group, long bucketBytes) {
        this(group, bucketBytes, false, false);
    }

    /**
     * @param overlap start bucket all-reduces from backward hooks (see the class comment)
     * @param syncBatchNorm whether BatchNorm layers of the synchronised model compute their batch
     *                      statistics over all ranks (read by the trainer, which converts them)
     */
    public GradientSync(ProcessGroup group, long bucketBytes, boolean overlap, boolean syncBatchNorm) {
        if (bucketBytes < 1) {
            throw new IllegalArgumentException("bucket_bytes: " + bucketBytes + " (expected: > 0)");
        }
        this.group = group;
        this.bucketBytes = bucketBytes;
        this.overlap = overlap;
        this.syncBatchNorm = syncBatchNorm;
    }

    /** The process group the collectives run on. */
    public ProcessGroup group() {
        return group;
    }

    /** Whether all-reduces overlap the backward pass. */
    public boolean overlap() {
        return overlap;
    }

    /** Whether BatchNorm statistics are to be synchronised across ranks. */
    public boolean syncBatchNorm() {
        return syncBatchNorm;
    }

    /** Overwrites {@code tensors} (parameters and buffers) on every rank with rank 0's values. */
    public void broadcast(List<Tensor> tensors) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (List<Tensor> bucket : buckets(tensors)) {
                Tensor flat = flatten(bucket);
                group.broadcast(List.of(flat), 0);
                unflatten(flat, bucket);
                flat.close();
            }
        }
    }

    /**
     * Called before the backward pass that completes the gradients of {@code params} (the last
     * micro-batch of an optimizer step): with overlap, registers the hooks that start bucket
     * all-reduces during that backward pass. A no-op without overlap. The next
     * {@link #averageGradients} call must follow, with the same parameters.
     */
    public void beforeLastBackward(List<Tensor> params) {
        if (!overlap) {
            return;
        }
        disarm();
        armed = new Armed(params);
        for (int i = 0; i < params.size(); i++) {
            while (hooks.size() <= i) {
                hooks.add(new Hook(hooks.size()));
            }
            if (params.get(i).requires_grad()) {
                armed.handles[i] = params.get(i).register_hook(hooks.get(i));
            }
        }
    }

    /**
     * Replaces each parameter's gradient by its mean over the ranks. Parameters without a gradient
     * are skipped (they must be the same on every rank, as they are for one model and loss).
     *
     * @throws DistributedException when a rank is lost
     */
    public void averageGradients(List<Tensor> params) {
        if (armed != null) {
            Armed a = armed;
            try {
                if (!a.params.equals(params)) {
                    throw new IllegalStateException("averageGradients: other parameters than beforeLastBackward's");
                }
                finish(a);
            } finally {
                disarm();
            }
            return;
        }
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined()) {
                grads.add(g);
            }
        }
        Scalar inv = new Scalar(1.0 / group.worldSize());
        List<ProcessGroup.Pending> pending = new ArrayList<>();
        List<Tensor> flats = new ArrayList<>();
        try (NoGradGuard guard = new NoGradGuard()) {
            List<List<Tensor>> buckets = buckets(grads);
            for (List<Tensor> bucket : buckets) {
                Tensor flat = flatten(bucket);
                flats.add(flat);
                pending.add(group.allReduceSumAsync(flat));
            }
            for (int b = 0; b < buckets.size(); b++) {
                pending.get(b).await();
                Tensor flat = flats.get(b);
                flat.mul_(inv);
                unflatten(flat, buckets.get(b));
            }
        } finally {
            pending.forEach(ProcessGroup.Pending::close);
            flats.forEach(Tensor::close);
            inv.close();
        }
    }

    /**
     * How many buckets of the last overlapped step started their all-reduce from a backward hook,
     * that is before backward ended (0 without overlap).
     */
    public int bucketsStartedInBackward() {
        return startedInBackward;
    }

    /** Starts the buckets the hooks did not, waits for all and writes the means. */
    private void finish(Armed a) {
        if (a.failure != null) {
            throw a.failure;
        }
        startedInBackward = a.launched;
        try (NoGradGuard guard = new NoGradGuard(); Scalar inv = new Scalar(1.0 / group.worldSize())) {
            for (int b = a.launched; b < a.buckets.size(); b++) {
                for (int i : a.buckets.get(b)) {
                    if (!a.filled[i]) {
                        Tensor g = a.params.get(i).grad();
                        if (g.defined()) {
                            try (Tensor slot = a.slot(i)) {
                                slot.copy_(g);
                            }
                        } else {
                            try (Tensor slot = a.slot(i)) {
                                slot.zero_();
                            }
                        }
                    }
                }
            }
            a.launchReady(true);
            for (int b = 0; b < a.buckets.size(); b++) {
                a.pending[b].await();
                a.flats[b].mul_(inv);
                for (int i : a.buckets.get(b)) {
                    Tensor g = a.params.get(i).grad();
                    if (g.defined()) {
                        try (Tensor slot = a.slot(i)) {
                            g.copy_(slot);
                        }
                    }
                }
            }
        }
    }

    private void disarm() {
        Armed a = armed;
        armed = null;
        if (a != null) {
            a.close();
        }
    }

    /**
     * The buckets of one overlapped backward pass: parameters in reverse order (the order
     * backward finishes them), cut into size-bounded runs of one dtype, each backed by one flat
     * buffer (retained outside the caller's scope, released by {@link #close()}).
     */
    private final class Armed implements AutoCloseable {
        final List<Tensor> params;
        final int[] handles;
        final List<int[]> buckets = new ArrayList<>();
        final int[] bucketOf;
        final long[] offset;
        final boolean[] filled;
        final int[] missing;
        final Tensor[] flats;
        final ProcessGroup.Pending[] pending;
        int launched;
        DistributedException failure;

        Armed(List<Tensor> params) {
            this.params = List.copyOf(params);
            int n = params.size();
            handles = new int[n];
            java.util.Arrays.fill(handles, -1);
            bucketOf = new int[n];
            offset = new long[n];
            filled = new boolean[n];
            List<Integer> cur = new ArrayList<>();
            long bytes = 0;
            for (int i = n - 1; i >= 0; i--) {
                Tensor p = params.get(i);
                long b = p.numel() * p.element_size();
                boolean typeChange = !cur.isEmpty() && params.get(cur.get(0)).scalar_type().intern() != p.scalar_type().intern();
                if (!cur.isEmpty() && (typeChange || bytes + b > bucketBytes)) {
                    buckets.add(cur.stream().mapToInt(Integer::intValue).toArray());
                    cur = new ArrayList<>();
                    bytes = 0;
                }
                cur.add(i);
                bytes += b;
            }
            if (!cur.isEmpty()) {
                buckets.add(cur.stream().mapToInt(Integer::intValue).toArray());
            }
            missing = new int[buckets.size()];
            flats = new Tensor[buckets.size()];
            pending = new ProcessGroup.Pending[buckets.size()];
            for (int b = 0; b < buckets.size(); b++) {
                long off = 0;
                for (int i : buckets.get(b)) {
                    bucketOf[i] = b;
                    offset[i] = off;
                    off += params.get(i).numel();
                }
                missing[b] = buckets.get(b).length;
                Tensor first = params.get(buckets.get(b)[0]);
                Tensor flat = first.new_empty(new long[] {off});
                flat.retainReference();
                flats[b] = flat;
            }
        }

        /** The view of parameter {@code i}'s gradient in its bucket (closed with the caller's scope or by GC). */
        Tensor slot(int i) {
            Tensor p = params.get(i);
            try (Tensor n = flats[bucketOf[i]].narrow(0, offset[i], p.numel())) {
                return n.view(p.sizes());
            }
        }

        /** Hook of parameter {@code i}: {@code incoming} is added to its gradient after the hook. */
        void ready(int i, TensorBase incoming) {
            if (filled[i] || failure != null) {
                return;
            }
            try (NoGradGuard guard = new NoGradGuard(); Tensor slot = slot(i); Tensor in = new Tensor(incoming)) {
                Tensor g = params.get(i).grad();
                if (g.defined()) {
                    try (Tensor sum = g.add(in)) {
                        slot.copy_(sum);
                    }
                } else {
                    slot.copy_(in);
                }
                g.close();
            }
            filled[i] = true;
            missing[bucketOf[i]]--;
            try {
                launchReady(false);
            } catch (DistributedException e) {
                failure = e;
            }
        }

        /** Starts, in bucket order, every bucket whose gradients are all in ({@code all}: every bucket). */
        void launchReady(boolean all) {
            while (launched < buckets.size() && (all || missing[launched] == 0)) {
                pending[launched] = group.allReduceSumAsync(flats[launched]);
                launched++;
            }
        }

        @Override
        public void close() {
            for (int i = 0; i < handles.length; i++) {
                if (handles[i] >= 0) {
                    params.get(i).remove_hook(handles[i]);
                }
            }
            for (ProcessGroup.Pending p : pending) {
                if (p != null) {
                    p.close();
                }
            }
            for (Tensor f : flats) {
                if (f != null) {
                    f.releaseReference();
                }
            }
        }
    }

    /** The hook of the parameter at one index; one instance per index, reused across steps. */
    private final class Hook extends VoidTensorHook {
        private final int index;

        Hook(int index) {
            this.index = index;
            retainReference(); // a native callback: must outlive any pointer scope open at creation
        }

        @Override
        public void call(TensorBase grad) {
            Armed a = armed;
            if (a != null && index < a.params.size()) {
                a.ready(index, grad);
            }
        }
    }

    /** Consecutive runs of one dtype, each at most {@code bucketBytes} (a larger tensor is a bucket alone). */
    List<List<Tensor>> buckets(List<Tensor> tensors) {
        List<List<Tensor>> out = new ArrayList<>();
        List<Tensor> cur = new ArrayList<>();
        long bytes = 0;
        for (Tensor t : tensors) {
            long b = t.numel() * t.element_size();
            boolean typeChange = !cur.isEmpty() && cur.get(0).scalar_type().intern() != t.scalar_type().intern();
            if (!cur.isEmpty() && (typeChange || bytes + b > bucketBytes)) {
                out.add(cur);
                cur = new ArrayList<>();
                bytes = 0;
            }
            cur.add(t);
            bytes += b;
        }
        if (!cur.isEmpty()) {
            out.add(cur);
        }
        return out;
    }

    private static Tensor flatten(List<Tensor> bucket) {
        TensorVector v = new TensorVector();
        for (Tensor t : bucket) {
            v.push_back(t.reshape(-1));
        }
        Tensor flat = torch.cat(v);
        v.close();
        return flat;
    }

    private static void unflatten(Tensor flat, List<Tensor> bucket) {
        long off = 0;
        for (Tensor t : bucket) {
            long n = t.numel();
            t.copy_(flat.narrow(0, off, n).view(t.sizes()));
            off += n;
        }
    }
}
