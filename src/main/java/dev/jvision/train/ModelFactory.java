package dev.jvision.train;

import dev.jvision.config.ModelConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.models.hub.HubSettings;
import dev.jvision.models.hub.Pretrained;
import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a fresh model, ready to train on its device: what a {@link Trainer} calls for each fit
 * and what {@code train.auto_batch_size} calls for its throwaway trial models. Each call returns
 * a new model that the caller owns and closes. Implementations must be callable from the
 * training thread; they need not be thread-safe.
 */
@FunctionalInterface
public interface ModelFactory {
    /** A new model on the training device. */
    ImageModel create() throws IOException;

    /**
     * The {@code model:} section's recipe for architecture {@code name}: registry model with
     * {@code numClasses} outputs, dropout and drop-path rates, {@code model.weights} or
     * {@code model.pretrained} loaded (the classifier re-initialised when class counts differ;
     * the hub settings from this process's environment, see {@link HubSettings}), moved to
     * {@code device}, channels-last and frozen backbone when configured.
     */
    static ModelFactory of(ModelConfig m, String name, int numClasses, Device device) {
        return of(m, name, numClasses, device, null);
    }

    /**
     * {@link #of(ModelConfig, String, int, Device)} with explicit hub settings for
     * {@code model.pretrained} (null: this process's environment, read when a model is built).
     */
    static ModelFactory of(ModelConfig m, String name, int numClasses, Device device, HubSettings hub) {
        Logger log = LoggerFactory.getLogger(ModelFactory.class);
        if (m.weights() != null && m.pretrained() != null) {
            throw new IllegalArgumentException("model.pretrained: '" + m.pretrained() + "' (expected: null when "
                    + "model.weights is set ('" + m.weights() + "'): one source of initial weights)");
        }
        return () -> {
            ImageModel model = Models.create(name, new ModelOptions(numClasses, m.dropRate(), m.dropPathRate()));
            try {
                if (m.weights() != null) {
                    Weights.LoadReport r = Weights.load(model, Path.of(m.weights()), true);
                    log.info("loaded {} tensors from {}{}", r.loaded(), r.file(),
                            r.droppedHead().isEmpty() ? "" : " (new classifier head: " + numClasses + " classes)");
                } else if (m.pretrained() != null) {
                    Pretrained.LoadReport r = Pretrained.load(model, m.pretrained(),
                            hub != null ? hub : HubSettings.fromEnvironment());
                    log.info("loaded {} tensors of {} (commit {}) from {}{}", r.weights().loaded(), m.pretrained(),
                            r.checkpoint().commit(), r.weights().file(), r.weights().droppedHead().isEmpty() ? ""
                                    : " (new classifier head: " + numClasses + " classes)");
                }
                model.to(device);
                if (m.channelsLast()) {
                    model.toChannelsLast();
                }
                if (m.freezeBackbone()) {
                    model.freezeBackbone(true);
                    log.info("model.freeze_backbone: only '{}' is trained", model.classifierName());
                }
                return model;
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        };
    }
}
