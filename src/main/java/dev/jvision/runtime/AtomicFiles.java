package dev.jvision.runtime;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Atomic text writes: the content goes to a temporary file in the target's folder, which is
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

    /** Writes {@code file} (UTF-8) atomically, creating its folder; no temporary file is left on failure. */
    public static void writeText(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                body.write(w);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
