package dev.jvision.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;

/**
 * Bytes the C library's malloc has handed out and not had back (glibc {@code mallinfo2}:
 * {@code uordblks + hblkhd}, summed over every arena), read through JNA. libtorch's CPU
 * allocator takes tensor storage from malloc ({@code posix_memalign}) and keeps no readable
 * count of its own, so this is the closest figure to "native bytes in use": unlike the resident
 * set it does not move when freed memory stays cached in an arena, or when the Java heap or
 * code cache touches new pages. It includes the JVM's own malloc use. Thread-safe.
 */
public final class NativeHeap {
    private NativeHeap() {}

    /** glibc's {@code struct mallinfo2}: ten {@code size_t} fields. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure {
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

        /** The by-value form glibc returns. */
        public static class ByValue extends MallInfo2 implements Structure.ByValue {}
    }

    interface LibC extends Library {
        MallInfo2.ByValue mallinfo2();
    }

    private static final LibC LIBC = load();

    private static LibC load() {
        try {
            LibC c = Native.load("c", LibC.class);
            c.mallinfo2();
            return c;
        } catch (Throwable e) {
            // not glibc 2.33+ (musl, macOS, old glibc): callers get -1
            return null;
        }
    }

    /** Whether {@link #inUseBytes()} can be read on this system. */
    public static boolean available() {
        return LIBC != null;
    }

    /** Bytes in use in malloc's arenas plus its mmapped blocks, or -1 where mallinfo2 is missing. */
    public static long inUseBytes() {
        if (LIBC == null) return -1;
        MallInfo2 m = LIBC.mallinfo2();
        return m.uordblks + m.hblkhd;
    }
}
