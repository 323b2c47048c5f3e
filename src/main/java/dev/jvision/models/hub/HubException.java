package dev.jvision.models.hub;

import java.io.IOException;

/**
 * A hub request that failed in a way the user must act on: an HTTP error status (401/403 without
 * access, 404 for an unknown repository, revision or file), a response without the headers a hub
 * sends, or a download whose bytes do not match the checksum the hub announced. The message
 * names the repository, revision, file and what to do. Not thread-safe to mutate (it is not
 * mutated after construction).
 */
public class HubException extends IOException {
    private static final long serialVersionUID = 1L;
    /** {@link #status()} of a file that is not cached while {@code HF_HUB_OFFLINE} forbids downloading it. */
    public static final int OFFLINE = -1;
    private final int status;

    /** @param status the HTTP status, {@link #OFFLINE}, or 0 for any other failure */
    public HubException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status, {@link #OFFLINE}, or 0 for another failure (e.g. a wrong checksum). */
    public int status() {
        return status;
    }

    /**
     * Whether the failure is the user's to fix (bad id, revision, file or token; a file missing
     * from the cache in offline mode), not the network's or the hub's.
     */
    public boolean isClientError() {
        return status == OFFLINE || (status >= 400 && status < 500 && status != 429);
    }
}
