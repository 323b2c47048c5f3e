package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progressive resize reads each stage from a cache at the stage's size ({@link Dataset#atSize}):
 * the stage's pixels are those of decoding straight to its size, not a second resize of the
 * final-size image, on disk and in memory.
 */
class StageCacheTest {
    @TempDir
    Path dir;

    private List<Sample> noise(int n) throws Exception {
        Random r = new Random(7);
        List<Sample> out = new ArrayList<>();
        Files.createDirectories(dir.resolve("img"));
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(41, 37, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 37; y++) {
                for (int x = 0; x < 41; x++) img.setRGB(x, y, r.nextInt(1 << 24));
            }
            Path f = dir.resolve("img/" + i + ".png");
            ImageIO.write(img, "png", f.toFile());
            out.add(new Sample(i + ".png", i % 3, f, dir.resolve("train.csv"), i + 2));
        }
        return out;
    }

    private static void check(Dataset staged, List<Sample> samples, int size) throws Exception {
        assertEquals(samples.size(), staged.size());
        for (int i = 0; i < samples.size(); i++) {
            Dataset.Item it = staged.get(i);
            assertEquals(size, it.decoded().w());
            assertEquals(size, it.decoded().h());
            assertArrayEquals(Images.loadResized(samples.get(i).file(), size), it.decoded().pixels(), "item " + i);
            assertEquals(samples.get(i).label(), staged.label(i));
            assertEquals(samples.get(i).id(), staged.id(i));
        }
    }

    @Test
    void diskCache_stageViewIsDecodedAtItsSize_keptForTheNextRun() throws Exception {
        List<Sample> samples = noise(6);
        Path cacheDir = dir.resolve("cache");
        try (ImageCache fin = new ImageCache(32, cacheDir)) {
            assertTrue(fin.preload(samples, "final").isEmpty());
            Dataset full = Dataset.of(samples, fin);
            assertSame(full, full.atSize(32), "the final size is the dataset itself");
            Dataset staged = full.atSize(16);
            assertNotSame(full, staged);
            check(staged, samples, 16);
            // not the final-size image resized again (that would be a different picture of noise)
            byte[] twice = Images.resize(new Images.Rgb(fin.get(samples.get(0)), 32, 32), 16);
            assertFalse(java.util.Arrays.equals(twice, staged.get(0).decoded().pixels()));
            ((AutoCloseable) staged).close();
        }
        try (ImageCache again = new ImageCache(16, cacheDir)) {
            assertEquals(6, again.diskCount(), "the stage's shards stay for later runs and folds");
        }
    }

    @Test
    void memoryCache_stageViewIsDecodedAtItsSize_droppedOnClose() throws Exception {
        List<Sample> samples = noise(4);
        try (ImageCache fin = new ImageCache(24, null)) {
            Dataset staged = Dataset.of(samples, fin).atSize(12);
            check(staged, samples, 12);
            assertEquals(0, fin.cachedCount(), "the final-size cache is not filled by the stage");
            ((AutoCloseable) staged).close();
        }
    }

    /** A data-parallel rank decodes only its share before the barrier, then reads every image. */
    @Test
    void diskCache_rankShare_decodedBeforeTheBarrier_allReadableAfter() throws Exception {
        List<Sample> samples = noise(7);
        Path cacheDir = dir.resolve("cache");
        try (ImageCache fin = new ImageCache(32, cacheDir)) {
            assertTrue(fin.preload(samples, "final").isEmpty());
            int[] atBarrier = {-1};
            Dataset staged = Dataset.of(samples, fin).atSize(16, 1, 2, () -> {
                try (ImageCache look = new ImageCache(16, cacheDir)) {
                    atBarrier[0] = look.diskCount();
                }
            });
            assertEquals(3, atBarrier[0], "rank 1 of 2 decodes items 1, 3 and 5 before the barrier");
            check(staged, samples, 16);
            ((AutoCloseable) staged).close();
            int[] ran = {0};
            assertSame(Dataset.of(samples, fin).atSize(32, 0, 2, () -> ran[0]++).getClass(), SampleDataset.class);
            assertEquals(0, ran[0], "no stage: no barrier");
        }
    }
}
