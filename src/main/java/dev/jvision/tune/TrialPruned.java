package dev.jvision.tune;

/**
 * Thrown from an objective (or a training listener inside it) to end the trial as
 * {@link TrialState#PRUNED}. {@link Study#optimize} catches it; unchecked, so it passes through
 * training loops, whose try-with-resources free native memory on the way out.
 */
public final class TrialPruned extends RuntimeException {
    public TrialPruned(String message) {
        super(message, null, false, false);
    }
}
