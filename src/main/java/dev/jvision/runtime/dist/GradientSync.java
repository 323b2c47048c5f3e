package dev.jvision.runtime.dist;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Data-parallel synchronisation of one model over a {@link ProcessGroup}: {@link #broadcast}
 * copies rank 0's parameters and buffers to every rank at start, {@link #averageGradients}
 * averages the gradients after backward so that N ranks with batch B step like one rank with
 * batch N x B (mean-reduced loss). Gradients are flattened into size-bounded buckets of one
 * dtype (one all-reduce per bucket) and copied back.
 *
 * <p>Averaging happens before loss-scale unscaling and clipping, so every rank sees identical
 * gradients and takes the same skip and clipping decision. Holds no native memory between calls;
 * the process group stays owned by the caller. Not thread-safe.
 */
public final class GradientSync {
    /** Default bucket bound, as DDP's 25 MiB. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final ProcessGroup group;
    private final long bucketBytes;

    public GradientSync(ProcessGroup group, long bucketBytes) {
        if (bucketBytes < 1) {
            throw new IllegalArgumentException("bucket_bytes: " + bucketBytes + " (expected: > 0)");
        }
        this.group = group;
        this.bucketBytes = bucketBytes;
    }

    /** The process group the collectives run on. */
    public ProcessGroup group() {
        return group;
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
     * Replaces each parameter's gradient by its mean over the ranks. Parameters without a gradient
     * are skipped (they must be the same on every rank, as they are for one model and loss).
     */
    public void averageGradients(List<Tensor> params) {
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined()) {
                grads.add(g);
            }
        }
        Scalar inv = new Scalar(1.0 / group.worldSize());
        try (NoGradGuard guard = new NoGradGuard()) {
            for (List<Tensor> bucket : buckets(grads)) {
                Tensor flat = flatten(bucket);
                group.allReduceSum(List.of(flat));
                flat.mul_(inv);
                unflatten(flat, bucket);
                flat.close();
            }
        } finally {
            inv.close();
        }
    }

    /** Consecutive runs of one dtype, each at most {@code bucketBytes} (a larger tensor is a bucket alone). */
    List<List<Tensor>> buckets(List<Tensor> tensors) {
        List<List<Tensor>> out = new ArrayList<>();
        List<Tensor> cur = new ArrayList<>();
        long bytes = 0;
        for (Tensor t : tensors) {
            long b = t.numel() * t.element_size();
            boolean typeChange = !cur.isEmpty() && cur.get(0).scalar_type() != t.scalar_type();
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
