package dev.jvision.train.task;

import dev.jvision.data.Batch;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * What a model learns: the one place that knows what a target is. A task says how the targets
 * of a batch are read from the {@link Dataset} and collated into a tensor, which batch-level
 * augmentations are valid and how they transform the targets, the loss, how the model's output
 * is decoded into one prediction row per image, the validation metrics and the monitor that picks
 * the best epoch. The {@code Trainer}'s loop, resume, EMA, AMP, data parallelism, callbacks,
 * cross-validation and the tune objective know no task.
 *
 * <p>{@link ClassificationTask} is the built-in one. A task whose targets are not one class per
 * image (multi-label, boxes) reads them from its own {@link Dataset} type by
 * {@link Batch#indices()} in {@link Session#train}; packed per-image lists (detection: one row per
 * box with the image's index in the batch) are a single tensor of targets, and a model with
 * several outputs returns them all from {@link Session#forward}.
 *
 * <p>A task object is immutable configuration and thread-safe; {@link #open} creates the mutable,
 * native-memory-owning state of one fit, used by the training thread only.
 */
public interface Task {
    /** A short name for logs, e.g. {@code classification}. */
    String name();

    /** The validation metric that picks the best epoch, top-k checkpoints, early stopping and the plateau schedule. */
    Monitor monitor();

    /**
     * Checks a fit's data against the model before training starts.
     *
     * @throws IllegalArgumentException naming the item and what was expected
     */
    void check(ImageModel model, Dataset train, Dataset validation);

    /**
     * The per-fit state for {@code model} on {@code device} (augmentation pipelines, loss
     * constants); the caller owns it and closes it when the fit ends.
     */
    Session open(ImageModel model, Device device);

    /**
     * The monitored metric: its name (a key of {@link Session#score}'s map) and direction.
     *
     * @param metric   e.g. {@code val_f1}
     * @param minimise true when lower is better (losses)
     */
    record Monitor(String metric, boolean minimise) {
        public Monitor {
            if (metric == null || metric.isBlank()) {
                throw new IllegalArgumentException("monitor metric: '" + metric + "' (expected: a metric name)");
            }
        }
    }

    /**
     * One training batch ready for the step, in the caller's native scope.
     *
     * @param input   the model's input (augmented, normalised images on the device)
     * @param targets the collated targets on the device, in the task's layout
     */
    record Example(Tensor input, Tensor targets) {}

    /**
     * The state of one fit. Tensors returned live in the caller's native scope. Not thread-safe;
     * {@link #close()} is idempotent.
     */
    interface Session extends Objective, AutoCloseable {
        /**
         * A training batch: {@code images} (uint8 NHWC on the device) augmented, with the
         * batch-level augmentations this task allows applied to images and targets alike, and the
         * targets of {@code batch}'s items (read from {@code data}, the fit's training set) collated.
         *
         * @param epoch  0-based epoch (augmentation ramps)
         * @param epochs epochs of the fit
         * @param seed   the batch's seed: the same seed gives the same output
         */
        Example train(Tensor images, Batch batch, Dataset data, int epoch, int epochs, long seed);

        /** The model's validation input for {@code images} (uint8 NHWC on the device). */
        Tensor evalInput(Tensor images);

        /** One prediction row per image of the batch, decoded from the model's validation {@code outputs}. */
        float[][] predict(List<Tensor> outputs, int images);

        /**
         * The validation metrics of {@code predictions} (one row per item of {@code validation},
         * in order), by name in a stable order; must contain {@link Task#monitor()}'s metric.
         */
        Map<String, Double> score(float[][] predictions, Dataset validation);

        @Override
        void close();
    }
}
