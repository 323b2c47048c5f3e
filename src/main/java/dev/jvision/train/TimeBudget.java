package dev.jvision.train;

import dev.jvision.optim.LrSchedule;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The wall-clock budget of one fit ({@code train.max_time}): training time already spent (by a
 * run this one resumes) plus the time since {@link #start()} on an injectable nanosecond clock.
 * Without a budget it never reads the clock and is never spent. Not thread-safe.
 */
final class TimeBudget {
    private final long budgetNanos;
    private final LongSupplier clock;
    private long before;
    private long startedAt;

    /**
     * @param budget the budget, or null for none
     * @param clock  nanoseconds of a monotonic clock ({@code System::nanoTime} outside tests)
     */
    TimeBudget(Duration budget, LongSupplier clock) {
        this.budgetNanos = budget == null ? 0 : budget.toNanos();
        this.clock = clock;
    }

    /** True when a budget is set. */
    boolean limited() {
        return budgetNanos > 0;
    }

    /** Starts counting on top of {@code spentNanos} already spent (0 for a fresh fit). */
    void start(long spentNanos) {
        before = spentNanos;
        startedAt = limited() ? clock.getAsLong() : 0;
    }

    /** Training nanoseconds spent, resumed runs included; 0 without a budget. */
    long spentNanos() {
        return limited() ? before + Math.max(0, clock.getAsLong() - startedAt) : 0;
    }

    /** True when {@code spent} (from {@link #spentNanos()}) uses up the budget; never without one. */
    boolean spent(long spent) {
        return limited() && spent >= budgetNanos;
    }

    /** The schedule step for optimiser step {@code step} at {@code spent} nanoseconds (see {@link LrSchedule#clockedStep}). */
    long scheduleStep(long step, long totalSteps, long spent) {
        return limited() ? LrSchedule.clockedStep(step, totalSteps, (double) spent / budgetNanos) : step;
    }

    /** The budget. */
    Duration budget() {
        return Duration.ofNanos(budgetNanos);
    }
}
