package dev.jvision.infer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Groups items submitted by many threads into batches run by one worker thread: the engine
 * behind {@link Classifier}.
 *
 * <p>The worker creates the {@link Engine} itself (so it alone owns the engine's native memory),
 * then loops: it takes the oldest waiting item, adds every item already waiting (up to
 * {@code maxBatch}), and, while the batch is smaller than both {@code maxBatch} and the largest
 * batch of the last {@value #PEAK_WINDOW} batches, waits for more until {@code maxDelay} after
 * the oldest item was submitted. Waiting is thus bounded by {@code maxDelay} and skipped when
 * recent traffic shows that no other caller is likely to join (a lone caller pays no delay), while
 * items that queue up behind a running batch always join the next one.
 *
 * <p>Back-pressure: at most {@code maxQueue} items wait (submitted, not yet in a running batch);
 * a submission that does not fit throws {@link QueueFullException} and queues nothing. A list is
 * queued all or nothing. Shutdown: {@link #close()} refuses new items
 * ({@link IllegalStateException}), lets the worker run every item already queued, closes the
 * engine on the worker and waits for it. When the engine fails on a batch, that batch's futures
 * fail with the engine's exception and the worker goes on; if the worker itself dies, every
 * waiting item fails. No future is left pending.
 *
 * <p>Withdrawal: a caller that completes its future first ({@code cancel}, {@code orTimeout},
 * {@code completeExceptionally}; a server does so when its client disconnects) takes the item out
 * of the queue and gives its room back at once; an item already taken into a batch that has not
 * started is skipped. An item whose batch is already running still runs (a forward pass cannot be
 * cut short) and its result is dropped.
 *
 * <p>Thread-safe: {@link #submit}, {@link #submitAll}, {@link #stats} and {@link #close} may be
 * called from any number of threads.
 *
 * @param <I> what callers submit (prepared on the caller's thread)
 * @param <O> what the engine returns per item
 */
final class DynamicBatcher<I, O> implements AutoCloseable {
    /** Batches whose sizes set how long the worker waits for more items. */
    static final int PEAK_WINDOW = 16;
    private static final long IDLE_POLL_MS = 20;

    /** Runs batches on the worker thread; created and closed there. */
    interface Engine<I, O> extends AutoCloseable {
        /** One output per input, in order. */
        List<O> run(List<I> batch) throws Exception;

        @Override
        void close();
    }

    /** Counters since creation: images run, batches run, and the largest batch. */
    record Stats(long images, long batches, int largestBatch) {
        /** Mean images per batch (0 before the first batch). */
        double meanBatch() {
            return batches == 0 ? 0 : (double) images / batches;
        }
    }

    private record Item<I, O>(I input, long submitted, CompletableFuture<O> result) {}

    private final String name;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final int maxQueue;
    private final LinkedBlockingQueue<Item<I, O>> queue = new LinkedBlockingQueue<>();
    private final Semaphore room;
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private final Thread worker;
    private final int[] recent = new int[PEAK_WINDOW];
    private int recentAt;
    private final AtomicLong images = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong withdrawn = new AtomicLong();
    private volatile int largest;

    /**
     * Starts the worker, which creates the engine with {@code engineFactory}; returns once the
     * engine is ready.
     *
     * @throws Exception what {@code engineFactory} threw (the worker has stopped then)
     */
    DynamicBatcher(String name, Callable<? extends Engine<I, O>> engineFactory, int maxBatch, Duration maxDelay,
                   int maxQueue) throws Exception {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max_batch_size: " + maxBatch + " (expected: >= 1)");
        }
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("max_queue_delay: " + maxDelay + " (expected: >= 0)");
        }
        if (maxQueue < 1) {
            throw new IllegalArgumentException("max_queue_size: " + maxQueue + " (expected: >= 1)");
        }
        this.name = name;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
        this.maxQueue = maxQueue;
        this.room = new Semaphore(maxQueue);
        java.util.Arrays.fill(recent, maxBatch);
        CompletableFuture<Engine<I, O>> ready = new CompletableFuture<>();
        worker = new Thread(() -> work(engineFactory, ready), name + "-worker");
        worker.setDaemon(true);
        worker.start();
        try {
            ready.get();
        } catch (ExecutionException e) {
            worker.join();
            closed = true;
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** Queues one item. */
    CompletableFuture<O> submit(I input) {
        return submitAll(List.of(input)).get(0);
    }

    /**
     * Queues {@code inputs} (all or none).
     *
     * @throws QueueFullException when they do not fit in the queue now
     * @throws IllegalArgumentException when there are more than the queue can ever hold
     * @throws IllegalStateException after {@link #close()}
     */
    List<CompletableFuture<O>> submitAll(List<I> inputs) {
        int n = inputs.size();
        if (n > maxQueue) {
            throw new IllegalArgumentException(name + ": " + n + " images in one call (expected: at most max_queue_size "
                    + maxQueue + ")");
        }
        List<CompletableFuture<O>> out = new ArrayList<>(n);
        gate.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException(name + " is closed");
            }
            if (!room.tryAcquire(n)) {
                throw new QueueFullException(name, maxQueue, maxQueue - room.availablePermits(), n);
            }
            long now = System.nanoTime();
            for (I in : inputs) {
                CompletableFuture<O> f = new CompletableFuture<>();
                Item<I, O> item = new Item<>(in, now, f);
                queue.add(item);
                // cancelled (or failed by the caller, e.g. orTimeout) before a batch took it: give its room back
                f.whenComplete((r, t) -> {
                    if (t != null && queue.remove(item)) {
                        room.release();
                        withdrawn.incrementAndGet();
                    }
                });
                out.add(f);
            }
        } finally {
            gate.readLock().unlock();
        }
        return out;
    }

    Stats stats() {
        return new Stats(images.get(), batches.get(), largest);
    }

    /** Items waiting now: submitted, not withdrawn, not yet taken into a batch. */
    int waiting() {
        return maxQueue - room.availablePermits();
    }

    /** Items whose futures were completed by their callers (cancelled, timed out) and never ran. */
    long withdrawn() {
        return withdrawn.get();
    }

    boolean isClosed() {
        return closed;
    }

    /** Refuses new items, runs the queued ones, closes the engine and waits for the worker. Idempotent. */
    @Override
    public void close() {
        gate.writeLock().lock();
        try {
            closed = true;
        } finally {
            gate.writeLock().unlock();
        }
        if (Thread.currentThread() == worker) {
            return;
        }
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void work(Callable<? extends Engine<I, O>> factory, CompletableFuture<Engine<I, O>> ready) {
        Engine<I, O> engine;
        try {
            engine = factory.call();
        } catch (Throwable t) {
            ready.completeExceptionally(t);
            return;
        }
        ready.complete(engine);
        Throwable died = null;
        try (engine) {
            List<Item<I, O>> batch = new ArrayList<>(maxBatch);
            while (true) {
                Item<I, O> first = queue.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closed && queue.isEmpty()) {
                        break;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                int target = Math.min(maxBatch, peak());
                long deadline = first.submitted() + maxDelayNanos;
                while (batch.size() < target && !closed) {
                    long wait = deadline - System.nanoTime();
                    Item<I, O> next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : null;
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                    queue.drainTo(batch, maxBatch - batch.size());
                }
                room.release(batch.size());
                run(engine, batch);
                batch.clear();
            }
        } catch (Throwable t) {
            died = t;
        } finally {
            gate.writeLock().lock();
            try {
                closed = true;
            } finally {
                gate.writeLock().unlock();
            }
            IllegalStateException stopped = new IllegalStateException(name + " stopped" + (died == null ? ""
                    : " after an error: " + died), died);
            for (Item<I, O> it; (it = queue.poll()) != null; ) {
                it.result().completeExceptionally(stopped);
            }
        }
    }

    private void run(Engine<I, O> engine, List<Item<I, O>> taken) {
        List<Item<I, O>> batch = new ArrayList<>(taken.size());
        for (Item<I, O> it : taken) {
            if (it.result().isDone()) {
                withdrawn.incrementAndGet(); // its caller gave up after the worker took it: do not run it
            } else {
                batch.add(it);
            }
        }
        if (batch.isEmpty()) {
            return;
        }
        List<I> inputs = new ArrayList<>(batch.size());
        for (Item<I, O> it : batch) {
            inputs.add(it.input());
        }
        recent[recentAt] = batch.size();
        recentAt = (recentAt + 1) % recent.length;
        List<O> outputs;
        try {
            outputs = engine.run(inputs);
            if (outputs.size() != batch.size()) {
                throw new IllegalStateException(name + ": " + outputs.size() + " results for a batch of " + batch.size());
            }
        } catch (Throwable t) {
            for (Item<I, O> it : batch) {
                it.result().completeExceptionally(t);
            }
            if (t instanceof Error e && !(t instanceof OutOfMemoryError)) {
                throw e;
            }
            return;
        }
        images.addAndGet(batch.size());
        batches.incrementAndGet();
        largest = Math.max(largest, batch.size());
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(outputs.get(i));
        }
    }

    private int peak() {
        int p = 1;
        for (int r : recent) {
            p = Math.max(p, r);
        }
        return p;
    }
}
