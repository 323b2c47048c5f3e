package dev.jvision.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;

/**
 * Native memory discipline and statistics.
 *
 * <p>Tensors created by libtorch calls are freed when their Java owner is closed or collected.
 * The collector rarely runs, so a loop that never closes its tensors grows without bound. Wrap
 * each training or inference step in {@link #step()}: every native object created inside is
 * released when the scope closes, unless it was {@code retainReference()}d or detached. Never
 * wrap a whole loop in one scope. Static methods are thread-safe; a scope belongs to the thread
 * that opened it.
 */
public final class Memory {
    private Memory() {}

    /** Opens a scope that frees every native object created in it on this thread when closed. */
    public static StepScope step() {
        return new StepScope();
    }

    /** Resident set size of this process in bytes, or -1 where /proc is not available. */
    public static long residentBytes() {
        return ProcStatus.residentBytes();
    }

    /** Bytes JavaCPP currently tracks as allocated through its own deallocators. */
    public static long javacppTrackedBytes() {
        return Pointer.totalBytes();
    }
}
