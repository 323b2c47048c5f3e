package dev.jvision.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host (CPU) memory statistics for profiling: bytes in use by the C heap, resident set and its
 * peak, and the switches that make the resident set follow frees.
 *
 * <p>libtorch's CPU allocator hands every tensor to {@code posix_memalign}/{@code free}
 * (glibc) and keeps no statistics of its own unless its profiler is on (not mapped by the
 * JavaCPP presets). glibc's {@code mallinfo2()} therefore gives the bytes of live tensors,
 * plus the much smaller C++ objects (autograd nodes, JNI wrappers) and whatever the JVM itself
 * mallocs at that moment (JIT arenas: at most a few MB). The resident set alone cannot measure
 * a phase: glibc keeps freed blocks below its (adaptive, up to 32 MB) mmap threshold for reuse,
 * so a forward pass on a warm heap grows the RSS by almost nothing. {@link #followFrees()} sets
 * a fixed low mmap threshold so that every block of 64 KiB or more is mapped on allocation and
 * unmapped on free; the resident set then rises and falls with the tensors, and its peak
 * ({@code VmHWM}, reset through {@code /proc/self/clear_refs}) is the peak of a phase.
 *
 * <p>Linux and glibc only; elsewhere the methods return -1 / false. Static, thread-safe.
 */
public final class HostMemory {
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    /** Blocks of this size or more are mapped (and unmapped on free) after {@link #followFrees()}. */
    public static final int FOLLOW_FREES_THRESHOLD = 64 * 1024;
    private static final LibC LIBC = load();

    private HostMemory() {}

    /** glibc's entry points used here. */
    public interface LibC extends Library {
        Mallinfo2 mallinfo2();

        int mallopt(int param, int value);

        int malloc_trim(long pad);
    }

    /** glibc's {@code struct mallinfo2} (all fields {@code size_t}). */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
            "keepcost"})
    public static class Mallinfo2 extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;
    }

    private static LibC load() {
        try {
            LibC c = Native.load("c", LibC.class);
            c.mallinfo2();
            return c;
        } catch (Throwable e) {
            return null; // not glibc >= 2.33 (or JNA cannot load): statistics unavailable
        }
    }

    /** True when glibc's statistics can be read. */
    public static boolean available() {
        return LIBC != null;
    }

    /** Bytes in use by the C heap (arena chunks in use + mapped chunks), or -1 when unavailable. */
    public static long heapInUseBytes() {
        if (LIBC == null) return -1;
        Mallinfo2 m = LIBC.mallinfo2();
        return m.uordblks + m.hblkhd;
    }

    /**
     * Makes the resident set follow frees for the rest of the process: blocks of
     * {@link #FOLLOW_FREES_THRESHOLD} bytes or more are mapped and unmapped one by one, free heap
     * above 128 KiB is returned, and what is free now is released. Costs page faults on every large
     * allocation (a few percent of a CPU training step); {@link #settleDefaults()} ends it. Returns
     * false when unavailable.
     */
    public static boolean followFrees() {
        if (LIBC == null) return false;
        boolean ok = LIBC.mallopt(M_MMAP_THRESHOLD, FOLLOW_FREES_THRESHOLD) == 1
                & LIBC.mallopt(M_TRIM_THRESHOLD, 128 * 1024) == 1;
        LIBC.malloc_trim(0);
        return ok;
    }

    /**
     * Undoes {@link #followFrees()} as far as glibc allows: a fixed mmap threshold of 32 MiB and
     * trim threshold of 64 MiB, the values glibc's adaptive thresholds grow to under tensor
     * workloads (the adaptive mode itself cannot be switched back on). No-op when unavailable.
     */
    public static void settleDefaults() {
        if (LIBC == null) return;
        LIBC.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
        LIBC.mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    }

    /** Returns free heap memory to the system ({@code malloc_trim(0)}); no-op when unavailable. */
    public static void trim() {
        if (LIBC != null) LIBC.malloc_trim(0);
    }

    /** Resident set size (VmRSS) in bytes, or -1 where /proc is not available. */
    public static long residentBytes() {
        return status("VmRSS:");
    }

    /** Peak resident set size (VmHWM) since start or the last {@link #resetPeakResident()}, or -1. */
    public static long peakResidentBytes() {
        return status("VmHWM:");
    }

    /** Resets the peak resident set to the current one (Linux 4.0+); false when not possible. */
    public static boolean resetPeakResident() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
