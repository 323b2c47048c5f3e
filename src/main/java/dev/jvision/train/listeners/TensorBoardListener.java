package dev.jvision.train.listeners;

import dev.jvision.track.TensorBoardWriter;
import dev.jvision.train.FitResult;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes each epoch's scores as TensorBoard scalars under {@code fold<k>/} (train and
 * validation loss, F1, accuracy, top-5, learning rate, images/s, peak memory, skipped steps),
 * one event file per fit in {@code dir}. Owns the open event file: {@link #close()} (also done
 * at the end of each fit) flushes and closes it. Not thread-safe.
 */
public final class TensorBoardListener implements Callback, AutoCloseable {
    private final Path dir;
    private TensorBoardWriter writer;

    /** Event files go to {@code dir} (a run folder's {@code tensorboard/}). */
    public TensorBoardListener(Path dir) {
        this.dir = dir;
    }

    @Override
    public void onFitStart(FitContext fit) throws IOException {
        close();
        writer = new TensorBoardWriter(dir);
    }

    @Override
    public void onEpochEnd(FitContext fit, Epoch e) throws IOException {
        if (writer == null) {
            return;
        }
        String f = "fold" + fit.fold() + "/";
        int step = e.epoch();
        Validation v = e.validation();
        writer.scalar(f + "train_loss", e.trainLoss(), step);
        for (var m : v.metrics().entrySet()) {
            writer.scalar(f + m.getKey(), m.getValue(), step);
        }
        writer.scalar(f + "img_size", e.imgSize(), step);
        writer.scalar(f + "lr", e.lr(), step);
        writer.scalar(f + "img_per_s", e.imagesPerSecond(), step);
        writer.scalar(f + "peak_mem_mb", e.peakMemoryMb(), step);
        writer.scalar(f + "skipped_steps", e.skippedSteps(), step);
    }

    @Override
    public void onFitEnd(FitContext fit, FitResult result) throws IOException {
        close();
    }

    /** Closes the current event file, if any. Idempotent. */
    @Override
    public void close() throws IOException {
        if (writer != null) {
            TensorBoardWriter w = writer;
            writer = null;
            w.close();
        }
    }
}
