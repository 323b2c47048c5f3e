package dev.jvision.optim;

/**
 * Learning rate per optimiser step: linear warmup from {@code lr / warmupSteps} to {@code lr},
 * then cosine decay to {@code minLr} at {@code totalSteps}. Immutable and thread-safe.
 */
public record WarmupCosine(double lr, double minLr, long warmupSteps, long totalSteps) implements LrSchedule {
    public WarmupCosine {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps: " + totalSteps + " (expected: >= 1)");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps: " + warmupSteps + " (expected: >= 0)");
        }
    }

    /** The learning rate for 0-based {@code step}. */
    @Override
    public double at(long step) {
        if (step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        long decay = Math.max(1, totalSteps - warmupSteps);
        double t = Math.min(1.0, (double) (step - warmupSteps) / decay);
        return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * t));
    }
}
