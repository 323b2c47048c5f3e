package dev.jvision.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory as Linux reports it in {@code /proc/self/status}: the one reader of that
 * file in jvision ({@link Memory#residentBytes}, {@link HostMemory} and the run logs' peak
 * memory call it). Values are bytes, or -1 where /proc is not available. Static, thread-safe.
 */
public final class ProcStatus {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcStatus() {}

    /** Resident set size ({@code VmRSS}). */
    public static long residentBytes() {
        return kib("VmRSS:");
    }

    /** Peak resident set size ({@code VmHWM}). */
    public static long peakResidentBytes() {
        return kib("VmHWM:");
    }

    /** A {@code kB} field of {@code /proc/self/status} in bytes, or -1. */
    static long kib(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
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
