package dev.jvision.train.listeners;

import dev.jvision.train.TrainListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a fit through SLF4J (logger {@code dev.jvision.train.Trainer}): what is trained where,
 * where a resumed fit continues, one line per epoch (scores, learning rate, speed, peak memory,
 * skipped fp16 steps, {@code *} on a new best) and early stopping. Stateless and thread-safe.
 */
public final class LoggingListener implements TrainListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.jvision.train.Trainer");

    @Override
    public void onFitStart(Fit fit) {
        if (fit.resumed()) {
            LOG.info("fold {}: resuming at epoch {} batch {}", fit.fold(), fit.startEpoch() + 1, fit.startBatch());
        }
        LOG.info("fold {}: {} train / {} val images, {} on {}, {} steps per epoch, {}", fit.fold(), fit.trainSize(),
                fit.valSize(), fit.model(), fit.device(), fit.stepsPerEpoch(), fit.setup());
    }

    @Override
    public void onEpochEnd(Fit fit, Epoch e) {
        Validation v = e.validation();
        StringBuilder scores = new StringBuilder();
        v.metrics().forEach((k, x) -> scores.append(' ').append(k).append(' ').append(f4(x)));
        LOG.info("fold {} epoch {}/{}: train_loss {}{} lr {} ({} px, {} img/s, peak {} MB{}){}", fit.fold(), e.epoch(),
                fit.epochs(), f4(e.trainLoss()), scores, String.format("%.2e", e.lr()), e.imgSize(),
                String.format("%.1f", e.imagesPerSecond()), e.peakMemoryMb(),
                e.skippedInEpoch() > 0 ? ", " + e.skippedInEpoch() + " fp16 steps skipped" : "",
                v.improved() ? " *" : "");
        if (e.stopping()) {
            LOG.info("fold {}: early stop after epoch {} (train.early_stopping_patience epochs without improvement)",
                    fit.fold(), e.epoch());
        }
    }

    private static String f4(double v) {
        return String.format("%.4f", v);
    }
}
