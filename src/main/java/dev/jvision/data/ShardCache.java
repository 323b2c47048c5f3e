package dev.jvision.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk image cache: decoded, resized uint8 RGB images in shard files of fixed-size
 * records ({@code size*size*3} bytes each), under {@code <dir>/s<size>/shard-<id>.jvc}
 * ({@code s<size>r} for reduced-scale JPEG decoding).
 *
 * <p>Key: the first 8 bytes of SHA-256 over the image file's absolute path, length and
 * modification time (so a changed file is decoded again, and a shard built for one fold or run is
 * found by every other one that reads the same files); the image size is in the folder name.
 *
 * <p>Layout of a shard: 16-byte header (magic {@code JVS1}, version, size, record count), one
 * 8-byte key per record (0 = empty slot, an image that failed), zero padding up to a 4096-byte
 * boundary, then the records. A shard is written as a {@code .tmp} file and renamed when complete
 * and forced to disk, so a killed build leaves at most a temporary file, which is never read
 * (and is deleted by a later build once it is an hour old). A shard whose length or header does
 * not match is ignored with a warning.
 *
 * <p>Reads are positional {@link FileChannel} reads straight into the caller's array: the
 * operating system's page cache serves repeated epochs, and the records do not count towards
 * the process's resident memory (a memory map would: every touched page of a 200k-image cache
 * would show in RSS). The key index in memory costs about 80 bytes per cached image.
 *
 * <p>Thread-safe: reads and lookups from any thread; {@link #add} calls may run concurrently
 * (each builds its own shard).
 */
final class ShardCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ShardCache.class);
    static final int MAGIC = 0x4A56_5331; // "JVS1"
    static final int VERSION = 1;
    static final int HEADER = 16;
    static final int ALIGN = 4096;
    static final String SUFFIX = ".jvc";
    /** Largest shard file, bytes: a shard holds {@code max(1, min(4096, 1 GiB / record))} images. */
    static final long MAX_SHARD_BYTES = 1L << 30;

    private record Shard(Path file, FileChannel channel, long dataOffset) {}

    private final int size;
    private final int record;
    private final Path dir;
    private final List<Shard> shards = new CopyOnWriteArrayList<>();
    /** key -> shard index << 32 | slot. */
    private final ConcurrentHashMap<Long, Long> index = new ConcurrentHashMap<>();

    /** @param variant appended to the folder name for images decoded differently ("" or "r") */
    ShardCache(Path root, int size, String variant) throws IOException {
        this.size = size;
        this.record = size * size * 3;
        this.dir = root.resolve("s" + size + variant);
        Files.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "shard-*" + SUFFIX)) {
            List<Path> files = new ArrayList<>();
            ds.forEach(files::add);
            files.sort(null);
            for (Path f : files) open(f);
        }
    }

    /** Images per shard. */
    int shardCapacity() {
        return (int) Math.max(1, Math.min(4096, MAX_SHARD_BYTES / record));
    }

    /** Folder of the shards. */
    Path dir() {
        return dir;
    }

    /** Cached images. */
    int count() {
        return index.size();
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
        Long at = index.get(key);
        if (at == null) return false;
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

    /** The cache key of an image file: path, length and modification time. */
    static long key(Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
        String id = abs + "\0" + a.size() + "\0" + a.lastModifiedTime().toMillis();
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            long k = ByteBuffer.wrap(h).getLong();
            return k == 0 ? 1 : k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fills one record of a shard being built; returns false when the image failed (the slot stays empty). */
    interface Filler {
        boolean fill(int slot, byte[] pixels) throws IOException;
    }

    /**
     * Builds one shard of {@code keys.length} records ({@code <= shardCapacity()}): {@code fill} is
     * called for every slot (possibly from several threads through {@code parallel}), successful
     * records are written and the shard is published atomically. Slots whose fill returned false
     * get key 0.
     */
    void add(long[] keys, Filler fill, Parallel parallel) throws IOException {
        int n = keys.length;
        long dataOffset = dataOffset(n);
        Path tmp = dir.resolve("shard-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + SUFFIX + ".tmp");
        long[] stored = keys.clone();
        boolean done = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            ThreadLocal<byte[]> scratch = ThreadLocal.withInitial(() -> new byte[record]);
            parallel.forEach(n, slot -> {
                byte[] px = scratch.get();
                if (!fill.fill(slot, px)) {
                    stored[slot] = 0;
                    return;
                }
                ByteBuffer b = ByteBuffer.wrap(px);
                long pos = dataOffset + (long) slot * record;
                while (b.hasRemaining()) ch.write(b, pos + b.position());
            });
            ByteBuffer head = ByteBuffer.allocate(HEADER + 8 * n).order(ByteOrder.BIG_ENDIAN);
            head.putInt(MAGIC).putInt(VERSION).putInt(size).putInt(n);
            for (long k : stored) head.putLong(k);
            head.flip();
            while (head.hasRemaining()) ch.write(head, head.position());
            long length = dataOffset + (long) n * record;
            if (ch.size() < length) { // trailing empty slots: extend so the length check holds
                ch.write(ByteBuffer.allocate(1), length - 1);
            }
            ch.force(true);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
        Path target = dir.resolve("shard-" + HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(
                ThreadLocalRandom.current().nextLong()).array()) + SUFFIX);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
        open(target);
    }

    /** Runs {@code body(i)} for {@code i in [0, n)}, possibly in parallel, rethrowing the first failure. */
    interface Parallel {
        void forEach(int n, Slot body) throws IOException;
    }

    /** One slot's work. */
    interface Slot {
        void run(int slot) throws IOException;
    }

    /** Deletes temporary shards older than an hour (left by killed builds; younger ones may be another process's). */
    void removeStaleTemporaries() {
        long limit = System.currentTimeMillis() - 3_600_000L;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "shard-*" + SUFFIX + ".tmp")) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toMillis() < limit) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("cannot clean temporary cache shards in {}: {}", dir, e.toString());
        }
    }

    private static long dataOffset(int n) {
        long h = HEADER + 8L * n;
        return (h + ALIGN - 1) / ALIGN * ALIGN;
    }

    private synchronized void open(Path f) throws IOException {
        FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
        boolean keep = false;
        try {
            ByteBuffer h = ByteBuffer.allocate(HEADER);
            if (ch.read(h, 0) != HEADER) {
                log.warn("ignoring cache shard {} (short header)", f);
                return;
            }
            h.flip();
            int magic = h.getInt(), version = h.getInt(), sz = h.getInt(), n = h.getInt();
            if (magic != MAGIC || version != VERSION || sz != size || n < 1) {
                log.warn("ignoring cache shard {} (bad header)", f);
                return;
            }
            long dataOffset = dataOffset(n);
            if (ch.size() != dataOffset + (long) n * record) {
                log.warn("ignoring cache shard {} (length {} bytes, expected {})", f, ch.size(), dataOffset + (long) n * record);
                return;
            }
            ByteBuffer keys = ByteBuffer.allocate(8 * n);
            while (keys.hasRemaining()) {
                if (ch.read(keys, HEADER + keys.position()) < 0) return;
            }
            keys.flip();
            int shardIndex = shards.size();
            shards.add(new Shard(f, ch, dataOffset));
            keep = true;
            for (int slot = 0; slot < n; slot++) {
                long k = keys.getLong();
                if (k != 0) index.putIfAbsent(k, ((long) shardIndex << 32) | slot);
            }
        } finally {
            if (!keep) ch.close();
        }
    }

    @Override
    public void close() {
        for (Shard s : shards) {
            try {
                s.channel.close();
            } catch (IOException e) {
                // read-only channel: nothing to lose
            }
        }
    }
}
