package dev.jvision.track;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

/**
 * One run's folder, {@code <output_dir>/<yyyyMMdd-HHmmss>-<name>/}: the effective
 * {@code config.yaml}, {@code run.log}, {@code metrics.csv}, per-fold checkpoints and the
 * submission. {@code run.log} is written when logback is the SLF4J backend (the launcher's
 * case; a host application's own backend is left alone). Closing it detaches the log file.
 * Not thread-safe.
 */
public final class RunDir implements AutoCloseable {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    private final Path dir;
    private final MetricsLog metrics;
    private RunLogFile log;

    private RunDir(Path dir) throws IOException {
        this(dir, true);
    }

    private RunDir(Path dir, boolean log) throws IOException {
        this.dir = dir;
        this.metrics = new MetricsLog(dir.resolve("metrics.csv"));
        if (log) {
            attachLog();
        }
    }

    /** Creates a fresh run folder for {@code exp} and writes its effective config. */
    public static RunDir create(Experiment exp) throws IOException {
        Path base = Path.of(exp.experiment().outputDir());
        String stem = LocalDateTime.now().format(STAMP) + "-" + exp.experiment().name().replaceAll("[^A-Za-z0-9._-]", "_");
        Path dir = base.resolve(stem);
        for (int i = 2; Files.exists(dir); i++) {
            dir = base.resolve(stem + "-" + i);
        }
        Files.createDirectories(dir);
        Configs.write(exp, dir.resolve("config.yaml"));
        return new RunDir(dir);
    }

    /** Opens an existing run folder (for inference or to add results). */
    public static RunDir open(Path dir) throws IOException {
        requireRunDir(dir);
        return new RunDir(dir);
    }

    private static void requireRunDir(Path dir) {
        if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve("config.yaml"))) {
            throw new IllegalArgumentException("run folder " + dir + ": not found or has no config.yaml "
                    + "(expected: a folder made by `jvision train` or `jvision pipeline`)");
        }
    }

    /**
     * Opens rank 0's run folder on another rank of a distributed run: like {@link #open} but
     * without appending this process's log to {@code run.log}, which rank 0 alone writes.
     */
    public static RunDir openAsWorker(Path dir) throws IOException {
        requireRunDir(dir);
        return new RunDir(dir, false);
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /** The folder of fold {@code k}'s checkpoints (created). */
    public Path foldDir(int k) throws IOException {
        return Files.createDirectories(dir.resolve("fold" + k));
    }

    /** The per-epoch metrics log. */
    public MetricsLog metrics() {
        return metrics;
    }

    private void attachLog() {
        if (RunLogFile.available()) {
            log = RunLogFile.attach(dir.resolve("run.log"), "run-" + dir.getFileName());
        }
    }

    @Override
    public void close() {
        if (log != null) {
            log.close();
            log = null;
        }
    }
}
