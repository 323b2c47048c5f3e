package dev.jvision.data;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Moves a {@link Batch}'s pixels to the device as a {@code [N, H, W, 3]} uint8 tensor.
 *
 * <p>On the CPU this is a plain copy into a new tensor. On CUDA the pixels land in one of two
 * pinned (page-locked) host buffers, reused in turn, and are copied to the device with
 * {@code non_blocking}: the copy is queued on the current stream behind the previous step's
 * kernels and the calling thread goes on at once, so copying overlaps with computing. A buffer is
 * written again two batches later; by then the copy out of it has finished, because the step in
 * between read its loss back to the host (which waits for the stream). A caller that does not
 * read anything back between uploads must synchronize the device itself.
 *
 * <p>The returned tensor belongs to the caller's current scope (one {@code Memory.step()} per
 * step). The pinned buffers belong to this object and are freed by {@link #close()}. Not
 * thread-safe: one thread uploads.
 */
public final class BatchUploader implements AutoCloseable {
    private final Device device;
    private final Tensor[] pinned = new Tensor[2];
    private int next;
    private boolean closed;

    /** @param device where batches go */
    public BatchUploader(Device device) {
        this.device = java.util.Objects.requireNonNull(device, "device");
    }

    /** True when uploads go through pinned host buffers (a CUDA device). */
    public boolean pinned() {
        return device.isCuda();
    }

    /** The batch's images on the device, {@code [N, H, W, 3]} uint8. */
    public Tensor images(Batch b) {
        if (closed) throw new IllegalStateException("BatchUploader is closed");
        if (!device.isCuda()) {
            return Tensors.fromBytes(b.pixels(), b.size(), b.height(), b.width(), 3);
        }
        long n = (long) b.size() * b.height() * b.width() * 3;
        int slot = next;
        next = (next + 1) % pinned.length;
        Tensor host = pinned[slot];
        if (host == null || host.numel() < n) {
            if (host != null) host.releaseReference();
            host = torch.empty(new long[] {n}, new TensorOptions(torch.ScalarType.Byte).pinned_memory(new BoolOptional(true)),
                    new MemoryFormatOptional());
            host.retainReference(); // owned here, not by the step's scope
            pinned[slot] = host;
        }
        host.data_ptr_byte().put(b.pixels(), 0, (int) n);
        Tensor view = host.narrow(0, 0, n).view(b.size(), b.height(), b.width(), 3);
        return view.to(device.toNative(), torch.ScalarType.Byte, true, false, new MemoryFormatOptional());
    }

    /** Frees the pinned buffers; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (int i = 0; i < pinned.length; i++) {
            if (pinned[i] != null) pinned[i].releaseReference();
            pinned[i] = null;
        }
    }
}
