package dev.jvision.detect;

import dev.jvision.track.MetricsLog;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A detection run's {@code metrics.csv}: one row per epoch with {@link #COLUMNS} (mAP instead of
 * classification's F1 / accuracy); when a fit resumes, the rows of the epochs it repeats are
 * dropped first. Thread-safe as the log is.
 */
public final class DetectionMetricsCsv implements Callback {
    /** Column names, in order. */
    public static final List<String> COLUMNS = List.of("fold", "epoch", "train_loss", "val_map50", "val_map50_95",
            "val_map75", "lr", "img_per_s", "peak_mem_mb", "skipped_steps", "seconds", "img_size");
    private final MetricsLog log;

    /** Rows go to {@code file} (a run folder's {@code metrics.csv}). */
    public DetectionMetricsCsv(Path file) {
        this.log = new MetricsLog(file, COLUMNS);
    }

    @Override
    public void onFitStart(FitContext fit) throws IOException {
        if (fit.resumed()) {
            log.truncate(fit.fold(), fit.startEpoch() - 1);
        }
    }

    @Override
    public void onEpochEnd(FitContext fit, Epoch e) throws IOException {
        Validation v = e.validation();
        log.append(fit.fold(), e.epoch(), f4(e.trainLoss()), f4(v.metric("val_map50")), f4(v.metric("val_map50_95")),
                f4(v.metric("val_map75")), String.format("%.3e", e.lr()), String.format("%.1f", e.imagesPerSecond()),
                e.peakMemoryMb(), e.skippedSteps(), String.format("%.1f", e.seconds()), e.imgSize());
    }

    private static String f4(double v) {
        return String.format("%.4f", v);
    }
}
