package dev.jvision.runtime;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/**
 * The native memory of one training or inference step: every tensor and other native object
 * created on this thread while the scope is open is released when it closes, unless it was
 * {@linkplain #keep kept}. Open one per step ({@code try (var step = Memory.step())}), never
 * around a whole loop: a scope pins everything created in it until it closes.
 *
 * <p>Belongs to the thread that opened it; scopes nest (the innermost one collects). Not
 * thread-safe; {@link #close()} is idempotent.
 */
public final class StepScope implements AutoCloseable {
    private final PointerScope scope = new PointerScope();
    private boolean closed;

    StepScope() {}

    /**
     * Keeps {@code p} alive after this scope closes: the caller now owns one reference and
     * releases it ({@code releaseReference()}, or {@code close()}) when done.
     */
    public <P extends Pointer> P keep(P p) {
        p.retainReference();
        return p;
    }

    /** Releases what the step created. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scope.close();
    }
}
