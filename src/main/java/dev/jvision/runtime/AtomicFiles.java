package dev.jvision.runtime;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Atomic file writes: the content goes to a temporary file in the target's folder, which is
 * then renamed over the target, so a reader (or a killed run) sees the old file or the new one,
 * never half of it. Stateless and thread-safe for different targets.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the body of a text file. */
    @FunctionalInterface
    public interface Body {
        void write(Writer w) throws IOException;
    }

    /** Writes the content of a file at the given (temporary) path. */
    @FunctionalInterface
    public interface FileBody {
        void write(Path tmp) throws IOException;
    }

    /** Writes {@code file} (UTF-8) atomically, creating its folder; no temporary file is left on failure. */
    public static void writeText(Path file, Body body) throws IOException {
        write(file, tmp -> {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                body.write(w);
            }
        });
    }

    /**
     * Lets {@code body} write a temporary file beside {@code file}, then renames it over
     * {@code file} (a plain replacing move only where the file system cannot move atomically).
     * Creates the folder; no temporary file is left on failure.
     */
    public static void write(Path file, FileBody body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            body.write(tmp);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
