package dev.jvision.data;

import dev.jvision.track.ConsoleBar;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resized uint8 RGB images (HWC, {@code size*size*3} bytes each) read by the batch loader:
 * either held in memory (no cache folder: fast, but the memory grows with the data set, so only
 * for small data such as the quickstart's) or in an on-disk shard cache (a cache folder:
 * {@link ShardCache}; memory stays bounded whatever the data set size).
 *
 * <p>Memory mode: {@link #preload} decodes every image into a map keyed by file; {@link #get}
 * decodes and keeps what is not there. Disk mode: {@link #preload} decodes the images the cache
 * does not have yet into new shards (one pass, {@code workers} threads, bounded memory), later
 * reads copy the stored record without decoding; an image that is not in the cache is decoded
 * on every read and not kept. Records are keyed by the image file's content (SHA-256 of its
 * bytes) and by size, so the same images at another path or with new modification times (a
 * copied, moved or re-downloaded data set) reuse them, and an edited image is decoded again; a
 * stat index (path, length, mtime -> content) spares reading and hashing the files a run has
 * seen before. The cache is reused across runs and folds and built atomically (a killed build
 * never leaves a shard or index segment that is read). A cache folder written by a jvision
 * before content keys (shard format 1) is ignored with one warning and rebuilt next to the old
 * files, which can then be deleted. See {@link ShardCache} and {@link StatIndex}.
 *
 * <p>Memory of disk mode, per image: 24-43 bytes of record index per size, and, shared by the
 * open caches of all sizes in one folder, as much of stat index and 18-32 bytes of per-path memo
 * (open-addressing tables of 16, 16 and 12 bytes a slot, filled 3/8 to 3/4): 44 MiB at 500k
 * images, 16 MiB more for a second size ({@link #atSize}); {@link #preload} adds 8 bytes per
 * image while it runs.
 *
 * <p>Thread-safe: {@link #get}, {@link #readInto} and {@link #preload} may be called from
 * several threads. Returned arrays are shared with the cache in memory mode: callers must not
 * modify them.
 */
public final class ImageCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ImageCache.class);

    private final int size;
    private final Path cacheDir;
    private final ShardCache disk;
    private final ConcurrentHashMap<Path, byte[]> memory = new ConcurrentHashMap<>();
    private final AtomicLong decodes = new AtomicLong();
    private final int workers;
    private final boolean reduced;

    /**
     * @param size           side length images are resized to
     * @param cacheDirOrNull folder of the disk cache (created on demand), or null for memory only
     */
    public ImageCache(int size, Path cacheDirOrNull) {
        this(size, cacheDirOrNull, 0);
    }

    /**
     * @param size           side length images are resized to
     * @param cacheDirOrNull folder of the disk cache (created on demand), or null for memory only
     * @param workers        decode threads of {@link #preload}; 0 = {@link BatchLoader#defaultWorkers()}
     *                       plus one (the training step is not running while the cache is built)
     */
    public ImageCache(int size, Path cacheDirOrNull, int workers) {
        this(size, cacheDirOrNull, workers, false);
    }

    /**
     * @param size           side length images are resized to
     * @param cacheDirOrNull folder of the disk cache (created on demand), or null for memory only
     * @param workers        decode threads of {@link #preload}; 0 = {@link BatchLoader#defaultWorkers()} plus one
     * @param reducedDecode  decode large JPEGs at a reduced scale first
     *                       ({@link Images#decodeResizedInto(byte[], int, Object, byte[], int, boolean)});
     *                       its disk cache is kept apart ({@code s<size>r})
     */
    public ImageCache(int size, Path cacheDirOrNull, int workers, boolean reducedDecode) {
        if (size <= 0) throw new IllegalArgumentException("size must be > 0, got " + size);
        if (workers < 0) throw new IllegalArgumentException("workers must be >= 0, got " + workers);
        this.size = size;
        this.cacheDir = cacheDirOrNull;
        this.workers = workers;
        this.reduced = reducedDecode;
        try {
            this.disk = cacheDirOrNull == null ? null : new ShardCache(cacheDirOrNull, size, reducedDecode ? "r" : "");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("data.cache_dir " + cacheDirOrNull + ": cannot open the image cache ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * The cache a data set of {@code images} images should use: on disk in {@code cacheDirOrNull}
     * when one is given; else in memory when the decoded images take at most
     * {@code memoryLimitBytes}; else on disk in {@code defaultDir} (logged), so that memory never
     * grows with the data set.
     */
    public static ImageCache forImages(int size, int images, Path cacheDirOrNull, Path defaultDir, long memoryLimitBytes,
                                       int workers, boolean reducedDecode) {
        if (cacheDirOrNull != null) return new ImageCache(size, cacheDirOrNull, workers, reducedDecode);
        long bytes = (long) images * size * size * 3;
        if (bytes <= memoryLimitBytes) return new ImageCache(size, null, workers, reducedDecode);
        log.info("{} images at {} px take {} MiB decoded (data.memory_cache_mb {}): caching them on disk in {}", images, size,
                bytes >> 20, memoryLimitBytes >> 20, defaultDir);
        return new ImageCache(size, defaultDir, workers, reducedDecode);
    }

    /**
     * A new, empty-handed cache at {@code size} with this one's folder (its {@code s<size>}
     * shards are separate), mode, workers and decoding: progressive resize trains each stage from
     * a cache at the stage's size. The caller owns (closes) it.
     */
    public ImageCache atSize(int size) {
        return new ImageCache(size, cacheDir, workers, reduced);
    }

    /** True when images are cached on disk rather than in memory. */
    public boolean onDisk() {
        return disk != null;
    }

    private int threads(int n) {
        int w = workers > 0 ? workers : Math.min(Runtime.getRuntime().availableProcessors(), BatchLoader.defaultWorkers() + 1);
        return Math.max(1, Math.min(w, n));
    }

    /**
     * Makes every sample's pixels readable without decoding: in memory mode decodes them all into
     * memory, in disk mode writes those the disk cache lacks into new shards. Shows a progress
     * bar on stderr when a terminal is attached, else a log line every 25%. Does not throw for
     * bad images; the result does not depend on scheduling.
     *
     * @param label task name shown in the progress output; null for none (no progress, no
     *              summary warning: for callers that preload many small pieces and report themselves)
     * @return the samples that failed, as {@code "file:line ID 'x': reason"}, in input order
     */
    public List<String> preload(List<Sample> samples, String label) {
        int n = samples.size();
        List<String> failed = new ArrayList<>();
        if (n == 0) return failed;
        String[] errors = new String[n];
        AtomicInteger done = new AtomicInteger();
        boolean quiet = label == null;
        int every = Math.max(1, n / 4);
        ConsoleBar pb = quiet ? null : ConsoleBar.open(label, n, false);
        Runnable step = () -> {
            int d = done.incrementAndGet();
            if (pb != null) pb.step(1);
            else if (!quiet && (d % every == 0 || d == n)) log.info("{}: {}/{} images", label, d, n);
        };
        ExecutorService pool = Executors.newFixedThreadPool(threads(n), r -> {
            Thread t = new Thread(r, "jvision-preload");
            t.setDaemon(true);
            return t;
        });
        try {
            if (disk == null) {
                forEach(pool, n, idx -> {
                    Sample s = samples.get(idx);
                    try {
                        get(s);
                    } catch (IOException | RuntimeException e) {
                        errors[idx] = s.where() + ": " + reason(e, s.file());
                    }
                    step.run();
                });
            } else {
                buildDisk(samples, errors, pool, step);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("data.cache_dir " + cacheDir + ": cannot write the image cache ("
                    + e.getMessage() + ")", e);
        } finally {
            pool.shutdownNow();
            if (pb != null) pb.close();
        }
        for (String e : errors) if (e != null) failed.add(e);
        if (!failed.isEmpty() && !quiet) log.warn("{}: {} of {} images failed to load", label, failed.size(), n);
        return failed;
    }

    /**
     * Makes the disk cache hold every sample: a sample whose (path, length, mtime) is in the stat
     * index and whose content is cached costs a {@code stat}; the others are read and hashed, and
     * decoded into new shards unless their content is cached. Marks failures in {@code errors}.
     */
    private void buildDisk(List<Sample> samples, String[] errors, ExecutorService pool, Runnable step) throws IOException {
        int n = samples.size();
        StatIndex stats = disk.stats();
        List<Integer> todo = new ArrayList<>();
        long[] statKeys = new long[n];
        for (int i = 0; i < n; i++) {
            Sample s = samples.get(i);
            long sk;
            try {
                sk = StatIndex.key(s.file());
            } catch (IOException | RuntimeException e) {
                // the decode pass names the reason as the memory mode does
                try {
                    Images.readBytes(s.file());
                    errors[i] = s.where() + ": " + reason(e, s.file());
                } catch (IOException | RuntimeException e2) {
                    errors[i] = s.where() + ": " + reason(e2, s.file());
                }
                step.run();
                continue;
            }
            long ck = stats.get(sk);
            if (ck != 0 && disk.contains(ck)) {
                disk.stats().remember(s.file(), ck);
                step.run();
            } else {
                statKeys[i] = sk;
                todo.add(i);
            }
        }
        try {
            buildShards(samples, todo, statKeys, errors, pool, step);
        } finally {
            try {
                stats.flush();
            } catch (IOException e) {
                log.warn("image cache {}: cannot write the stat index ({}); the next run hashes these images again",
                        disk.dir(), e.toString());
            }
        }
    }

    /** Reads and hashes the samples of {@code todo}; decodes those whose content is not cached into new shards. */
    private void buildShards(List<Sample> samples, List<Integer> todo, long[] statKeys, String[] errors, ExecutorService pool,
                             Runnable step) throws IOException {
        if (todo.isEmpty()) return;
        disk.removeStaleTemporaries();
        log.info("image cache {}: reading {} images not in its stat index (decoding at {} px those not cached)", disk.dir(),
                todo.size(), size);
        int cap = disk.shardCapacity();
        AtomicInteger decoded = new AtomicInteger();
        ThreadLocal<byte[]> scratch = ThreadLocal.withInitial(() -> new byte[size * size * 3]);
        for (int from = 0; from < todo.size(); from += cap) {
            List<Integer> chunk = todo.subList(from, Math.min(todo.size(), from + cap));
            // content key -> first row of this chunk with it (earlier chunks are in the index by now)
            ConcurrentHashMap<Long, Integer> claims = new ConcurrentHashMap<>();
            List<int[]> repeats = java.util.Collections.synchronizedList(new ArrayList<>()); // {row, first row}
            try (ShardCache.Builder shard = disk.builder(chunk.size())) {
                forEachIo(pool, chunk.size(), j -> {
                    int idx = chunk.get(j);
                    Sample s = samples.get(idx);
                    try {
                        byte[] px = scratch.get();
                        int slot;
                        try {
                            byte[] bytes = Images.readBytes(s.file());
                            long ck = ShardCache.contentKey(bytes);
                            disk.stats().remember(s.file(), ck);
                            disk.stats().put(statKeys[idx], ck);
                            if (disk.contains(ck)) return;
                            Integer first = claims.putIfAbsent(ck, idx);
                            if (first != null) {
                                repeats.add(new int[] {idx, first});
                                return;
                            }
                            slot = shard.claim(ck);
                            if (slot < 0) throw new IllegalStateException("shard full: " + chunk.size() + " slots");
                            try {
                                decode(bytes, s.file(), px, 0);
                                decoded.incrementAndGet();
                            } catch (IOException | RuntimeException e) {
                                shard.fail(slot);
                                throw e;
                            }
                        } catch (IOException | RuntimeException e) {
                            errors[idx] = s.where() + ": " + reason(e, s.file());
                            return;
                        }
                        shard.write(slot, px); // a failed write is the cache's, not the image's: it propagates
                    } finally {
                        step.run();
                    }
                });
                shard.finish();
            }
            for (int[] r : repeats) { // the same bytes as a row that failed: this row fails too, with its own reason
                if (errors[r[1]] == null) continue;
                Sample s = samples.get(r[0]);
                try {
                    decode(Images.readBytes(s.file()), s.file(), scratch.get(), 0);
                } catch (IOException | RuntimeException e) {
                    errors[r[0]] = s.where() + ": " + reason(e, s.file());
                }
            }
        }
        log.info("image cache {}: {} of {} images read were decoded, the others were cached under their content",
                disk.dir(), decoded.get(), todo.size());
    }

    private void decode(byte[] bytes, Path file, byte[] dst, int off) throws IOException {
        decodes.incrementAndGet();
        Images.decodeResizedInto(bytes, size, file, dst, off, reduced);
    }

    /** Images decoded by this cache so far (for tests: a cache hit decodes nothing). */
    long decodeCount() {
        return decodes.get();
    }

    private static void forEach(ExecutorService pool, int n, java.util.function.IntConsumer body) {
        try {
            forEachIo(pool, n, body::accept);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void forEachIo(ExecutorService pool, int n, ShardCache.Slot body) throws IOException {
        List<Future<?>> futures = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            final int idx = i;
            futures.add(pool.submit(() -> {
                body.run(idx);
                return null;
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("image decoding interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof IOException io) throw io;
                if (e.getCause() instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e.getCause());
            }
        }
    }

    /**
     * The reason part of an image-loading exception, without a repeated file path prefix: what
     * follows {@code "file:line ID 'x': "} in the messages of {@link #preload}. Stateless.
     */
    public static String reason(Exception e, Path file) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return Manifest.MISSING + " (" + file + ")";
        if (m == null) return e.getClass().getSimpleName();
        String prefix = file + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) + " (" + file + ")" : m;
    }

    /**
     * Pixels of {@code s}: from memory, else from the disk cache, else decoded (kept in memory
     * mode only).
     *
     * @throws IOException when the image is missing, empty or cannot be decoded
     */
    public byte[] get(Sample s) throws IOException {
        Path key = s.file().toAbsolutePath().normalize();
        byte[] px = memory.get(key);
        if (px != null) return px;
        px = new byte[size * size * 3];
        if (disk != null) {
            readInto(s, px, 0);
            return px;
        }
        decode(Images.readBytes(key), key, px, 0);
        byte[] prev = memory.putIfAbsent(key, px);
        return prev != null ? prev : px;
    }

    /**
     * Copies the pixels of {@code s} into {@code dst} at {@code off} ({@code size*size*3} bytes):
     * a positional read from the disk cache when it holds the image, else as {@link #get}.
     *
     * @throws IOException when the image is missing, empty or cannot be decoded
     */
    public void readInto(Sample s, byte[] dst, int off) throws IOException {
        if (disk == null) {
            System.arraycopy(get(s), 0, dst, off, size * size * 3);
            return;
        }
        Path file = s.file();
        long ck = disk.stats().known(file);
        if (ck != 0 && disk.read(ck, dst, off)) return;
        long sk = 0;
        if (ck == 0) {
            try {
                sk = StatIndex.key(file);
            } catch (IOException e) {
                sk = 0; // missing or unreadable: reading below reports it
            }
            ck = sk == 0 ? 0 : disk.stats().get(sk);
            if (ck != 0) {
                disk.stats().remember(file, ck);
                if (disk.read(ck, dst, off)) return;
            }
        }
        byte[] bytes = Images.readBytes(file);
        if (ck == 0) {
            ck = ShardCache.contentKey(bytes);
            disk.stats().remember(file, ck);
            disk.stats().put(sk, ck);
            if (disk.read(ck, dst, off)) return;
        }
        decode(bytes, file, dst, off);
    }

    /** The shard files of the disk cache (for tests and tools); empty in memory mode. */
    public List<Path> cacheFiles() {
        return disk == null ? List.of() : disk.files();
    }

    /** The disk cache, or null in memory mode (for tests). */
    ShardCache disk() {
        return disk;
    }

    /** Number of images in the disk cache (0 in memory mode). */
    public int diskCount() {
        return disk == null ? 0 : disk.count();
    }

    /**
     * Writes the stat entries learnt by reads since the last {@link #preload} (best effort: a
     * failure is logged) and closes the disk cache's files; idempotent. Memory-mode caches hold
     * nothing to close.
     */
    @Override
    public void close() {
        if (disk == null) return;
        try {
            if (disk.stats().pending() > 0) disk.stats().flush();
        } catch (IOException e) {
            log.warn("image cache {}: cannot write the stat index ({})", disk.dir(), e.toString());
        }
        disk.close();
    }

    /** Side length images are resized to (each image is {@code size*size*3} bytes). */
    public int size() {
        return size;
    }

    /** Number of images held in memory. */
    public int cachedCount() {
        return memory.size();
    }

    /** Drops the in-memory images (the disk cache is kept). */
    public void clearMemory() {
        memory.clear();
    }
}
