package dev.jvision.track;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Appends one row per epoch to {@code metrics.csv} (header written once), flushed after each
 * row so that a killed run keeps what it measured. Thread-safe (synchronized).
 */
public final class MetricsLog {
    /** Column names, in order. */
    public static final List<String> COLUMNS = List.of("fold", "epoch", "train_loss", "val_loss", "val_f1",
            "val_acc", "lr", "img_per_s", "seconds");
    private final Path file;

    MetricsLog(Path file) {
        this.file = file;
    }

    /** The CSV file. */
    public Path file() {
        return file;
    }

    /** Appends a row; values in {@link #COLUMNS} order. */
    public synchronized void append(Object... values) throws IOException {
        if (values.length != COLUMNS.size()) {
            throw new IllegalArgumentException(values.length + " values (expected: " + COLUMNS.size() + ")");
        }
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            if (fresh) {
                p.printRecord(COLUMNS);
            }
            p.printRecord(values);
        }
    }
}
