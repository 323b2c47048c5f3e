package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCacheTest {
    @TempDir Path dir;

    private Sample sample(String name, int r, int g, int b) throws Exception {
        Path f = TestImages.rgbPng(dir.resolve("img").resolve(name), 9, 7, r, g, b);
        return new Sample(name, 0, f, dir.resolve("train.csv"), 2);
    }

    @Test
    void diskCache_roundTrip() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Sample s = sample("a.png", 12, 34, 56);
        byte[] direct = Images.loadResized(s.file(), 5);
        ImageCache c1 = new ImageCache(5, cacheDir);
        assertArrayEquals(direct, c1.get(s));
        Path cf = c1.cacheFile(s.file());
        assertTrue(Files.isRegularFile(cf));
        assertTrue(cf.getFileName().toString().endsWith("_5.rgb"));
        try (var st = Files.list(cacheDir)) {
            assertEquals(1, st.count()); // no temp files left
        }
        // second cache reads from disk: replace the source bytes' decode path by checking mtime unchanged
        long before = Files.getLastModifiedTime(cf).toMillis();
        ImageCache c2 = new ImageCache(5, cacheDir);
        assertArrayEquals(direct, c2.get(s));
        assertEquals(before, Files.getLastModifiedTime(cf).toMillis());
        assertEquals(1, c2.cachedCount());
        assertEquals(5, c2.size());
    }

    @Test
    void corruptCacheFile_ignoredAndRewritten() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Sample s = sample("a.png", 200, 100, 0);
        byte[] direct = Images.loadResized(s.file(), 5);
        ImageCache c1 = new ImageCache(5, cacheDir);
        c1.get(s);
        Path cf = c1.cacheFile(s.file());
        byte[] good = Files.readAllBytes(cf);
        // same length, flipped pixel -> bad checksum
        byte[] flipped = good.clone();
        flipped[20] ^= 0x55;
        Files.write(cf, flipped);
        assertArrayEquals(direct, new ImageCache(5, cacheDir).get(s));
        assertArrayEquals(good, Files.readAllBytes(cf));
        // truncated
        Files.write(cf, new byte[] {1, 2, 3});
        assertArrayEquals(direct, new ImageCache(5, cacheDir).get(s));
        assertArrayEquals(good, Files.readAllBytes(cf));
    }

    @Test
    void preload_reportsBadImagesWithoutThrowing() throws Exception {
        Sample a = sample("a.png", 1, 2, 3);
        Path bad = TestImages.randomBytes(dir.resolve("img/bad.jpg"), 300, 5);
        Sample b = new Sample("bad.jpg", 1, bad, dir.resolve("train.csv"), 3);
        Sample m = new Sample("gone.png", 1, dir.resolve("img/gone.png"), dir.resolve("train.csv"), 4);
        ImageCache c = new ImageCache(4, null);
        List<String> failed = c.preload(List.of(a, b, m), "test");
        assertEquals(2, failed.size(), failed.toString());
        assertTrue(failed.get(0).startsWith("train.csv:3 ID 'bad.jpg': cannot decode"), failed.get(0));
        assertTrue(failed.get(1).startsWith("train.csv:4 ID 'gone.png': missing file"), failed.get(1));
        assertEquals(1, c.cachedCount());
    }
}
