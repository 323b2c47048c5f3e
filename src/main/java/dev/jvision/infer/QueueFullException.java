package dev.jvision.infer;

import java.util.concurrent.RejectedExecutionException;

/**
 * Thrown when a {@link Classifier}'s request queue has no room for the images submitted: the
 * request was not queued (nothing is dropped silently), and the caller may retry later, shed
 * load, or build the classifier with a larger {@code maxQueueSize}. Immutable.
 */
public final class QueueFullException extends RejectedExecutionException {
    private static final long serialVersionUID = 1L;

    private final int capacity;
    private final int requested;

    QueueFullException(String name, int capacity, int waiting, int requested) {
        super(name + ": queue full: " + waiting + " of " + capacity + " images waiting, " + requested
                + " more submitted (expected: at most max_queue_size " + capacity + " waiting; retry later or raise "
                + "maxQueueSize)");
        this.capacity = capacity;
        this.requested = requested;
    }

    /** The queue's capacity in images ({@code maxQueueSize}). */
    public int capacity() {
        return capacity;
    }

    /** How many images the rejected call submitted. */
    public int requested() {
        return requested;
    }
}
