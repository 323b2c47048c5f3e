package dev.jvision.runtime.dist;

/**
 * A collective operation failed: a rank died or stopped answering within the timeout. The message
 * names this rank, the operation and the lost rank(s) when they could be told apart; the job
 * should exit non-zero and can be resumed from its last checkpoint.
 */
public final class DistributedException extends RuntimeException {
    public DistributedException(String message, Throwable cause) {
        super(message, cause);
    }
}
