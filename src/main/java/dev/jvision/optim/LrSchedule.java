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

    /**
     * The step to read a schedule at when it also follows a wall-clock budget: progress is
     * {@code max(step / totalSteps, timeFraction)}, so the step is
     * {@code max(step, floor(min(timeFraction, 1) * totalSteps))}. A schedule read there reaches
     * its end ({@link WarmupCosine}: {@code minLr}) when the budget is spent, and its warm-up (a
     * fraction of {@code totalSteps}) ends after its steps or the same fraction of the budget,
     * whichever comes first.
     *
     * @param step         0-based optimiser step
     * @param totalSteps   the steps the schedule was built for, &gt;= 1
     * @param timeFraction elapsed time / budget, &gt;= 0
     */
    static long clockedStep(long step, long totalSteps, double timeFraction) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps: " + totalSteps + " (expected: >= 1)");
        }
        if (!(timeFraction >= 0)) {
            throw new IllegalArgumentException("timeFraction: " + timeFraction + " (expected: >= 0)");
        }
        return Math.max(step, (long) Math.floor(Math.min(1.0, timeFraction) * totalSteps));
    }
}
