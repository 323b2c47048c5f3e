package dev.jvision.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host (CPU) memory statistics for profiling: bytes in use by the C heap, the resident set and
 * its peak.
 *
 * <p>libtorch's CPU allocator hands every tensor to {@code posix_memalign}/{@code free}
 * (glibc) and keeps no statistics of its own unless its profiler is on (not mapped by the
 * JavaCPP presets). glibc's {@code mallinfo2()} therefore gives the bytes of live tensors,
 * plus the much smaller C++ objects (autograd nodes, JNI wrappers) and whatever the JVM itself
 * mallocs at that moment (JIT arenas: a few MB). The resident set cannot measure a phase: glibc
 * keeps freed blocks for reuse and serves large requests from them, so its growth depends on
 * what the process did before.
 *
 * <p>Linux and glibc only; elsewhere the methods return -1 / false. Static, thread-safe.
 */
public final class HostMemory {
    private static final LibC LIBC = load();

    private HostMemory() {}

    /** glibc's entry points used here. */
    public interface LibC extends Library {
        Mallinfo2 mallinfo2();

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
        long v = m.uordblks + m.hblkhd;
        // JNA mallocs the returned struct: free it now, or the statistic counts its own garbage
        if (m.getPointer() instanceof com.sun.jna.Memory mem) mem.close();
        return v;
    }

    /** Returns free heap memory to the system ({@code malloc_trim(0)}); no-op when unavailable. */
    public static void trim() {
        if (LIBC != null) LIBC.malloc_trim(0);
    }

    /** Resident set size (VmRSS) in bytes, or -1 where /proc is not available. */
    public static long residentBytes() {
        return ProcStatus.residentBytes();
    }

    /** Peak resident set size (VmHWM) since start or the last {@link #resetPeakResident()}, or -1. */
    public static long peakResidentBytes() {
        return ProcStatus.peakResidentBytes();
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
}
