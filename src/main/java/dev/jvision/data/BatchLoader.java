package dev.jvision.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Iterates the batches of one epoch over a {@link Dataset}, filled on a background prefetch
 * thread (at most {@code prefetch} ready batches queued); every image is brought to
 * {@code size x size} RGB.
 *
 * <p>Epochs: iteration covers epoch 0 first; when it is exhausted {@link #hasNext()} is false
 * until {@link #startEpoch(int)} (or {@link #nextEpoch()}) begins another. With
 * {@code shuffle}, epoch {@code e} visits samples in the order given by
 * {@code Collections.shuffle}-style Fisher-Yates with {@code new Random(seed + e)}; without it,
 * in list order. Every sample appears exactly once per epoch (the last, short batch is dropped
 * when {@code dropLast}).
 *
 * <p>An exception thrown while filling a batch is rethrown to the consumer from
 * {@link #hasNext()}/{@link #next()} (an {@link IOException} wrapped in
 * {@link UncheckedIOException}; runtime exceptions and errors as they are) and ends the epoch.
 * {@link #close()} stops the thread.
 *
 * <p>Not thread-safe: one consumer thread. The dataset is read from the prefetch thread only.
 * Each {@link Batch} is new and owned by the consumer.
 */
public final class BatchLoader implements AutoCloseable, Iterator<Batch> {
    private static final Object END = new Object();

    private record Failure(Throwable error) {}

    private final Dataset data;
    private final int size;
    private final int batchSize;
    private final boolean shuffle;
    private int rank;
    private int worldSize = 1;
    private final long seed;
    private final boolean dropLast;
    private final int prefetch;

    private int epoch = 0;
    private Producer producer;
    private Object peeked;
    private boolean finished;
    private boolean closed;

    /**
     * @param cache     source of pixels (decodes on demand what is not preloaded)
     * @param samples   samples to iterate (copied)
     * @param batchSize images per batch, {@code >= 1}
     * @param shuffle   shuffle each epoch with {@code seed + epoch}
     * @param seed      shuffle seed
     * @param dropLast  drop the last batch when it is short
     * @param prefetch  queue depth of ready batches, {@code >= 1}
     */
    public BatchLoader(ImageCache cache, List<Sample> samples, int batchSize, boolean shuffle, long seed,
                       boolean dropLast, int prefetch) {
        this(Dataset.of(samples, cache), cache.size(), batchSize, shuffle, seed, dropLast, prefetch);
    }

    /**
     * @param data      the items (read on the prefetch thread)
     * @param size      side length every image is resized to
     * @param batchSize images per batch, {@code >= 1}
     * @param shuffle   shuffle each epoch with {@code seed + epoch}
     * @param seed      shuffle seed
     * @param dropLast  drop the last batch when it is short
     * @param prefetch  queue depth of ready batches, {@code >= 1}
     */
    public BatchLoader(Dataset data, int size, int batchSize, boolean shuffle, long seed, boolean dropLast,
                       int prefetch) {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (prefetch < 1) throw new IllegalArgumentException("prefetch must be >= 1, got " + prefetch);
        if (size < 1) throw new IllegalArgumentException("size must be >= 1, got " + size);
        this.data = java.util.Objects.requireNonNull(data, "data");
        this.size = size;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
    }

    /**
     * Makes this loader read rank {@code rank}'s {@link dev.jvision.runtime.dist.DistributedSampler}
     * shard of every epoch's permutation (the permutation itself does not depend on
     * {@code worldSize}). Call before the first epoch.
     */
    public BatchLoader shard(int rank, int worldSize) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank: " + rank + " of " + worldSize + " (expected: 0.." + (worldSize - 1) + ")");
        }
        this.rank = rank;
        this.worldSize = worldSize;
        return this;
    }

    /** Batches per epoch (of this rank's shard). */
    public int numBatches() {
        int n = (data.size() + worldSize - 1) / worldSize;
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The epoch being iterated (0 until {@link #startEpoch} is called). */
    public int epoch() {
        return epoch;
    }

    /** Abandons the current epoch (if any) and starts iterating epoch {@code e}. */
    public void startEpoch(int e) {
        if (closed) throw new IllegalStateException("BatchLoader is closed");
        stopProducer();
        epoch = e;
        finished = false;
        peeked = null;
        producer = new Producer(order(e));
        producer.thread.start();
    }

    /** Starts the epoch after the current one: {@code startEpoch(epoch() + 1)}. */
    public void nextEpoch() {
        startEpoch(epoch + 1);
    }

    /** Sample indices in the order of epoch {@code e}. */
    int[] order(int e) {
        int n = data.size();
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        if (shuffle) {
            Random r = new Random(seed + e);
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return worldSize == 1 ? idx : dev.jvision.runtime.dist.DistributedSampler.shard(idx, rank, worldSize);
    }

    @Override
    public boolean hasNext() {
        if (closed || finished) return false;
        if (peeked == null) {
            if (producer == null) startEpoch(epoch);
            try {
                peeked = producer.queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            }
        }
        if (peeked == END) {
            finished = true;
            peeked = null;
            stopProducer();
            return false;
        }
        if (peeked instanceof Failure f) {
            finished = true;
            peeked = null;
            stopProducer();
            Throwable t = f.error();
            if (t instanceof IOException io) throw new UncheckedIOException(io.getMessage(), io);
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error er) throw er;
            throw new IllegalStateException(t);
        }
        return true;
    }

    @Override
    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException("epoch " + epoch + " is exhausted");
        Batch b = (Batch) peeked;
        peeked = null;
        return b;
    }

    /** Stops the prefetch thread; idempotent. Further {@link #hasNext()} returns false. */
    @Override
    public void close() {
        closed = true;
        peeked = null;
        stopProducer();
    }

    /** The current prefetch thread, or null (for tests). */
    Thread producerThread() {
        return producer == null ? null : producer.thread;
    }

    private void stopProducer() {
        Producer p = producer;
        producer = null;
        if (p == null) return;
        p.cancelled = true;
        p.thread.interrupt();
        p.queue.clear();
        try {
            p.thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Batch build(int[] order, int from, int to) throws IOException {
        int hw = size;
        int per = hw * hw * 3;
        int n = to - from;
        byte[] px = new byte[n * per];
        int[] labels = new int[n];
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = order[from + i];
            Dataset.Item item = data.get(at);
            String id = data.id(at);
            byte[] img = item.pixels(hw, id);
            if (img.length != per) throw new IllegalStateException("item " + id + ": " + img.length + " bytes, expected " + per);
            System.arraycopy(img, 0, px, i * per, per);
            labels[i] = item.label();
            ids.add(id);
        }
        return new Batch(px, labels, List.copyOf(ids), n, hw, hw);
    }

    private final class Producer implements Runnable {
        final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(prefetch);
        final Thread thread;
        final int[] order;
        volatile boolean cancelled;

        Producer(int[] order) {
            this.order = order;
            this.thread = new Thread(this, "jvision-batch-loader");
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                int nb = numBatches();
                for (int b = 0; b < nb && !cancelled; b++) {
                    int from = b * batchSize;
                    int to = Math.min(order.length, from + batchSize);
                    if (!offer(build(order, from, to))) return;
                }
                offer(END);
            } catch (Throwable t) {
                if (!cancelled) offer(new Failure(t));
            }
        }

        /** Puts unless cancelled; false when cancelled. */
        private boolean offer(Object o) {
            try {
                while (!cancelled) {
                    if (queue.offer(o, 100, TimeUnit.MILLISECONDS)) return true;
                }
            } catch (InterruptedException e) {
                // cancelled by stopProducer
            }
            return false;
        }
    }
}
