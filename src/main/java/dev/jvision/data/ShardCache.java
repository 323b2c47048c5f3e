package dev.jvision.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk image cache: decoded, resized uint8 RGB images in shard files of fixed-size
 * records ({@code size*size*3} bytes each), under {@code <dir>/s<size>/shard-<id>.jvc}
 * ({@code s<size>r} for reduced-scale JPEG decoding); the {@link StatIndex} is in {@code <dir>},
 * shared by all sizes.
 *
 * <p>Keys: a record's key is its image's content, the first 8 bytes of SHA-256 over the file's
 * length and bytes ({@link #contentKey}); the size and decode variant are the folder. So the same
 * images at another path (a copied or moved data set, another machine, a re-download with new
 * modification times) reuse the records without decoding, two files with the same bytes share
 * one record, and an edited file is decoded again. The stat index maps (path, length, mtime) to
 * the content key, so that a run that saw a file before finds its record from a {@code stat},
 * without reading the file.
 *
 * <p>Layout of a shard (format {@value #VERSION}): 24-byte header (magic {@code JVS1}, version,
 * size, record count {@code n}, data offset), one 8-byte key per record (0 = empty slot, an image
 * that failed), zero padding up to the data offset (a multiple of 4096), then the records. A
 * shard is written as a {@code .tmp} file, forced to disk and renamed when complete, so a killed
 * build leaves at most a temporary file, which is never read (and is deleted by a later build
 * once it is an hour old). A shard whose length or header does not match is ignored with a
 * warning. Shards of format 1 (jvision before content keys: records keyed by path, length and
 * mtime, 16-byte header) are ignored, with one warning per folder giving their number and size:
 * their images are decoded again into new shards next to them, and the old files can be deleted.
 *
 * <p>Reads are positional {@link FileChannel} reads straight into the caller's array: the
 * operating system's page cache serves repeated epochs, and the records do not count towards
 * the process's resident memory (a memory map would: every touched page of a 200k-image cache
 * would show in RSS). The key index in memory is a {@link KeyMaps.Longs} table: 16 bytes a
 * slot, 21 to 43 bytes per cached image (the stat index, shared by all sizes, costs as much per
 * stat entry, plus 16 to 32 bytes per path read).
 *
 * <p>Thread-safe: reads and lookups from any thread; several {@link Builder}s may be filled
 * concurrently (each builds its own shard).
 */
final class ShardCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ShardCache.class);
    static final int MAGIC = 0x4A56_5331; // "JVS1"
    /** 2: content keys and a data offset in the header; 1: path keys. */
    static final int VERSION = 2;
    static final int HEADER = 24;
    static final int ALIGN = 4096;
    static final String SUFFIX = ".jvc";
    /** Largest shard file, bytes: a shard holds {@code max(1, min(4096, 1 GiB / record))} images. */
    static final long MAX_SHARD_BYTES = 1L << 30;

    /** One SHA-256 digest per thread (also the {@link StatIndex}'s). */
    static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    private record Shard(Path file, FileChannel channel, long dataOffset) {}

    private final int size;
    private final int record;
    private final Path dir;
    private final List<Shard> shards = new CopyOnWriteArrayList<>();
    /** content key -> shard index << 32 | slot. */
    private final KeyMaps.Longs index = new KeyMaps.Longs();
    private final StatIndex stats;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** @param variant appended to the folder name for images decoded differently ("" or "r") */
    ShardCache(Path root, int size, String variant) throws IOException {
        this.size = size;
        this.record = size * size * 3;
        this.dir = root.resolve("s" + size + variant);
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "shard-*" + SUFFIX)) {
            ds.forEach(files::add);
        }
        files.sort(null);
        List<String> old = new ArrayList<>();
        long oldBytes = 0;
        for (Path f : files) {
            if (open(f) == 1) {
                old.add(f.getFileName().toString());
                oldBytes += Files.size(f);
            }
        }
        if (!old.isEmpty()) {
            log.warn("ignoring {} cache shards ({} MiB) in {} built by an older jvision (format 1, keyed by file path and "
                    + "modification time; this version keys records by file content): their images are decoded again into "
                    + "new shards; delete the old files to free the space: {}", old.size(), oldBytes >> 20, dir,
                    old.size() <= 4 ? String.join(" ", old) : String.join(" ", old.subList(0, 3)) + " ... (all format-1 shards)");
        }
        this.stats = StatIndex.acquire(root);
    }

    /** Images per shard. */
    int shardCapacity() {
        return (int) Math.max(1, Math.min(4096, MAX_SHARD_BYTES / record));
    }

    /** Folder of the shards. */
    Path dir() {
        return dir;
    }

    /** The cache folder's stat index (shared with the caches of other sizes): (path, length, mtime) -> content key. */
    StatIndex stats() {
        return stats;
    }

    /** Cached images. */
    int count() {
        return index.size();
    }

    /** Bytes of the in-memory record index. */
    long indexBytes() {
        return index.tableBytes();
    }

    /** The shard files in use. */
    List<Path> files() {
        return shards.stream().map(Shard::file).toList();
    }

    boolean contains(long key) {
        return index.containsKey(key);
    }

    /** Copies the record of {@code key} into {@code dst} at {@code off}; false when it is not cached. */
    boolean read(long key, byte[] dst, int off) throws IOException {
        long at = index.get(key, -1);
        if (at < 0) return false;
        int si = (int) (at >>> 32);
        try {
            readRecord(shards.get(si), at, dst, off);
        } catch (java.nio.channels.ClosedChannelException e) {
            // an interrupt during a read closes the channel for every thread: reopen it and read
            // once more with the interrupt put aside (and restored for the caller to see)
            boolean interrupted = Thread.interrupted();
            try {
                readRecord(reopen(si), at, dst, off);
            } finally {
                if (interrupted) Thread.currentThread().interrupt();
            }
        }
        return true;
    }

    private void readRecord(Shard s, long at, byte[] dst, int off) throws IOException {
        long pos = s.dataOffset + (at & 0xffff_ffffL) * record;
        ByteBuffer b = ByteBuffer.wrap(dst, off, record);
        while (b.hasRemaining()) {
            int r = s.channel.read(b, pos + b.position() - off);
            if (r < 0) throw new IOException(s.file + ": truncated cache shard");
        }
    }

    private synchronized Shard reopen(int si) throws IOException {
        Shard s = shards.get(si);
        if (s.channel.isOpen()) return s;
        Shard fresh = new Shard(s.file, FileChannel.open(s.file, StandardOpenOption.READ), s.dataOffset);
        shards.set(si, fresh);
        return fresh;
    }

    /**
     * The content key of an image file's bytes: the first 8 bytes of SHA-256 over the length (8
     * bytes, big-endian) and the bytes; never 0. About 30 us for a 30 KB JPEG (SHA-NI), against
     * 0.7-1.3 ms to decode and resize it.
     */
    static long contentKey(byte[] bytes) {
        MessageDigest md = SHA256.get();
        md.update(ByteBuffer.allocate(8).putLong(bytes.length).array());
        long k = ByteBuffer.wrap(md.digest(bytes)).getLong();
        return k == 0 ? 1 : k;
    }

    /** One slot's work. */
    interface Slot {
        void run(int slot) throws IOException;
    }

    /** Starts a shard of at most {@code capacity} ({@code <= shardCapacity()}) records. */
    Builder builder(int capacity) throws IOException {
        if (capacity < 1 || capacity > shardCapacity()) {
            throw new IllegalArgumentException("shard capacity " + capacity + " (expected: 1.." + shardCapacity() + ")");
        }
        return new Builder(capacity);
    }

    /**
     * A shard being written: any thread claims the next slot for a key ({@link #claim}) and
     * writes its record ({@link #write}) or gives it up ({@link #fail}: an empty slot);
     * {@link #finish}, after all of them, publishes the shard atomically. Owned by its creator;
     * {@link #close} without {@code finish} deletes the temporary file.
     */
    final class Builder implements AutoCloseable {
        private final int capacity;
        private final long dataOffset;
        private final long[] keys;
        private final Path tmp;
        private final FileChannel ch;
        private final AtomicInteger claimed = new AtomicInteger();
        private boolean closed;

        private Builder(int capacity) throws IOException {
            this.capacity = capacity;
            this.dataOffset = dataOffset(capacity);
            this.keys = new long[capacity];
            this.tmp = dir.resolve("shard-" + hex(ThreadLocalRandom.current().nextLong()) + SUFFIX + ".tmp");
            this.ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        }

        /** The slot for {@code key} (!= 0), or -1 when the shard is full. Thread-safe. */
        int claim(long key) {
            int slot = claimed.getAndIncrement();
            if (slot >= capacity) return -1;
            keys[slot] = key;
            return slot;
        }

        /** Writes the record of a claimed slot. Thread-safe. */
        void write(int slot, byte[] pixels) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(pixels, 0, record);
            long pos = dataOffset + (long) slot * record;
            while (b.hasRemaining()) ch.write(b, pos + b.position());
        }

        /** Leaves a claimed slot empty (its image failed). */
        void fail(int slot) {
            keys[slot] = 0;
        }

        /** Writes the header, forces the file and publishes it; a shard with no claimed slot is discarded. */
        void finish() throws IOException {
            if (closed) throw new IllegalStateException("shard builder " + tmp + " is closed");
            int n = Math.min(capacity, claimed.get());
            if (n == 0) {
                close();
                return;
            }
            ByteBuffer head = ByteBuffer.allocate(HEADER + 8 * n).order(ByteOrder.BIG_ENDIAN);
            head.putInt(MAGIC).putInt(VERSION).putInt(size).putInt(n).putLong(dataOffset);
            for (int i = 0; i < n; i++) head.putLong(keys[i]);
            head.flip();
            while (head.hasRemaining()) ch.write(head, head.position());
            long length = dataOffset + (long) n * record;
            if (ch.size() < length) ch.write(ByteBuffer.allocate(1), length - 1); // trailing empty slots
            ch.force(true);
            ch.close();
            closed = true;
            Path target = dir.resolve("shard-" + hex(ThreadLocalRandom.current().nextLong()) + SUFFIX);
            try {
                dev.jvision.runtime.AtomicFiles.move(tmp, target, false);
            } finally {
                Files.deleteIfExists(tmp);
            }
            open(target);
        }

        @Override
        public void close() throws IOException {
            if (closed) return;
            closed = true;
            try {
                ch.close();
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static String hex(long v) {
        return HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(v).array());
    }

    /** Deletes temporary shards and stat segments older than an hour (left by killed builds; younger ones may be another process's). */
    void removeStaleTemporaries() {
        long limit = System.currentTimeMillis() - 3_600_000L;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "shard-*" + SUFFIX + ".tmp")) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toMillis() < limit) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("cannot clean temporary cache shards in {}: {}", dir, e.toString());
        }
        stats.removeStaleTemporaries();
    }

    private static long dataOffset(int n) {
        long h = HEADER + 8L * n;
        return (h + ALIGN - 1) / ALIGN * ALIGN;
    }

    /** Opens a shard: 0 when it is used, 1 when it has format 1 (ignored), -1 when ignored as damaged. */
    private synchronized int open(Path f) throws IOException {
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        boolean keep = false;
        try {
            ByteBuffer h = ByteBuffer.allocate(HEADER);
            while (h.hasRemaining() && ch.read(h, h.position()) > 0) {
                // read the whole header
            }
            if (h.position() >= 8 && h.getInt(0) == MAGIC && h.getInt(4) == 1) return 1;
            if (h.hasRemaining()) {
                log.warn("ignoring cache shard {} (short header)", f);
                return -1;
            }
            h.flip();
            int magic = h.getInt(), version = h.getInt(), sz = h.getInt(), n = h.getInt();
            long dataOffset = h.getLong();
            if (magic != MAGIC || version != VERSION || sz != size || n < 1 || n > shardCapacity()
                    || dataOffset % ALIGN != 0 || dataOffset < dataOffset(n) || dataOffset > dataOffset(shardCapacity())) {
                log.warn("ignoring cache shard {} (bad header)", f);
                return -1;
            }
            if (ch.size() != dataOffset + (long) n * record) {
                log.warn("ignoring cache shard {} (length {} bytes, expected {})", f, ch.size(), dataOffset + (long) n * record);
                return -1;
            }
            ByteBuffer keys = ByteBuffer.allocate(8 * n);
            while (keys.hasRemaining()) {
                if (ch.read(keys, HEADER + keys.position()) < 0) return -1;
            }
            keys.flip();
            int shardIndex = shards.size();
            shards.add(new Shard(f, ch, dataOffset));
            keep = true;
            for (int slot = 0; slot < n; slot++) {
                long k = keys.getLong();
                if (k != 0) index.putIfAbsent(k, ((long) shardIndex << 32) | slot);
            }
            return 0;
        } finally {
            if (!keep) ch.close();
        }
    }

    /** Closes the shard files and releases the stat index; idempotent. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) return;
        stats.release();
        for (Shard s : shards) {
            try {
                s.channel.close();
            } catch (IOException e) {
                // read-only channel: nothing to lose
            }
        }
    }
}
