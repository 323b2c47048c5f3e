package dev.jvision.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resized uint8 RGB images (HWC, {@code size*size*3} bytes each) kept in memory, keyed by
 * image file, and optionally also on disk.
 *
 * <p>Disk cache ({@code cacheDir != null}): one file per image named
 * {@code <sha-256 of file content>_<size>.rgb}, holding a small header, the pixels and a CRC32;
 * written atomically (temp file in the same directory + {@code ATOMIC_MOVE}). A cache file that
 * is short, has a bad header or a bad checksum is ignored and rewritten.
 *
 * <p>Thread-safe: {@link #get} and {@link #preload} may be called from several threads.
 * Returned arrays are shared with the cache: callers must not modify them.
 */
public final class ImageCache {
    private static final Logger log = LoggerFactory.getLogger(ImageCache.class);
    private static final int MAGIC = 0x4A56_4331; // "JVC1"
    private static final int HEADER = 8;
    private static final int TRAILER = 8;

    private final int size;
    private final Path cacheDir;
    private final ConcurrentHashMap<Path, byte[]> memory = new ConcurrentHashMap<>();

    /**
     * @param size         side length images are resized to
     * @param cacheDirOrNull directory for the disk cache (created on demand), or null for memory only
     */
    public ImageCache(int size, Path cacheDirOrNull) {
        if (size <= 0) throw new IllegalArgumentException("size must be > 0, got " + size);
        this.size = size;
        this.cacheDir = cacheDirOrNull;
    }

    /**
     * Decodes all samples into memory (a small thread pool; the result does not depend on
     * scheduling), showing a progress bar on stderr when a terminal is attached, else a log
     * line every 25%. Does not throw for bad images.
     *
     * @param label task name shown in the progress output
     * @return the samples that failed, as {@code "file:line ID 'x': reason"}, in input order
     */
    public List<String> preload(List<Sample> samples, String label) {
        int n = samples.size();
        List<String> failed = new ArrayList<>();
        if (n == 0) return failed;
        int threads = Math.max(1, Math.min(Math.min(8, Runtime.getRuntime().availableProcessors()), n));
        String[] errors = new String[n];
        AtomicInteger done = new AtomicInteger();
        boolean tty = System.console() != null;
        int every = Math.max(1, n / 4);
        ProgressBar pb = tty ? new ProgressBarBuilder().setTaskName(label).setInitialMax(n)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build() : null;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "jvision-preload");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                final int idx = i;
                futures.add(pool.submit(() -> {
                    Sample s = samples.get(idx);
                    try {
                        get(s);
                    } catch (IOException | RuntimeException e) {
                        errors[idx] = s.where() + ": " + reason(e, s.file());
                    }
                    int d = done.incrementAndGet();
                    if (pb != null) pb.step();
                    else if (d % every == 0 || d == n) log.info("{}: {}/{} images", label, d, n);
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("preload interrupted", e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
            if (pb != null) pb.close();
        }
        for (String e : errors) if (e != null) failed.add(e);
        if (!failed.isEmpty()) log.warn("{}: {} of {} images failed to load", label, failed.size(), n);
        return failed;
    }

    /** The reason part of an image-loading exception, without a repeated file path prefix. */
    static String reason(Exception e, Path file) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) return Manifest.MISSING + " (" + file + ")";
        if (m == null) return e.getClass().getSimpleName();
        String prefix = file + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) + " (" + file + ")" : m;
    }

    /**
     * Pixels of {@code s}: from memory, else from the disk cache, else decoded (and stored).
     *
     * @throws IOException when the image is missing, empty or cannot be decoded
     */
    public byte[] get(Sample s) throws IOException {
        Path key = s.file().toAbsolutePath().normalize();
        byte[] px = memory.get(key);
        if (px != null) return px;
        px = load(key);
        byte[] prev = memory.putIfAbsent(key, px);
        return prev != null ? prev : px;
    }

    private byte[] load(Path file) throws IOException {
        if (cacheDir == null) return Images.loadResized(file, size);
        byte[] encoded = Images.readBytes(file);
        Path cf = cacheDir.resolve(sha256(encoded) + "_" + size + ".rgb");
        byte[] px = readCacheFile(cf);
        if (px != null) return px;
        px = Images.decodeResized(encoded, size, file);
        try {
            writeCacheFile(cf, px);
        } catch (IOException e) {
            log.warn("cannot write image cache file {}: {}", cf, e.toString());
        }
        return px;
    }

    /** The cache file content, or null if absent or invalid. */
    private byte[] readCacheFile(Path cf) {
        int n = size * size * 3;
        try {
            if (!Files.isRegularFile(cf) || Files.size(cf) != HEADER + n + TRAILER) {
                if (Files.exists(cf)) log.warn("ignoring corrupt cache file {} (bad length)", cf);
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(cf));
            if (b.capacity() != HEADER + n + TRAILER || b.getInt() != MAGIC || b.getInt() != size) {
                log.warn("ignoring corrupt cache file {} (bad header)", cf);
                return null;
            }
            byte[] px = new byte[n];
            b.get(px);
            CRC32 crc = new CRC32();
            crc.update(px);
            if (b.getLong() != crc.getValue()) {
                log.warn("ignoring corrupt cache file {} (bad checksum)", cf);
                return null;
            }
            return px;
        } catch (IOException e) {
            log.warn("ignoring unreadable cache file {}: {}", cf, e.toString());
            return null;
        }
    }

    private void writeCacheFile(Path cf, byte[] px) throws IOException {
        Files.createDirectories(cacheDir);
        ByteBuffer b = ByteBuffer.allocate(HEADER + px.length + TRAILER);
        CRC32 crc = new CRC32();
        crc.update(px);
        b.putInt(MAGIC).putInt(size).put(px).putLong(crc.getValue());
        Path tmp = Files.createTempFile(cacheDir, cf.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, b.array());
            try {
                Files.move(tmp, cf, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, cf, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The path of the disk cache file for an image (for tests and tools), or null without a disk cache. */
    public Path cacheFile(Path imageFile) throws IOException {
        return cacheDir == null ? null
                : cacheDir.resolve(sha256(Files.readAllBytes(imageFile)) + "_" + size + ".rgb");
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
