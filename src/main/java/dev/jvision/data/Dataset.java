package dev.jvision.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * Labelled images that training and validation read by index: the seam between any data
 * source and {@code Trainer}. The competition CSV layout is one implementation
 * ({@link #of(List, ImageCache)}); images held or produced in Java are another (implement
 * {@link #size()} and {@link #get(int)}, or use {@link #of(List)}).
 *
 * <p>An item is an encoded image (JPEG, PNG, ... bytes), an AWT {@code BufferedImage} or decoded
 * RGB pixels, of any size, plus its class; the loader decodes and resizes it to the training size. {@link #label(int)} and
 * {@link #id(int)} are read without loading the image (override {@code label} when loading is
 * costly).
 *
 * <p>Thread-safety: the batch loader calls {@link #get} from its worker threads, one call at a
 * time unless {@link #threadSafe()} says concurrent calls are fine; an implementation read from
 * other threads as well must be thread-safe itself. Items are not modified by jvision.
 */
public interface Dataset {
    /** Number of items. */
    int size();

    /**
     * Item {@code index} (0-based, below {@link #size()}).
     *
     * @throws IOException when the image cannot be read; the loader passes it to the trainer
     */
    Item get(int index) throws IOException;

    /** The class of item {@code index}; by default read from {@link #get}. */
    default int label(int index) {
        try {
            return get(index).label();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A name for item {@code index} in reports (out-of-fold logits); by default its index. */
    default String id(int index) {
        return Integer.toString(index);
    }

    /**
     * Whether {@link #get}, {@link #label} and {@link #id} may be called from several threads at
     * once; false by default (the loader then serialises {@code get}, but still decodes and
     * resizes the items in parallel).
     */
    default boolean threadSafe() {
        return false;
    }

    /**
     * The same items for training at {@code size} pixels (progressive resize: a stage below the
     * final size). By default this dataset itself, and the loader resizes each item. A dataset
     * backed by an image cache returns a view over a cache at {@code size}, built before it
     * returns (a progress line per quarter; on disk, shards {@code s<size>} reused by later runs),
     * so that the stage's pixels are those of decoding straight to its size. The caller owns the
     * result: when it is not this dataset and is {@link AutoCloseable}, close it after the stage.
     * May take minutes on a large data set.
     */
    default Dataset atSize(int size) {
        return this;
    }

    /**
     * {@link #atSize(int)} for one of {@code shards} data-parallel ranks, which all call it: a
     * dataset whose cache is on disk first decodes only its share (every {@code shards}-th item
     * from {@code shard}), runs {@code barrier} (which returns when every rank has), then opens
     * the cache with all ranks' records. By default {@link #atSize(int)} (the barrier is not run).
     */
    default Dataset atSize(int size, int shard, int shards, Runnable barrier) {
        return atSize(size);
    }

    /** The labels of all items, in order. */
    default int[] labels() {
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = label(i);
        }
        return out;
    }

    /**
     * One image and its class: exactly one of {@code encoded} (file bytes in any format OpenCV
     * decodes) and {@code decoded} (RGB pixels) is set. Immutable by convention (arrays are not
     * copied).
     *
     * @param encoded encoded image bytes, or null
     * @param decoded decoded pixels, or null
     * @param label   class index, &gt;= 0
     */
    record Item(byte[] encoded, Images.Rgb decoded, int label) {
        public Item {
            if ((encoded == null) == (decoded == null)) {
                throw new IllegalArgumentException("item: " + (encoded == null ? "no image" : "two images")
                        + " (expected: encoded bytes or decoded pixels)");
            }
            if (decoded != null && decoded.pixels().length != decoded.w() * decoded.h() * 3) {
                throw new IllegalArgumentException("item pixels: " + decoded.pixels().length + " bytes (expected: "
                        + decoded.w() + " x " + decoded.h() + " x 3, HWC RGB)");
            }
        }

        /** An encoded image (JPEG, PNG, BMP, WebP, TIFF, ... bytes). */
        public static Item encoded(byte[] bytes, int label) {
            return new Item(Objects.requireNonNull(bytes, "bytes"), null, label);
        }

        /** An AWT image (alpha composited on white, grayscale to 3 channels, as {@link Images#fromBufferedImage}). */
        public static Item image(java.awt.image.BufferedImage image, int label) {
            return new Item(null, Images.fromBufferedImage(Objects.requireNonNull(image, "image")), label);
        }

        /** Decoded pixels: HWC RGB uint8, {@code width * height * 3} bytes. */
        public static Item rgb(byte[] pixels, int width, int height, int label) {
            return new Item(null, new Images.Rgb(Objects.requireNonNull(pixels, "pixels"), width, height), label);
        }

        /**
         * The pixels resized to {@code size x size} (as images on disk are: INTER_AREA when
         * shrinking, INTER_LINEAR when growing); the item's own array when already that size.
         *
         * @param what names the item in messages
         * @throws IOException when encoded bytes cannot be decoded
         */
        public byte[] pixels(int size, String what) throws IOException {
            Images.Rgb rgb = decoded != null ? decoded : Images.decode(encoded, what);
            return Images.resize(rgb, size);
        }
    }

    /** Items held in memory (for example images produced in Java); the list is copied. */
    static Dataset of(List<Item> items) {
        List<Item> copy = List.copyOf(items);
        return new Dataset() {
            @Override
            public int size() {
                return copy.size();
            }

            @Override
            public Item get(int index) {
                return copy.get(index);
            }

            @Override
            public boolean threadSafe() {
                return true;
            }
        };
    }

    /**
     * Manifest rows (the competition CSV layout) whose pixels come from {@code cache}, already at
     * the cache's size; ids are the rows' IDs. The list is copied; thread-safe.
     */
    static Dataset of(List<Sample> samples, ImageCache cache) {
        return new SampleDataset(samples, cache);
    }
}
