package dev.jvision.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What content each image file has, for the disk image caches under one cache folder (all sizes
 * and decode variants share it, as content keys do not depend on them): the persistent stat
 * index, from a file's absolute normalized path, length and modification time to its content key,
 * so that a run finds its cached records from a {@code stat} per file, without reading or hashing
 * the files; and a memo from the {@link Path} objects the samples give to their content key, so
 * that a read costs neither stat nor hash.
 *
 * <p>In memory: one 8-byte stat key (the first 8 bytes of SHA-256 over path, length and mtime in
 * nanoseconds) to the 8-byte content key in a {@link KeyMaps.Longs} table (16 bytes a slot, 21 to
 * 43 bytes an entry), and the memo in a {@link KeyMaps.Paths} table (12 bytes a slot). One
 * instance per cache folder and process while any cache on it is open ({@link #acquire},
 * {@link #release}).
 *
 * <p>On disk: append-only segment files {@code stat-<random>.jvi} in the cache folder, one per
 * {@link #flush} that has new entries: 16-byte header (magic {@code JVI1}, version, entry count,
 * 0), the entries as pairs of big-endian longs, a CRC32C of all that. A segment is written as a
 * {@code .tmp} file, forced and renamed, so a killed run leaves no partial segment that is read;
 * a segment that is truncated, damaged or of another format is ignored with a warning naming it
 * (the images it listed are read and hashed again) and deleted at the next flush. Segments are
 * merged on open; once there are {@value #MAX_SEGMENTS}, a flush writes one merged segment and
 * deletes the ones it read. Entries are never removed: files that moved away keep their (unused)
 * entries until the cache folder is deleted.
 *
 * <p>Thread-safe.
 */
final class StatIndex {
    private static final Logger log = LoggerFactory.getLogger(StatIndex.class);
    static final int MAGIC = 0x4A56_4931; // "JVI1"
    static final int VERSION = 1;
    static final int HEADER = 16;
    static final int TRAILER = 8;
    static final String PREFIX = "stat-";
    static final String SUFFIX = ".jvi";
    /** Segments kept before a flush merges them into one. */
    static final int MAX_SEGMENTS = 8;

    /** The instances in use, by folder (guarded by itself). */
    private static final Map<Path, StatIndex> OPEN = new HashMap<>();

    private final Path dir;
    private final KeyMaps.Longs map = new KeyMaps.Longs();
    private final KeyMaps.Paths memo = new KeyMaps.Paths();
    /** Open caches using this instance (guarded by {@link #OPEN}). */
    private int users;
    /** Segments read on open or written since (guarded by this). */
    private final List<Path> segments = new ArrayList<>();
    /** Segments ignored on open, deleted by the next flush (guarded by this). */
    private final List<Path> damaged = new ArrayList<>();
    /** Entries not written yet, as key/value pairs (guarded by this). */
    private long[] pending = new long[64];
    private int pendingCount;

    /**
     * The index of the cache folder {@code dir} (which must exist): the instance other open caches
     * on it use, else a new one read from its segments. Each call is paired with {@link #release}.
     */
    static StatIndex acquire(Path dir) throws IOException {
        Path key = dir.toAbsolutePath().normalize();
        synchronized (OPEN) {
            StatIndex s = OPEN.get(key);
            if (s == null) {
                s = new StatIndex(key);
                OPEN.put(key, s);
            }
            s.users++;
            return s;
        }
    }

    /** Ends one {@link #acquire}: the last user's release lets the next acquire read the folder again. */
    void release() {
        synchronized (OPEN) {
            if (users > 0 && --users == 0) OPEN.remove(dir, this);
        }
    }

    /** Reads the segments in {@code dir} (which must exist); a private instance ({@link #acquire} shares one). */
    StatIndex(Path dir) throws IOException {
        this.dir = dir;
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            ds.forEach(files::add);
        }
        files.sort(null);
        for (Path f : files) {
            String problem = load(f);
            if (problem == null) {
                segments.add(f);
            } else if (!problem.isEmpty()) {
                log.warn("ignoring damaged stat index segment {} ({}): the images it listed are read and hashed again", f,
                        problem);
                damaged.add(f);
            }
        }
    }

    /** Loads one segment: null when loaded, "" when it vanished, else what is wrong with it. */
    private String load(Path f) throws IOException {
        byte[] all;
        try {
            long len = Files.size(f);
            if (len > Integer.MAX_VALUE - 64) return "length " + len + " bytes";
            all = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return ""; // merged away by another process meanwhile: its entries are in a newer segment
        }
        if (all.length < HEADER + TRAILER) return "length " + all.length + " bytes, expected at least " + (HEADER + TRAILER);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.BIG_ENDIAN);
        int magic = b.getInt(), version = b.getInt(), n = b.getInt();
        if (magic != MAGIC) return "not a stat index segment";
        if (version != VERSION) return "format " + version + ", expected " + VERSION;
        long expected = HEADER + 16L * n + TRAILER;
        if (n < 0 || all.length != expected) return "length " + all.length + " bytes, expected " + expected;
        CRC32C crc = new CRC32C();
        crc.update(all, 0, all.length - TRAILER);
        if (crc.getValue() != b.getLong(all.length - TRAILER)) return "checksum mismatch";
        b.position(HEADER);
        for (int i = 0; i < n; i++) {
            long k = b.getLong(), v = b.getLong();
            if (k != 0 && v != 0) map.put(k, v);
        }
        return null;
    }

    /**
     * The stat key of an image file: the first 8 bytes of SHA-256 over its absolute normalized
     * path, length and modification time (nanoseconds); never 0.
     *
     * @throws IOException when the file cannot be stat'ed (missing, unreadable folder)
     */
    static long key(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
        String id = abs + "\0" + a.size() + "\0" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        long k = ByteBuffer.wrap(ShardCache.SHA256.get().digest(id.getBytes(StandardCharsets.UTF_8))).getLong();
        return k == 0 ? 1 : k;
    }

    /** The content key remembered for {@code file} (as given, not normalized) in this process, or 0. */
    long known(Path file) {
        return memo.get(file, 0);
    }

    /** Remembers the content key of {@code file} for {@link #known}. */
    void remember(Path file, long contentKey) {
        memo.put(file, contentKey);
    }

    /** The content key recorded for {@code statKey}, or 0. */
    long get(long statKey) {
        return map.get(statKey, 0);
    }

    /** Records {@code statKey -> contentKey}; it is written by the next {@link #flush}. */
    void put(long statKey, long contentKey) {
        if (statKey == 0 || contentKey == 0) return;
        if (map.get(statKey, 0) == contentKey) return;
        map.put(statKey, contentKey);
        synchronized (this) {
            if (pendingCount * 2 == pending.length) pending = Arrays.copyOf(pending, pending.length * 2);
            pending[2 * pendingCount] = statKey;
            pending[2 * pendingCount + 1] = contentKey;
            pendingCount++;
        }
    }

    /** Entries in memory. */
    int size() {
        return map.size();
    }

    /** Bytes of the in-memory table. */
    long tableBytes() {
        return map.tableBytes();
    }

    /** Entries not written yet. */
    synchronized int pending() {
        return pendingCount;
    }

    /** The segment files read or written by this index. */
    synchronized List<Path> segments() {
        return List.copyOf(segments);
    }

    /**
     * Writes the entries added since the last flush as a new segment (atomically); merges all
     * segments into one when there are {@value #MAX_SEGMENTS} or a damaged one was found.
     */
    synchronized void flush() throws IOException {
        boolean merge = !damaged.isEmpty() || segments.size() >= MAX_SEGMENTS;
        if (pendingCount == 0 && !merge) return;
        long[] entries;
        if (merge) {
            long[][] all = {new long[2 * map.size() + 2]};
            int[] n = {0};
            map.forEach((k, v) -> {
                if (2 * n[0] + 2 > all[0].length) all[0] = Arrays.copyOf(all[0], all[0].length * 2);
                all[0][2 * n[0]] = k;
                all[0][2 * n[0] + 1] = v;
                n[0]++;
            });
            entries = Arrays.copyOf(all[0], 2 * n[0]);
        } else {
            entries = Arrays.copyOf(pending, 2 * pendingCount);
        }
        Path written = entries.length == 0 ? null : write(entries);
        if (merge) {
            for (Path p : segments) Files.deleteIfExists(p);
            for (Path p : damaged) Files.deleteIfExists(p);
            segments.clear();
            damaged.clear();
        }
        if (written != null) segments.add(written);
        pendingCount = 0;
        if (pending.length > 4096) pending = new long[64];
    }

    /** Deletes temporary segments older than an hour (left by killed runs; younger ones may be another process's). */
    void removeStaleTemporaries() {
        long limit = System.currentTimeMillis() - 3_600_000L;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX + ".tmp")) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toMillis() < limit) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("cannot clean temporary stat index segments in {}: {}", dir, e.toString());
        }
    }

    private Path write(long[] entries) throws IOException {
        int n = entries.length / 2;
        ByteBuffer b = ByteBuffer.allocate(HEADER + 16 * n + TRAILER).order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(n).putInt(0);
        for (long e : entries) b.putLong(e);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putLong(crc.getValue());
        b.flip();
        String name = PREFIX + String.format("%016x", ThreadLocalRandom.current().nextLong()) + SUFFIX;
        Path tmp = dir.resolve(name + ".tmp");
        Path target = dir.resolve(name);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            dev.jvision.runtime.AtomicFiles.move(tmp, target, false);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }
}
