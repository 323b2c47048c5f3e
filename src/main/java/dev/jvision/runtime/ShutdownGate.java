package dev.jvision.runtime;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps a JVM that is being terminated (SIGTERM, Ctrl-C, {@code System.exit} from another
 * thread) from exiting while a training thread is inside libtorch. The JVM's exit runs the C++
 * static destructors of libtorch and oneDNN; a thread still in a kernel then touches freed
 * memory and the process dies with SIGSEGV and an {@code hs_err} file instead of the signal's
 * exit code (seen once: a kill during a oneDNN convolution's backward pass).
 *
 * <p>A long-running loop {@link #enter}s the gate and calls {@link #safePoint()} between steps,
 * where it holds no native work. On shutdown, a hook waits (at most {@link #MAX_WAIT_SECONDS}) for
 * every entered thread to reach a safe point; each one stops there for good (it parks, so the JVM
 * can exit around it). A step is never cut short: the last checkpoint written stays the one a
 * {@code --resume} continues from. Thread-safe.
 */
public final class ShutdownGate {
    /** The longest the shutdown hook waits for a step to finish. */
    public static final int MAX_WAIT_SECONDS = 60;

    private static final Set<Thread> ACTIVE = ConcurrentHashMap.newKeySet();
    private static final Set<Thread> STOPPED = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();
    private static volatile boolean shuttingDown;

    private ShutdownGate() {}

    /**
     * Registers the calling thread as one the JVM's exit should wait for at its next safe point;
     * close the returned handle when the loop ends (try-with-resources).
     */
    public static Entered enter() {
        if (HOOKED.compareAndSet(false, true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(ShutdownGate::drain, "jvision-shutdown-gate"));
            } catch (IllegalStateException e) {
                shuttingDown = true; // already shutting down: safePoint stops at once
            }
        }
        Thread t = Thread.currentThread();
        ACTIVE.add(t);
        return () -> ACTIVE.remove(t);
    }

    /** The handle of {@link #enter()}. */
    @FunctionalInterface
    public interface Entered extends AutoCloseable {
        @Override
        void close();
    }

    /** True once the JVM has begun to shut down. */
    public static boolean shuttingDown() {
        return shuttingDown;
    }

    /**
     * Call between steps, holding no native work in progress: returns at once unless the JVM is
     * shutting down, in which case the calling thread never returns (it parks until the process
     * ends).
     */
    public static void safePoint() {
        if (!shuttingDown) return;
        Thread t = Thread.currentThread();
        STOPPED.add(t);
        while (true) {
            LockSupport.park(ShutdownGate.class);
        }
    }

    private static void drain() {
        shuttingDown = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (Thread t : ACTIVE) {
                if (t.isAlive() && !STOPPED.contains(t)) {
                    all = false;
                    break;
                }
            }
            if (all) return;
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
