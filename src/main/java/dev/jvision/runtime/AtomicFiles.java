package dev.jvision.runtime;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Atomic file writes: the content goes to a temporary file in the target's folder, which is
 * then renamed over the target, so a reader (or a killed run) sees the old file or the new one,
 * never half of it. For files too large to build in memory, {@link #open} streams into the
 * temporary file and {@link Pending#commit()} renames it. Stateless and thread-safe for different
 * targets.
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
     * Renames a complete temporary file to {@code target}: an atomic move, or a plain move where
     * the file system cannot move atomically; {@code replace} allows overwriting {@code target}.
     */
    public static void move(Path tmp, Path target, boolean replace) throws IOException {
        StandardCopyOption[] atomic = replace
                ? new StandardCopyOption[] {StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE}
                : new StandardCopyOption[] {StandardCopyOption.ATOMIC_MOVE};
        try {
            Files.move(tmp, target, atomic);
        } catch (AtomicMoveNotSupportedException e) {
            if (replace) Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            else Files.move(tmp, target);
        }
    }

    /**
     * Lets {@code body} write a temporary file beside {@code file}, then renames it over
     * {@code file} (a plain replacing move only where the file system cannot move atomically).
     * Creates the folder; no temporary file is left on failure.
     */
    public static void write(Path file, FileBody body) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = temporary(target);
        try {
            body.write(tmp);
            replace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Opens a UTF-8 text file that is written piece by piece into a temporary file beside
     * {@code file} (created with its folder) and appears as {@code file} only at
     * {@link Pending#commit()}: a failure or a kill before then leaves {@code file} as it was.
     * The caller owns the result and closes it (closing without commit deletes the temporary
     * file; the JVM also deletes it at a normal exit or SIGINT/SIGTERM; after a SIGKILL
     * {@link #removeTemporaries} clears it).
     */
    public static Pending open(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = temporary(target);
        tmp.toFile().deleteOnExit();
        try {
            return new Pending(target, tmp, Files.newBufferedWriter(tmp, StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Deletes the temporary files that writes of {@code file} left behind when their process was
     * killed ({@code .<name>.*.tmp} beside it). Only call it when no other process is writing
     * {@code file}.
     *
     * @return the deleted files
     */
    public static List<Path> removeTemporaries(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(target.getParent())) {
            return removed;
        }
        String prefix = "." + target.getFileName() + ".";
        try (var files = Files.newDirectoryStream(target.getParent(),
                f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(".tmp"))) {
            for (Path f : files) {
                if (Files.deleteIfExists(f)) {
                    removed.add(f);
                }
            }
        }
        return removed;
    }

    /**
     * A text file being written through {@link #writer()} into a temporary file; see
     * {@link AtomicFiles#open}. Not thread-safe.
     */
    public static final class Pending implements AutoCloseable {
        private final Path target;
        private final Path tmp;
        private final Writer writer;
        private boolean done;

        private Pending(Path target, Path tmp, Writer writer) {
            this.target = target;
            this.tmp = tmp;
            this.writer = writer;
        }

        /** The buffered writer of the temporary file (owned by this object: do not close it). */
        public Writer writer() {
            if (done) {
                throw new IllegalStateException("pending " + target + ": already committed or closed");
            }
            return writer;
        }

        /** The file that {@link #commit()} writes. */
        public Path target() {
            return target;
        }

        /** Flushes and closes the temporary file and renames it over the target. */
        public void commit() throws IOException {
            if (done) {
                throw new IllegalStateException("pending " + target + ": already committed or closed");
            }
            done = true;
            try {
                writer.close();
                replace(tmp, target);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        /** Discards the temporary file unless committed; idempotent. */
        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            done = true;
            try {
                writer.close();
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static Path temporary(Path target) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    }

    private static void replace(Path tmp, Path target) throws IOException {
        move(tmp, target, true);
    }
}
