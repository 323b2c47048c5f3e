package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.runtime.Device;

/**
 * Predicts the largest training batch that fits a memory budget, without training: what
 * {@code train.auto_batch_size} starts from ({@link AutoBatch}) before it confirms the prediction
 * with real steps. The implementation that {@code jvision train} and the pipeline use is
 * {@code dev.jvision.memprof.MemoryPlanner.forTraining()}, which profiles two small batches and
 * extrapolates; this interface keeps {@code train} independent of {@code memprof} (which builds on
 * {@code train}). Implementations are called from the training thread and need not be thread-safe.
 */
@FunctionalInterface
public interface BatchSizePlanner {
    /**
     * Predicts for a training step of architecture {@code arch} with {@code exp}'s settings
     * ({@code data.img_size}, {@code train.amp}, optimizer, EMA, {@code model.channels_last},
     * {@code model.num_classes}) on {@code device}.
     *
     * @param budgetBytes the memory the step may use, including what the process already uses outside the
     *                    step (the CUDA context; on the CPU the process's resident set)
     * @return the prediction; its batch is 0 when not even one image fits
     * @throws dev.jvision.runtime.DeviceOutOfMemoryException when the planner's own measurement ran out of memory
     * @throws UnsupportedOperationException when the planner cannot measure on this device or platform
     */
    Prediction predict(Experiment exp, String arch, Device device, long budgetBytes);

    /**
     * A prediction.
     *
     * @param batch  the largest batch predicted to fit (0: none)
     * @param detail one line on what it is based on, for the log and {@code auto_batch.json}
     */
    record Prediction(int batch, String detail) {
        public Prediction {
            if (batch < 0) throw new IllegalArgumentException("predicted batch: " + batch + " (expected: >= 0)");
        }
    }
}
