package dev.jvision.memprof;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.HostMemory;
import org.bytedeco.pytorch.global.torch;

/**
 * Reads "bytes in use now" and "peak since the last mark" on one device: the CUDA caching
 * allocator's statistics, or glibc's heap and the resident set on the CPU. Not thread-safe.
 */
abstract class Meter implements AutoCloseable {
    /** Undoes process-wide settings made for measuring. */
    @Override
    public void close() {}

    /** Bytes in use now. */
    abstract long current();

    /** Resets the peak to the current use. */
    abstract void mark();

    /** Peak bytes in use since {@link #mark()} (same scale as {@link #baseline()}). */
    abstract long peak();

    /** Peak bytes reserved (held by the allocator) since {@link #mark()}; CPU: {@link #peak()}. */
    abstract long reservedPeak();

    /** What {@link #peak()} is measured against: bytes in use before the model exists. */
    abstract long baseline();

    /** Memory outside what the meter counts (see {@link MemoryProfile#context()}). */
    abstract long context();

    /** Waits for queued device work (CUDA), so that statistics are final. */
    void sync() {}

    /** One line on how this meter measures, and its error. */
    abstract String method();

    /** Frees native memory of unreachable JavaCPP objects now (the collector would do it at some later point). */
    static void releaseUnreachable() {
        for (int i = 0; i < 2; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            org.bytedeco.javacpp.Pointer.deallocateReferences();
        }
    }

    static Meter of(Device device) {
        return device.isCuda() ? new Cuda((byte) device.index()) : new Host();
    }

    /** The CUDA caching allocator: allocated bytes (current/peak) and reserved bytes, exact. */
    static final class Cuda extends Meter {
        private final byte index;
        private final long baseline;
        private final long baselineReserved;

        Cuda(byte index) {
            this.index = index;
            releaseUnreachable();
            torch.synchronizeDevice(index);
            torch.emptyCache();
            this.baseline = torch.getDeviceStats(index).allocated_bytes().current();
            this.baselineReserved = torch.getDeviceStats(index).reserved_bytes().current();
        }

        @Override
        long current() {
            return torch.getDeviceStats(index).allocated_bytes().current();
        }

        @Override
        void mark() {
            sync();
            torch.resetPeakStats(index);
        }

        @Override
        long peak() {
            return torch.getDeviceStats(index).allocated_bytes().peak();
        }

        @Override
        long reservedPeak() {
            return torch.getDeviceStats(index).reserved_bytes().peak() - baselineReserved + baseline;
        }

        @Override
        long baseline() {
            return baseline;
        }

        @Override
        long context() {
            var info = torch.getMemoryInfo(index);
            long used = info.second() - info.first();
            return Math.max(0, used - torch.getDeviceStats(index).reserved_bytes().current());
        }

        @Override
        void sync() {
            torch.synchronizeDevice(index);
        }

        @Override
        String method() {
            return "CUDA caching allocator statistics (allocated bytes before/after the forward pass; "
                    + "peak allocated bytes, reset at each step): exact for tensors, excludes the CUDA context";
        }
    }

    /**
     * The CPU: glibc's heap in use for "now" (exact for tensor storages; error: whatever other JVM
     * threads malloc meanwhile, a few MB at most). For "peak", the heap in use when the step starts
     * plus the growth of the resident set during the step (its VmHWM, reset at the start), with
     * large blocks mapped and unmapped one by one ({@link HostMemory#followFrees()}) so that the
     * resident set follows the tensors. Error: blocks under 64 KiB reuse freed heap without growing
     * the resident set, and the JVM's own allocations during a step (JIT compiler arenas) count;
     * together ~10-20 MB (run to run on a loaded 2-core machine).
     * (The resident set alone is not a usable baseline: what earlier work freed stays partly
     * resident, so later peaks would read tens of MB low.)
     */
    static final class Host extends Meter {
        private final long baseline;
        private final long baselineRss;
        private long inUseAtMark;
        private long rssAtMark;

        Host() {
            if (!HostMemory.available()) {
                throw new UnsupportedOperationException("memprof on the CPU needs glibc 2.33+ (mallinfo2) on Linux");
            }
            HostMemory.followFrees();
            releaseUnreachable();
            HostMemory.trim();
            this.baseline = HostMemory.heapInUseBytes();
            this.baselineRss = HostMemory.residentBytes();
        }

        @Override
        long current() {
            return HostMemory.heapInUseBytes();
        }

        @Override
        public void close() {
            HostMemory.settleDefaults();
        }

        @Override
        void mark() {
            // no trim here: freed small-block pages must stay resident, else reusing them during the
            // step would fault them back in and read as growth (measured: ~20 MB too high)
            inUseAtMark = HostMemory.heapInUseBytes();
            rssAtMark = HostMemory.residentBytes();
            HostMemory.resetPeakResident();
        }

        @Override
        long peak() {
            return inUseAtMark + Math.max(0, HostMemory.peakResidentBytes() - rssAtMark);
        }

        @Override
        long reservedPeak() {
            return peak();
        }

        @Override
        long baseline() {
            return baseline;
        }

        @Override
        long context() {
            return baselineRss;
        }

        @Override
        String method() {
            return "CPU: activations = glibc heap in use (mallinfo2) after - before the forward pass; peak = heap in use "
                    + "at the step's start + growth of the resident set (VmHWM reset per step, blocks >= 64 KiB mapped "
                    + "one by one); error ~10-20 MB; weights, gradients, optimizer, EMA, input are exact tensor sizes";
        }
    }
}
