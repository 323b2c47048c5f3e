package dev.jvision.pipeline;

import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.DataException;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The test rows of a chunked inference, chunk by chunk, with their images ready at every image
 * size the ensemble needs. Without {@code data.cache_dir} each chunk's images are decoded into
 * memory when the chunk is asked for ({@link #next()}) and dropped by {@link #release()}: memory
 * is {@link #bytesPerRow()} x the chunk's rows, whatever the test set size. With a cache folder,
 * {@link #prepare} first brings every row into that disk cache (one pass, reused by later runs)
 * and chunks read from it.
 *
 * <p>Rows whose image does not load at the first size follow {@code data.on_bad_image}: skipped
 * (each of the first {@link DataException#MAX_LISTED} logged as {@code file:line ID 'x': reason}
 * and kept in {@link #problems()}), else a {@link DataException}. A row that loads at the first
 * size but not at another is always an error. Every chunk but the last holds exactly the chunk
 * size of good rows, so chunks are whole batches.
 *
 * <p>Owns its image caches and decode threads until {@link #close()}. Not thread-safe.
 */
final class ChunkedImages implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkedImages.class);

    private final List<Sample> rows;
    private final List<Integer> sizes;
    private final Map<Integer, ImageCache> caches = new LinkedHashMap<>();
    private final boolean onDisk;
    private final String policy;
    private final List<String> problems = new ArrayList<>();
    private List<Sample> good;
    private int chunkRows;
    private int cursor;
    private int skipped;

    /**
     * @param rows  the test rows, in manifest order
     * @param sizes the image sizes of the ensemble's checkpoints (the first decides which rows are bad)
     */
    ChunkedImages(Experiment exp, List<Sample> rows, List<Integer> sizes) {
        this.rows = rows;
        this.sizes = List.copyOf(sizes);
        Path dir = RunSetup.cacheDir(exp);
        this.onDisk = dir != null;
        this.policy = exp.data().loader().onBadImage().toString();
        for (int s : this.sizes) {
            caches.put(s, new ImageCache(s, dir, exp.data().loader().workers(), exp.data().loader().reducedDecode()));
        }
    }

    /** Bytes of decoded images that one row of a chunk holds in memory (0 with a disk cache). */
    long bytesPerRow() {
        long b = 0;
        for (int s : sizes) {
            b += 3L * s * s;
        }
        return onDisk ? 0 : b;
    }

    /** Sets the chunk size and, with a disk cache, decodes the rows it lacks (finding the bad ones). */
    void prepare(int chunkRows) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunk rows: " + chunkRows + " (expected: >= 1)");
        }
        this.chunkRows = chunkRows;
        if (!onDisk) {
            return; // each chunk is decoded into memory when it is handed out
        }
        good = goodRows(rows, caches.get(sizes.get(0)).preload(rows, "decode test"));
        for (int s : sizes.subList(1, sizes.size())) {
            List<String> failed = caches.get(s).preload(good, "decode test at " + s + " px");
            if (!failed.isEmpty()) {
                throw new DataException("test images: " + failed.size() + " could not be loaded at " + s + " px", failed);
            }
        }
    }

    /** How many units {@link #consumed()} counts up to. */
    long total() {
        return onDisk ? good.size() : rows.size();
    }

    /** Rows handed out so far (disk cache: good rows; memory: manifest rows, skipped ones included). */
    long consumed() {
        return cursor;
    }

    /**
     * The next chunk: the chunk size of good rows (fewer only at the end), in manifest order,
     * with their images ready; empty when every row has been handed out. The list is new.
     */
    List<Sample> next() {
        if (chunkRows == 0) {
            throw new IllegalStateException("test images: prepare() first");
        }
        if (onDisk) {
            int to = Math.min(good.size(), cursor + chunkRows);
            List<Sample> chunk = new ArrayList<>(good.subList(cursor, to));
            cursor = to;
            return chunk;
        }
        List<Sample> chunk = new ArrayList<>();
        while (chunk.size() < chunkRows && cursor < rows.size()) {
            int to = Math.min(rows.size(), cursor + chunkRows - chunk.size());
            List<Sample> piece = rows.subList(cursor, to);
            cursor = to;
            List<Sample> ok = goodRows(piece, decode(caches.get(sizes.get(0)), piece));
            for (int s : sizes.subList(1, sizes.size())) {
                List<String> failed = decode(caches.get(s), ok);
                if (!failed.isEmpty()) {
                    throw new DataException("test images: " + failed.size() + " could not be loaded at " + s + " px",
                            failed);
                }
            }
            chunk.addAll(ok);
        }
        return chunk;
    }

    /** The cache of one image size (owned by this object). */
    ImageCache cache(int size) {
        ImageCache c = caches.get(size);
        if (c == null) {
            throw new IllegalArgumentException("image size " + size + " (expected: one of " + sizes + ")");
        }
        return c;
    }

    /** Drops the decoded images of the last chunk (memory mode). */
    void release() {
        for (ImageCache c : caches.values()) {
            c.clearMemory();
        }
    }

    /** Rows left out because their image did not load (on_bad_image: skip). */
    int skipped() {
        return skipped;
    }

    /** The first {@link DataException#MAX_LISTED} of them, as {@code file:line ID 'x': reason}. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    /** {@code piece} without the rows in {@code failures}, by {@code data.on_bad_image}. */
    private List<Sample> goodRows(List<Sample> piece, List<String> failures) {
        if (failures.isEmpty()) {
            return piece;
        }
        if (!"skip".equals(policy)) {
            return CompetitionData.applyBadImagePolicy(piece, failures, policy, "test images"); // throws
        }
        List<Sample> ok = new ArrayList<>(piece.size());
        int f = 0;
        for (Sample s : piece) {
            // failures are in piece order, each starting with its row's file:line ID
            if (f < failures.size() && failures.get(f).startsWith(s.where() + ": ")) {
                if (problems.size() < DataException.MAX_LISTED) {
                    problems.add(failures.get(f));
                    LOG.warn("test images: skipping {} (data.on_bad_image: skip)", failures.get(f));
                }
                skipped++;
                f++;
            } else {
                ok.add(s);
            }
        }
        return ok;
    }

    /** Decodes {@code piece} into {@code cache}'s memory; the failures, in piece order. */
    private static List<String> decode(ImageCache cache, List<Sample> piece) {
        return cache.preload(piece, null);
    }

    @Override
    public void close() {
        caches.values().forEach(ImageCache::close);
    }
}
