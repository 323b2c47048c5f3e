package dev.jvision.runtime;

import org.bytedeco.pytorch.global.torch;

/**
 * CUDA device memory as libtorch reports it: the caching allocator's statistics (allocated and
 * reserved bytes, current and peak) and the driver's free/total bytes. The one place jvision
 * asks libtorch about device memory (run logs, the out-of-memory report, auto batch size,
 * memprof and the ensemble's resident budget call it). A CPU device, a CPU-only build or a
 * statistic the presets do not map gives -1 (or does nothing). Static, thread-safe.
 */
public final class CudaMemory {
    private CudaMemory() {}

    private static byte index(Device device) {
        return (byte) Math.max(0, device.index());
    }

    private static boolean cuda(Device device) {
        return device != null && device.isCuda();
    }

    /** Bytes allocated by the caching allocator now. */
    public static long allocatedBytes(Device device) {
        try {
            return cuda(device) ? torch.getDeviceStats(index(device)).allocated_bytes().current() : -1;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Peak allocated bytes since the last {@link #resetPeak}. */
    public static long peakAllocatedBytes(Device device) {
        try {
            return cuda(device) ? torch.getDeviceStats(index(device)).allocated_bytes().peak() : -1;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Bytes reserved (allocated plus cached) by the caching allocator now. */
    public static long reservedBytes(Device device) {
        try {
            return cuda(device) ? torch.getDeviceStats(index(device)).reserved_bytes().current() : -1;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Peak reserved bytes since the last {@link #resetPeak}. */
    public static long peakReservedBytes(Device device) {
        try {
            return cuda(device) ? torch.getDeviceStats(index(device)).reserved_bytes().peak() : -1;
        } catch (Throwable e) {
            return -1;
        }
    }

    /** Resets the allocator's peak statistics. */
    public static void resetPeak(Device device) {
        try {
            if (cuda(device)) {
                torch.resetPeakStats(index(device));
            }
        } catch (Throwable e) {
            // not mapped: nothing to reset
        }
    }

    /** Device memory the driver reports free. */
    public static long freeBytes(Device device) {
        return cuda(device) ? torch.getMemoryInfo(index(device)).first() : -1;
    }

    /** The device's total memory. */
    public static long totalBytes(Device device) {
        return cuda(device) ? torch.getMemoryInfo(index(device)).second() : -1;
    }

    /** Waits for the device's queued kernels. */
    public static void synchronize(Device device) {
        if (cuda(device)) {
            torch.synchronizeDevice(index(device));
        }
    }

    /** Releases cached blocks back to the driver (no-op without CUDA). */
    public static void emptyCache() {
        try {
            if (torch.cuda_is_available()) {
                torch.emptyCache();
            }
        } catch (Throwable e) {
            // CPU-only build
        }
    }
}
