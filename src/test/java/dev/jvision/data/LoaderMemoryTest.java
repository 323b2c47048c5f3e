package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader's memory does not grow with the data set: workers never run further ahead of the
 * consumer than the configured depth, and the heap after a pass over many images is what it is
 * after a pass over a few.
 */
class LoaderMemoryTest {
    @TempDir Path dir;

    /** Items decoded from one small JPEG; records how far ahead of the consumer the workers read. */
    private static final class Generated implements Dataset {
        final int n;
        final byte[] jpeg;
        final AtomicInteger highest = new AtomicInteger(-1);

        Generated(int n, byte[] jpeg) {
            this.n = n;
            this.jpeg = jpeg;
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public Item get(int index) {
            highest.accumulateAndGet(index, Math::max);
            return Item.encoded(jpeg, index % 7);
        }

        @Override
        public boolean threadSafe() {
            return true;
        }
    }

    private static byte[] jpeg(int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 7 + y * 13) * 2654435 & 0xffffff);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", out);
        return out.toByteArray();
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    /** One pass over {@code n} items at 64 px; returns the heap in use after it (loader closed, batches dropped). */
    private static long pass(int n, int batch, int prefetch, int workers, byte[] jpeg) {
        Generated d = new Generated(n, jpeg);
        int depth = Math.max(prefetch, workers);
        int consumed = 0;
        try (BatchLoader l = new BatchLoader(d, 64, batch, false, 0, false, prefetch, workers)) {
            while (l.hasNext()) {
                Batch b = l.next();
                consumed += b.size();
                // in flight: at most depth + 1 batches beyond the one just handed out
                int ahead = d.highest.get() + 1 - consumed;
                assertTrue(ahead <= (depth + 1) * batch, "workers read " + ahead + " items ahead (bound "
                        + (depth + 1) * batch + ")");
            }
        }
        assertEquals(n, consumed);
        return usedHeapAfterGc();
    }

    @Test
    void manyItems_readAheadBoundedByDepth_heapDoesNotGrowWithDatasetSize() throws Exception {
        byte[] jpeg = jpeg(96, 80);
        pass(500, 16, 2, 3, jpeg); // warm up decoders and classes
        long small = pass(1_000, 16, 2, 3, jpeg);
        long large = pass(20_000, 16, 2, 3, jpeg); // 20k x 12 KiB = 234 MiB of pixels if they were kept
        assertTrue(large - small < 48L << 20, "heap grew by " + ((large - small) >> 20) + " MiB between 1k and 20k items");
    }

    @Test
    void diskCache_overManyFiles_holdsNoPixelsInMemory() throws Exception {
        byte[] jpeg = jpeg(40, 30);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            Path f = dir.resolve("img").resolve((i % 10) + "").resolve(i + ".jpg");
            Files.createDirectories(f.getParent());
            // distinct bytes (a tag after the end-of-image marker, which decoders skip): one record each
            byte[] tagged = java.util.Arrays.copyOf(jpeg, jpeg.length + 4);
            java.nio.ByteBuffer.wrap(tagged, jpeg.length, 4).putInt(i);
            Files.write(f, tagged);
            samples.add(new Sample(i + ".jpg", i % 5, f, dir.resolve("train.csv"), i + 2));
        }
        try (ImageCache cache = new ImageCache(32, dir.resolve("cache"), 2)) {
            assertTrue(cache.preload(samples, "test").isEmpty());
            assertEquals(0, cache.cachedCount());
            assertEquals(3_000, cache.diskCount());
            assertEquals(1, cache.cacheFiles().size());
        }
    }
}
