package dev.jvision.train;

import dev.jvision.runtime.Device;
import dev.jvision.track.MemoryStats;

/**
 * Turns libtorch's CUDA out-of-memory error into a message with the peak memory and a batch
 * size that would fit, leaving other exceptions unchanged. Stateless.
 */
final class OutOfMemory {
    private OutOfMemory() {}

    static boolean isOom(Throwable e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("out of memory") || m.contains("OutOfMemory");
    }

    static RuntimeException explain(RuntimeException e, int batchSize, Device device) {
        if (!isOom(e)) {
            return e;
        }
        long peak = MemoryStats.peakBytes(device) >> 20;
        int suggest = Math.max(1, batchSize / 2);
        MemoryStats.emptyCudaCache();
        return new IllegalStateException(String.format("out of memory on %s at batch size %d (peak %d MB); "
                + "try --set train.batch_size=%d, train.amp: bf16, or train.auto_batch_size: true", device.toString(),
                batchSize, peak, suggest), e);
    }
}
