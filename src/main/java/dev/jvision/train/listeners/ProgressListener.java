package dev.jvision.train.listeners;

import dev.jvision.track.Progress;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;

/**
 * A progress bar per training epoch (loss, learning rate, images/s) on a terminal, else a log
 * line every quarter epoch. Owns the open bar: {@link #close()} ends it (done when the epoch's
 * last batch is trained). Not thread-safe.
 */
public final class ProgressListener implements Callback, AutoCloseable {
    private Progress bar;

    @Override
    public void onEpochStart(FitContext fit) {
        close();
        bar = Progress.start(String.format("fold %d epoch %d/%d", fit.fold(), fit.epoch(), fit.epochs()),
                fit.batchesAt(fit.epoch()) - fit.batch());
    }

    @Override
    public void onStepEnd(FitContext fit, Step s) {
        if (bar == null) {
            return;
        }
        bar.step(1, String.format("loss %.4f lr %.2e %.1f img/s", s.meanLoss(), s.lr(), s.imagesPerSecond()));
        if (s.batch() == fit.batchesAt(s.epoch())) {
            close();
        }
    }

    @Override
    public void onEpochEnd(FitContext fit, Epoch e) {
        close();
    }

    /** Ends the current bar, if any. Idempotent. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
