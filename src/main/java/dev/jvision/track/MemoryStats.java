package dev.jvision.track;

import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;

/**
 * Peak memory for the per-epoch log: the CUDA caching allocator's peak allocated bytes on a
 * GPU device, else the process's peak resident set (VmHWM). Stateless and thread-safe.
 */
public final class MemoryStats {
    private MemoryStats() {}

    /** Peak bytes for {@code device}, or -1 when unknown. */
    public static long peakBytes(Device device) {
        if (device != null && device.isCuda()) {
            try {
                var stats = torch.getDeviceStats((byte) Math.max(0, device.index()));
                return stats.allocated_bytes().peak();
            } catch (Throwable e) {
                // allocator statistics not mapped in this build: fall back to the host's peak
            }
        }
        return peakRssBytes();
    }

    /** Bytes currently allocated by the CUDA caching allocator on {@code device}; -1 on CPU or when unknown. */
    public static long allocatedBytes(Device device) {
        if (device != null && device.isCuda()) {
            try {
                return torch.getDeviceStats((byte) Math.max(0, device.index())).allocated_bytes().current();
            } catch (Throwable e) {
                return -1;
            }
        }
        return -1;
    }

    /** Bytes reserved (allocated plus cached) by the CUDA caching allocator; -1 on CPU or when unknown. */
    public static long reservedBytes(Device device) {
        if (device != null && device.isCuda()) {
            try {
                return torch.getDeviceStats((byte) Math.max(0, device.index())).reserved_bytes().current();
            } catch (Throwable e) {
                return -1;
            }
        }
        return -1;
    }

    /** Resets the CUDA allocator's peak statistics (no-op on CPU). */
    public static void resetPeak(Device device) {
        if (device != null && device.isCuda()) {
            try {
                torch.resetPeakStats((byte) Math.max(0, device.index()));
            } catch (Throwable e) {
                // not mapped: nothing to reset
            }
        }
    }

    /** Releases cached CUDA blocks back to the driver (no-op without CUDA). */
    public static void emptyCudaCache() {
        try {
            if (torch.cuda_is_available()) {
                torch.emptyCache();
            }
        } catch (Throwable e) {
            // CPU-only build
        }
    }

    /** Peak resident set size (VmHWM) of this process, or -1 where /proc is not available. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.trim().split("\\s+")[1]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
