package dev.jvision.optim;

/**
 * Linear warmup, then {@code lr * gamma^k} after every {@code stepSize} steps past the warmup,
 * floored at {@code minLr}. Immutable and thread-safe.
 */
public record StepDecay(double lr, double minLr, long warmupSteps, long stepSize, double gamma) implements LrSchedule {
    public StepDecay {
        if (stepSize < 1) throw new IllegalArgumentException("stepSize: " + stepSize + " (expected: >= 1)");
        if (warmupSteps < 0) throw new IllegalArgumentException("warmupSteps: " + warmupSteps + " (expected: >= 0)");
    }

    @Override
    public double at(long step) {
        if (step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        return Math.max(minLr, lr * Math.pow(gamma, (step - warmupSteps) / stepSize));
    }
}
