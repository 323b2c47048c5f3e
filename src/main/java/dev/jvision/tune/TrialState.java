package dev.jvision.tune;

/** Life-cycle of a trial in a study. */
public enum TrialState {
    /** Queued with fixed parameters (enqueued, or a re-queued copy of a trial whose worker died). */
    WAITING,
    /** Claimed by a worker that heartbeats it. */
    RUNNING,
    /** The objective returned a value. */
    COMPLETE,
    /** A pruner stopped it early; its value is the last reported intermediate value, if any. */
    PRUNED,
    /** The objective threw, returned NaN, or its worker stopped heartbeating. */
    FAIL;

    /** COMPLETE, PRUNED or FAIL. */
    public boolean isFinished() {
        return this == COMPLETE || this == PRUNED || this == FAIL;
    }
}
