package dev.jvision.memprof;

import dev.jvision.runtime.CudaMemory;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.HostMemory;

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

    /** Starts watching for the peak between checkpoints (CPU sampler); no-op where the peak is tracked natively. */
    void startSampling() {}

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
        return device.isCuda() ? new Cuda(device) : new Host();
    }

    /** The CUDA caching allocator: allocated bytes (current/peak) and reserved bytes, exact. */
    static final class Cuda extends Meter {
        private final Device device;
        private final long baseline;
        private final long baselineReserved;

        Cuda(Device device) {
            this.device = device;
            releaseUnreachable();
            CudaMemory.synchronize(device);
            CudaMemory.emptyCache();
            this.baseline = CudaMemory.allocatedBytes(device);
            this.baselineReserved = CudaMemory.reservedBytes(device);
        }

        @Override
        long current() {
            return CudaMemory.allocatedBytes(device);
        }

        @Override
        void mark() {
            sync();
            CudaMemory.resetPeak(device);
        }

        @Override
        long peak() {
            return CudaMemory.peakAllocatedBytes(device);
        }

        @Override
        long reservedPeak() {
            return CudaMemory.peakReservedBytes(device) - baselineReserved + baseline;
        }

        @Override
        long baseline() {
            return baseline;
        }

        @Override
        long context() {
            long used = CudaMemory.totalBytes(device) - CudaMemory.freeBytes(device);
            return Math.max(0, used - CudaMemory.reservedBytes(device));
        }

        @Override
        void sync() {
            CudaMemory.synchronize(device);
        }

        @Override
        String method() {
            return "CUDA caching allocator statistics (allocated bytes before/after the forward pass; "
                    + "peak allocated bytes, reset at each step): exact for tensors, excludes the CUDA context";
        }
    }

    /**
     * The CPU: glibc's heap in use ({@code mallinfo2}: every tensor storage, plus the much smaller
     * C++ objects and whatever other JVM threads malloc meanwhile, a few MB). The peak of a step is
     * the highest reading of a sampler thread (every ~0.1 ms, from the end of the forward pass) and
     * of the checkpoints the profiler reads (after the forward pass, after backward, after the
     * optimizer step): a temporary that lives shorter than the sampling interval, or one inside the
     * forward pass, can be missed (the backward pass holds the peak). (The resident set is no measure of
     * a step's peak: glibc serves large blocks from free heap chunks left by earlier work, so its
     * growth depends on the process's history; measured 10-20% per image high after other work.)
     */
    static final class Host extends Meter {
        private final long baseline;
        private final long baselineRss;
        private final java.util.concurrent.atomic.AtomicLong max = new java.util.concurrent.atomic.AtomicLong();
        private volatile boolean sampling;
        private Thread sampler;

        Host() {
            if (!HostMemory.available()) {
                throw new UnsupportedOperationException("memprof on the CPU needs glibc 2.33+ (mallinfo2) on Linux");
            }
            releaseUnreachable();
            HostMemory.trim();
            this.baseline = HostMemory.heapInUseBytes();
            this.baselineRss = HostMemory.residentBytes();
        }

        @Override
        long current() {
            long v = HostMemory.heapInUseBytes();
            max.accumulateAndGet(v, Math::max);
            return v;
        }

        @Override
        void mark() {
            stopSampler();
            // collect unreachable tensors of earlier work now: freed in the middle of the forward pass they
            // would read as negative activations (seen: -15 MB after other tests in the same JVM)
            releaseUnreachable();
            max.set(HostMemory.heapInUseBytes());
        }

        /**
         * Starts the sampler. Called after the activations are read: the sampler allocates Java
         * objects, and collections it triggers free earlier work's tensors.
         */
        @Override
        void startSampling() {
            stopSampler();
            sampling = true;
            sampler = new Thread(() -> {
                while (sampling) {
                    current();
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            }, "jvision-memprof-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        @Override
        long peak() {
            current();
            stopSampler();
            return max.get();
        }

        private void stopSampler() {
            sampling = false;
            if (sampler != null) {
                try {
                    sampler.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                sampler = null;
            }
        }

        @Override
        public void close() {
            stopSampler();
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
            return "CPU: glibc heap in use (mallinfo2): activations = after - before the forward pass; peak = highest "
                    + "reading of a 0.1 ms sampler and the step's checkpoints; error a few MB plus temporaries shorter "
                    + "than 0.1 ms; weights, gradients, optimizer, EMA, input are exact tensor sizes";
        }
    }
}
