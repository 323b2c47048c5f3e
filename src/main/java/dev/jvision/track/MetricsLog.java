package dev.jvision.track;

import dev.jvision.runtime.AtomicFiles;
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
            "val_acc", "val_top5", "lr", "img_per_s", "peak_mem_mb", "skipped_steps", "seconds",
            "img_size");
    private final Path file;
    private final List<String> columns;

    MetricsLog(Path file) {
        this(file, COLUMNS);
    }

    /**
     * A log of other columns (a task's own metrics, e.g. detection's mAP); the first two must be
     * {@code fold} and {@code epoch} ({@link #truncate} reads them).
     */
    public MetricsLog(Path file, List<String> columns) {
        if (columns.size() < 2 || !columns.get(0).equals("fold") || !columns.get(1).equals("epoch")) {
            throw new IllegalArgumentException("metrics columns: " + columns + " (expected: fold, epoch, ...)");
        }
        this.file = file;
        this.columns = List.copyOf(columns);
    }

    /** The CSV file. */
    public Path file() {
        return file;
    }

    /** Appends a row; values in column order ({@link #COLUMNS} unless given). */
    public synchronized void append(Object... values) throws IOException {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException(values.length + " values (expected: " + columns.size() + ")");
        }
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            if (fresh) {
                p.printRecord(columns);
            }
            p.printRecord(values);
        }
    }

    /**
     * Drops the rows of {@code fold} after epoch {@code epoch} (1-based; 0 drops all of the
     * fold's rows), atomically: a resumed run repeats those epochs and must not log them twice.
     */
    public synchronized void truncate(int fold, int epoch) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> keep = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", 3);
            if (i > 0 && f.length >= 2 && f[0].equals(Integer.toString(fold)) && Integer.parseInt(f[1]) > epoch) {
                continue;
            }
            keep.add(lines.get(i));
        }
        AtomicFiles.write(file, tmp -> Files.write(tmp, keep, StandardCharsets.UTF_8));
    }
}
