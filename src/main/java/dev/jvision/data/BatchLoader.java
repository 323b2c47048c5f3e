package dev.jvision.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Iterates the batches of one epoch over a {@link Dataset}; batches are filled by a pool of
 * {@code workers} decode/resize threads, each building whole batches, and handed out strictly in
 * order; every image is brought to {@code size x size} RGB.
 *
 * <p>Memory: at most {@code max(prefetch, workers) + 1} batches are being built or wait ready,
 * plus the one the consumer holds, so the loader's resident memory is about
 * {@code (max(prefetch, workers) + 2) * batchSize * size * size * 3} bytes plus each worker's
 * decode scratch (one source image), whatever the dataset size.
 *
 * <p>Determinism: the batch contents depend only on the dataset, the seed and the epoch, never
 * on the number of workers or on scheduling (a batch is a fixed slice of the epoch's order; the
 * loader itself draws no random numbers per image, augmentation happens later on the device with
 * a seed per (epoch, batch)). Epochs: iteration covers epoch 0 first; when it is exhausted
 * {@link #hasNext()} is false until {@link #startEpoch(int)} (or {@link #nextEpoch()}) begins
 * another. With {@code shuffle}, epoch {@code e} visits samples in the order given by
 * {@code Collections.shuffle}-style Fisher-Yates with {@code new Random(seed + e)}; without it,
 * in list order. Every sample appears exactly once per epoch (the last, short batch is dropped
 * when {@code dropLast}).
 *
 * <p>An exception thrown while filling a batch is rethrown to the consumer from
 * {@link #hasNext()}/{@link #next()} (an {@link IOException} wrapped in
 * {@link UncheckedIOException}; runtime exceptions and errors as they are) and ends the epoch.
 * {@link #close()} stops the workers.
 *
 * <p>Not thread-safe: one consumer thread. The dataset is read from the worker threads:
 * concurrently when {@link Dataset#threadSafe()}, else one {@code get} at a time (decoding and
 * resizing of the returned items still run in parallel). Each {@link Batch} is new and owned by
 * the consumer.
 */
public final class BatchLoader implements AutoCloseable, Iterator<Batch> {
    private static volatile int defaultWorkers = 0;

    private final Dataset data;
    private final int size;
    private final int batchSize;
    private final boolean shuffle;
    private int rank;
    private int worldSize = 1;
    private final long seed;
    private final boolean dropLast;
    private final int prefetch;
    private final int workers;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    private ExecutorService pool;
    private int epoch = 0;
    private Run run;
    private Batch peeked;
    private boolean finished;
    private boolean closed;

    /**
     * @param cache     source of pixels (decodes on demand what is not preloaded)
     * @param samples   samples to iterate (copied)
     * @param batchSize images per batch, {@code >= 1}
     * @param shuffle   shuffle each epoch with {@code seed + epoch}
     * @param seed      shuffle seed
     * @param dropLast  drop the last batch when it is short
     * @param prefetch  batches built ahead, {@code >= 1}
     */
    public BatchLoader(ImageCache cache, List<Sample> samples, int batchSize, boolean shuffle, long seed,
                       boolean dropLast, int prefetch) {
        this(Dataset.of(samples, cache), cache.size(), batchSize, shuffle, seed, dropLast, prefetch);
    }

    /** As {@link #BatchLoader(Dataset, int, int, boolean, long, boolean, int, int)} with {@link #defaultWorkers()}. */
    public BatchLoader(Dataset data, int size, int batchSize, boolean shuffle, long seed, boolean dropLast,
                       int prefetch) {
        this(data, size, batchSize, shuffle, seed, dropLast, prefetch, defaultWorkers());
    }

    /**
     * @param data      the items (read on the worker threads)
     * @param size      side length every image is resized to
     * @param batchSize images per batch, {@code >= 1}
     * @param shuffle   shuffle each epoch with {@code seed + epoch}
     * @param seed      shuffle seed
     * @param dropLast  drop the last batch when it is short
     * @param prefetch  batches built ahead, {@code >= 1}
     * @param workers   decode/resize threads, {@code >= 1}
     */
    public BatchLoader(Dataset data, int size, int batchSize, boolean shuffle, long seed, boolean dropLast,
                       int prefetch, int workers) {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (prefetch < 1) throw new IllegalArgumentException("prefetch must be >= 1, got " + prefetch);
        if (size < 1) throw new IllegalArgumentException("size must be >= 1, got " + size);
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        this.data = java.util.Objects.requireNonNull(data, "data");
        this.size = size;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
        this.workers = workers;
    }

    /**
     * The worker count of loaders created without one: the value set by
     * {@link #setDefaultWorkers(int)} (the {@code data.workers} of the running experiment), else
     * {@link #autoWorkers()}.
     */
    public static int defaultWorkers() {
        int w = defaultWorkers;
        return w > 0 ? w : autoWorkers();
    }

    /** Sets the process-wide default worker count; {@code 0} means {@link #autoWorkers()}. */
    public static void setDefaultWorkers(int workers) {
        if (workers < 0) throw new IllegalArgumentException("data.workers: " + workers + " (expected: >= 0, 0 = auto)");
        defaultWorkers = workers;
    }

    /**
     * Workers chosen from the core count: {@code max(1, min(8, cores - 1))}, leaving one core to
     * the training step (on a 2-core machine: 1).
     */
    public static int autoWorkers() {
        return Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors() - 1));
    }

    /** Decode/resize threads of this loader. */
    public int workers() {
        return workers;
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
        stopRun();
        epoch = e;
        finished = false;
        peeked = null;
        if (pool == null) {
            AtomicInteger n = new AtomicInteger();
            pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "jvision-loader-" + n.getAndIncrement());
                t.setDaemon(true);
                threads.add(t);
                return t;
            });
        }
        run = new Run(order(e));
        run.fill();
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
            if (run == null) startEpoch(epoch);
            Future<Batch> f = run.take();
            if (f == null) {
                finished = true;
                stopRun();
                return false;
            }
            try {
                peeked = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            } catch (ExecutionException | CancellationException e) {
                finished = true;
                stopRun();
                Throwable t = e instanceof ExecutionException ? e.getCause() : e;
                if (t instanceof IOException io) throw new UncheckedIOException(io.getMessage(), io);
                if (t instanceof RuntimeException re) throw re;
                if (t instanceof Error er) throw er;
                throw new IllegalStateException(t);
            }
        }
        return true;
    }

    @Override
    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException("epoch " + epoch + " is exhausted");
        Batch b = peeked;
        peeked = null;
        return b;
    }

    /** Stops the workers; idempotent. Further {@link #hasNext()} returns false. */
    @Override
    public void close() {
        closed = true;
        peeked = null;
        stopRun();
        if (pool != null) {
            pool.shutdown(); // not shutdownNow: see Run.cancel
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The worker threads started so far (for tests). */
    List<Thread> workerThreads() {
        return List.copyOf(threads);
    }

    private void stopRun() {
        Run r = run;
        run = null;
        if (r != null) r.cancel();
    }

    private Batch build(int[] order, int from, int to, Run owner) throws IOException {
        int hw = size;
        int per = hw * hw * 3;
        int n = to - from;
        byte[] px = new byte[n * per];
        int[] labels = new int[n];
        List<String> ids = new ArrayList<>(n);
        SampleDataset direct = data instanceof SampleDataset sd && sd.cacheSize() == hw ? sd : null;
        boolean safe = data.threadSafe();
        for (int i = 0; i < n; i++) {
            if (owner.cancelled) throw new CancellationException("epoch abandoned");
            int at = order[from + i];
            if (direct != null) {
                direct.readInto(at, px, i * per);
                labels[i] = direct.label(at);
                ids.add(direct.id(at));
                continue;
            }
            Dataset.Item item;
            String id;
            if (safe) {
                item = data.get(at);
                id = data.id(at);
            } else {
                synchronized (data) {
                    item = data.get(at);
                    id = data.id(at);
                }
            }
            byte[] img = item.pixels(hw, id);
            if (img.length != per) throw new IllegalStateException("item " + id + ": " + img.length + " bytes, expected " + per);
            System.arraycopy(img, 0, px, i * per, per);
            labels[i] = item.label();
            ids.add(id);
        }
        return new Batch(px, labels, List.copyOf(ids), n, hw, hw, java.util.Arrays.copyOfRange(order, from, to));
    }

    /** One epoch's batches: at most {@code max(prefetch, workers)} submitted and not yet taken. */
    private final class Run {
        final int[] order;
        final int total = numBatches();
        final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
        final int depth = Math.max(prefetch, workers);
        int submitted;
        volatile boolean cancelled;

        Run(int[] order) {
            this.order = order;
        }

        void fill() {
            while (inFlight.size() < depth && submitted < total) {
                int from = submitted * batchSize;
                int to = Math.min(order.length, from + batchSize);
                inFlight.add(pool.submit(() -> build(order, from, to, this)));
                submitted++;
            }
        }

        /** The next batch's future (in order), or null at the end of the epoch. */
        Future<Batch> take() {
            Future<Batch> f = inFlight.poll();
            fill();
            return f;
        }

        void cancel() {
            cancelled = true;
            // no interrupt: a worker interrupted inside a FileChannel read would close the shared channel
            for (Future<Batch> f : inFlight) f.cancel(false);
            inFlight.clear();
        }
    }
}
