package dev.jvision.track;

import dev.jvision.runtime.CudaMemory;
import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak memory for the per-epoch log: the CUDA caching allocator's peak allocated bytes on a
 * GPU device, else the process's peak resident set (VmHWM), over {@link CudaMemory} and
 * {@link dev.jvision.runtime.ProcStatus}. Stateless and thread-safe.
 */
public final class MemoryStats {
    private MemoryStats() {}

    /** Peak bytes for {@code device}, or -1 when unknown. */
    public static long peakBytes(Device device) {
        long cuda = CudaMemory.peakAllocatedBytes(device);
        return cuda >= 0 ? cuda : peakRssBytes();
    }

    /** Bytes currently allocated by the CUDA caching allocator on {@code device}; -1 on CPU or when unknown. */
    public static long allocatedBytes(Device device) {
        return CudaMemory.allocatedBytes(device);
    }

    /** Bytes reserved (allocated plus cached) by the CUDA caching allocator; -1 on CPU or when unknown. */
    public static long reservedBytes(Device device) {
        return CudaMemory.reservedBytes(device);
    }

    /** Resets the CUDA allocator's peak statistics (no-op on CPU). */
    public static void resetPeak(Device device) {
        CudaMemory.resetPeak(device);
    }

    /** Releases cached CUDA blocks back to the driver (no-op without CUDA). */
    public static void emptyCudaCache() {
        CudaMemory.emptyCache();
    }

    /** Peak resident set size (VmHWM) of this process, or -1 where /proc is not available. */
    public static long peakRssBytes() {
        return dev.jvision.runtime.ProcStatus.peakResidentBytes();
    }
}
