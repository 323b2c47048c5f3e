package dev.jvision.optim;

/**
 * Learning rate per optimiser step. Schedules that react to validation ({@link Plateau}) are
 * told each epoch's monitored value through {@link #observe}; their state round-trips through
 * {@link #state()} / {@link #restore(double[])} for exact resume. Not thread-safe.
 */
public interface LrSchedule {
    /** The learning rate for 0-based optimiser step {@code step}. */
    double at(long step);

    /** Called after each validation with the monitored value; stateless schedules ignore it. */
    default void observe(double value) {}

    /** Mutable state for checkpoints (empty for pure functions of the step). */
    default double[] state() {
        return new double[0];
    }

    /** Restores {@link #state()}. */
    default void restore(double[] state) {}
}
