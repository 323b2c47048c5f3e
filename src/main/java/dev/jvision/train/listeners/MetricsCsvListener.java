package dev.jvision.train.listeners;

import dev.jvision.track.MetricsLog;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import java.io.IOException;

/**
 * Appends one {@code metrics.csv} row per epoch ({@link MetricsLog#COLUMNS}) and, when a fit
 * resumes, first drops the rows of the epochs it will repeat. Thread-safe as the log is; holds
 * no resources.
 */
public final class MetricsCsvListener implements Callback {
    private final MetricsLog log;

    /** Rows go to {@code log} (a run folder's {@code metrics()}). */
    public MetricsCsvListener(MetricsLog log) {
        this.log = log;
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
        log.append(fit.fold(), e.epoch(), f4(e.trainLoss()), f4(v.metric("val_loss")), f4(v.metric("val_f1")),
                f4(v.metric("val_acc")), f4(v.metric("val_top5")),
                String.format("%.3e", e.lr()), String.format("%.1f", e.imagesPerSecond()), e.peakMemoryMb(),
                e.skippedSteps(), String.format("%.1f", e.seconds()), e.imgSize());
    }

    static String f4(double v) {
        return String.format("%.4f", v);
    }
}
