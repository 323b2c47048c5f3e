package dev.jvision.tune;

import java.util.List;

/**
 * Decides from a trial's intermediate values (e.g. the validation metric per epoch) whether to
 * stop it early. Implementations are immutable and thread-safe.
 */
public interface Pruner {

    /**
     * Whether {@code trial} (whose last reported step is the current one) should stop, given the
     * study's other trials.
     */
    boolean prune(Direction direction, List<FrozenTrial> history, FrozenTrial trial);

    /** Never prunes. */
    Pruner NONE = (direction, history, trial) -> false;
}
