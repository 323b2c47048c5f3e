package dev.jvision.train.listeners;

import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a fit through SLF4J (logger {@code dev.jvision.train.Trainer}): what is trained where,
 * where a resumed fit continues, one line per epoch (scores, learning rate, speed, peak memory,
 * skipped fp16 steps, {@code *} on a new best) and why a fit stops early. Stateless and thread-safe.
 */
public final class LoggingListener implements Callback {
    private static final Logger LOG = LoggerFactory.getLogger("dev.jvision.train.Trainer");

    @Override
    public void onFitStart(FitContext fit) {
        if (fit.resumed()) {
            LOG.info("fold {}: resuming at epoch {} batch {}", fit.fold(), fit.startEpoch(), fit.startBatch());
        }
        LOG.info("fold {}: {} train / {} val images, {} on {}, {} steps per epoch, {}", fit.fold(), fit.trainSize(),
                fit.valSize(), fit.modelName(), fit.device(), fit.stepsAt(fit.startEpoch()), fit.setup());
    }

    @Override
    public void onEpochEnd(FitContext fit, Epoch e) {
        Validation v = e.validation();
        StringBuilder scores = new StringBuilder();
        v.metrics().forEach((k, x) -> scores.append(' ').append(k).append(' ').append(f4(x)));
        LOG.info("fold {} epoch {}/{}: train_loss {}{} lr {} ({} px, {} img/s, peak {} MB{}){}", fit.fold(), e.epoch(),
                fit.epochs(), f4(e.trainLoss()), scores, String.format("%.2e", e.lr()), e.imgSize(),
                String.format("%.1f", e.imagesPerSecond()), e.peakMemoryMb(),
                e.skippedInEpoch() > 0 ? ", " + e.skippedInEpoch() + " fp16 steps skipped" : "",
                v.improved() ? " *" : "");
        if (e.stopping()) {
            LOG.info("fold {}: stopping after epoch {} ({})", fit.fold(), e.epoch(), fit.stopReason());
        }
    }

    private static String f4(double v) {
        return String.format("%.4f", v);
    }
}
