package dev.jvision.data;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * The competition layout as a {@link Dataset}: manifest rows decoded and resized by an
 * {@link ImageCache} (so items are already at the cache's size and shared with it). Immutable;
 * thread-safe because the cache is.
 */
class SampleDataset implements Dataset {
    private final List<Sample> samples;
    private final ImageCache cache;

    SampleDataset(List<Sample> samples, ImageCache cache) {
        this.samples = List.copyOf(samples);
        this.cache = Objects.requireNonNull(cache, "cache");
    }

    @Override
    public int size() {
        return samples.size();
    }

    @Override
    public Item get(int index) throws IOException {
        Sample s = samples.get(index);
        int n = cache.size();
        return Item.rgb(cache.get(s), n, n, s.label());
    }

    @Override
    public boolean threadSafe() {
        return true;
    }

    /** Side length of the cache's images. */
    int cacheSize() {
        return cache.size();
    }

    /** Copies item {@code index}'s pixels (at {@link #cacheSize()}) into {@code dst} at {@code off}, without an extra array when the cache is on disk. */
    void readInto(int index, byte[] dst, int off) throws IOException {
        cache.readInto(samples.get(index), dst, off);
    }

    /**
     * A view of the same rows over a new image cache at {@code size} (same folder, mode, workers
     * and decoding as this one's), preloaded; closing the view closes that cache. This dataset
     * when {@code size} is its cache's.
     */
    @Override
    public Dataset atSize(int size) {
        if (size == cache.size()) return this;
        ImageCache c = cache.atSize(size);
        try {
            List<String> failed = c.preload(samples, "cache " + size + " px");
            if (!failed.isEmpty()) {
                throw new IllegalStateException("decoding the training images at " + size + " px: " + failed.size()
                        + " failed, first: " + failed.get(0) + " (they decoded at " + cache.size() + " px before)");
            }
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return new Staged(samples, c);
    }

    @Override
    public Dataset atSize(int size, int shard, int shards, Runnable barrier) {
        if (size == cache.size() || shards < 2 || !cache.onDisk()) return atSize(size);
        try (ImageCache c = cache.atSize(size)) {
            List<Sample> share = new java.util.ArrayList<>();
            for (int i = shard; i < samples.size(); i += shards) share.add(samples.get(i));
            c.preload(share, "cache " + size + " px (rank " + shard + "'s share)"); // failures: reported below
        }
        barrier.run();
        return atSize(size);
    }

    /** A {@link SampleDataset} that owns its cache. */
    private static final class Staged extends SampleDataset implements AutoCloseable {
        private final ImageCache owned;

        Staged(List<Sample> samples, ImageCache cache) {
            super(samples, cache);
            this.owned = cache;
        }

        @Override
        public void close() {
            owned.clearMemory();
            owned.close();
        }
    }

    @Override
    public int label(int index) {
        return samples.get(index).label();
    }

    @Override
    public String id(int index) {
        return samples.get(index).id();
    }
}
