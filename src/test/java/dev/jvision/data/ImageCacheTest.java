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
    void diskCache_roundTrip_reusedByANewCacheWithoutWriting() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Sample s = sample("a.png", 12, 34, 56);
        Sample t = sample("b.png", 200, 10, 99);
        byte[] direct = Images.loadResized(s.file(), 5);
        try (ImageCache c1 = new ImageCache(5, cacheDir)) {
            assertTrue(c1.preload(List.of(s, t), "test").isEmpty());
            assertEquals(2, c1.diskCount());
            assertArrayEquals(direct, c1.get(s));
            assertEquals(0, c1.cachedCount()); // nothing held in memory
        }
        Path shard;
        try (var st = Files.list(cacheDir.resolve("s5"))) {
            List<Path> files = st.toList();
            assertEquals(1, files.size(), files.toString()); // no temporary file left
            shard = files.get(0);
            assertTrue(shard.getFileName().toString().endsWith(".jvc"));
        }
        try (var st = Files.list(cacheDir)) { // the s5 folder and the stat index, shared by all sizes
            List<String> names = st.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            assertEquals("s5", names.get(0));
            assertTrue(names.get(1).matches("stat-[0-9a-f]{16}\\.jvi"), names.toString());
        }
        long before = Files.getLastModifiedTime(shard).toMillis();
        try (ImageCache c2 = new ImageCache(5, cacheDir)) {
            assertEquals(2, c2.diskCount());
            assertTrue(c2.preload(List.of(t, s), "again").isEmpty());
            assertEquals(List.of(shard), c2.cacheFiles()); // reused, no new shard
            assertEquals(0, c2.decodeCount());
            byte[] into = new byte[2 + 75];
            c2.readInto(s, into, 2);
            assertArrayEquals(direct, java.util.Arrays.copyOfRange(into, 2, 77));
            assertArrayEquals(Images.loadResized(t.file(), 5), c2.get(t));
            assertEquals(0, c2.decodeCount());
        }
        assertEquals(before, Files.getLastModifiedTime(shard).toMillis());
        // another size is another cache
        try (ImageCache c3 = new ImageCache(6, cacheDir)) {
            assertEquals(0, c3.diskCount());
        }
    }

    @Test
    void diskCache_readByAnInterruptedThread_stillWorksForEveryone() throws Exception {
        Sample s = sample("a.png", 12, 34, 56);
        byte[] direct = Images.loadResized(s.file(), 5);
        try (ImageCache c = new ImageCache(5, dir.resolve("cache"))) {
            c.preload(List.of(s), "test");
            Thread.currentThread().interrupt(); // FileChannel closes itself when read by an interrupted thread
            try {
                assertArrayEquals(direct, c.get(s));
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
            assertArrayEquals(direct, c.get(s));
        }
    }

    @Test
    void diskCache_changedImage_isDecodedAgain() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Sample s = sample("a.png", 12, 34, 56);
        try (ImageCache c1 = new ImageCache(5, cacheDir)) {
            c1.preload(List.of(s), "test");
        }
        TestImages.rgbPng(s.file(), 9, 7, 250, 1, 2);
        Files.setLastModifiedTime(s.file(), java.nio.file.attribute.FileTime.fromMillis(123_000));
        try (ImageCache c2 = new ImageCache(5, cacheDir)) {
            assertArrayEquals(Images.loadResized(s.file(), 5), c2.get(s));
            c2.preload(List.of(s), "test");
            assertEquals(2, c2.diskCount()); // the old record stays, keyed by the old content
            assertArrayEquals(Images.loadResized(s.file(), 5), c2.get(s));
        }
    }

    @Test
    void diskCache_interruptedOrDamagedShards_areNeverRead() throws Exception {
        Path cacheDir = dir.resolve("cache");
        Sample s = sample("a.png", 200, 100, 0);
        byte[] direct = Images.loadResized(s.file(), 5);
        try (ImageCache c1 = new ImageCache(5, cacheDir)) {
            c1.preload(List.of(s), "test");
        }
        Path shard;
        try (var st = Files.list(cacheDir.resolve("s5"))) {
            shard = st.filter(p -> p.toString().endsWith(".jvc")).findFirst().orElseThrow();
        }
        byte[] good = Files.readAllBytes(shard);
        // a killed build leaves only a temporary file: ignored
        Files.write(cacheDir.resolve("s5").resolve("shard-dead.jvc.tmp"), new byte[] {1, 2, 3});
        // a truncated shard (e.g. copied by hand): ignored, the image is cached again
        Files.write(shard, java.util.Arrays.copyOf(good, good.length - 10));
        try (ImageCache c2 = new ImageCache(5, cacheDir)) {
            assertEquals(0, c2.diskCount());
            assertArrayEquals(direct, c2.get(s));
            assertTrue(c2.preload(List.of(s), "test").isEmpty());
            assertEquals(1, c2.diskCount());
            assertArrayEquals(direct, c2.get(s));
        }
        // a bad header: ignored
        byte[] bad = good.clone();
        bad[0] ^= 0x55;
        Files.write(shard, bad);
        try (ImageCache c3 = new ImageCache(5, cacheDir)) {
            assertEquals(1, c3.diskCount()); // the shard written by c2 only
        }
    }

    @Test
    void diskCache_preload_reportsBadImagesAsTheMemoryCacheDoes() throws Exception {
        Sample a = sample("a.png", 1, 2, 3);
        Path bad = TestImages.randomBytes(dir.resolve("img/bad.jpg"), 300, 5);
        Sample b = new Sample("bad.jpg", 1, bad, dir.resolve("train.csv"), 3);
        Sample m = new Sample("gone.png", 1, dir.resolve("img/gone.png"), dir.resolve("train.csv"), 4);
        Sample b2 = new Sample("bad.jpg", 1, bad, dir.resolve("train.csv"), 5); // the same file on another row
        List<String> inMemory = new ImageCache(4, null).preload(List.of(a, b, m, b2), "test");
        assertEquals(3, inMemory.size(), inMemory.toString());
        try (ImageCache c = new ImageCache(4, dir.resolve("cache"))) {
            List<String> failed = c.preload(List.of(a, b, m, b2), "test");
            assertEquals(inMemory, failed);
            assertEquals(1, c.diskCount());
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> c.get(b));
            assertTrue(e.getMessage().contains("bad.jpg: cannot decode"), e.getMessage());
        }
    }

    @Test
    void reducedDecode_largeJpeg_closeToTheFullDecode_andCachedApart() throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(160, 120, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 120; y++) for (int x = 0; x < 160; x++) img.setRGB(x, y, (x * 255 / 160) << 16 | (y * 2) << 8 | 90);
        Path f = dir.resolve("img/big.jpg");
        Files.createDirectories(f.getParent());
        javax.imageio.ImageIO.write(img, "jpg", f.toFile());
        byte[] enc = Files.readAllBytes(f);
        assertArrayEquals(new int[] {160, 120}, Images.jpegSize(enc));
        assertNull(Images.jpegSize(Files.readAllBytes(TestImages.rgbPng(dir.resolve("p.png"), 4, 4, 1, 2, 3))));
        byte[] full = new byte[24 * 24 * 3], reduced = new byte[24 * 24 * 3];
        Images.decodeResizedInto(enc, 24, f, full, 0, false);
        Images.decodeResizedInto(enc, 24, f, reduced, 0, true); // 160x120 -> decoded at 1/4 (40x30), then 24x24
        long diff = 0;
        for (int i = 0; i < full.length; i++) diff += Math.abs((full[i] & 0xff) - (reduced[i] & 0xff));
        assertTrue(diff > 0, "reduced decoding took the full path");
        assertTrue(diff / (double) full.length < 4.0, "mean difference " + diff / (double) full.length);
        Sample s = new Sample("big.jpg", 0, f, dir.resolve("train.csv"), 2);
        try (ImageCache r = new ImageCache(24, dir.resolve("cache"), 1, true);
             ImageCache plain = new ImageCache(24, dir.resolve("cache"), 1, false)) {
            r.preload(List.of(s), "test");
            assertArrayEquals(reduced, r.get(s));
            assertEquals(0, plain.diskCount());
            assertArrayEquals(full, plain.get(s));
        }
    }

    @Test
    void decodeResizedInto_matchesTheReferencePath() throws Exception {
        java.util.Random r = new java.util.Random(3);
        for (int[] wh : new int[][] {{37, 23}, {8, 8}, {3, 5}, {64, 41}}) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(wh[0], wh[1],
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < wh[1]; y++) for (int x = 0; x < wh[0]; x++) img.setRGB(x, y, r.nextInt(1 << 24));
            for (String fmt : new String[] {"png", "jpg"}) {
                Path f = dir.resolve("r" + wh[0] + "." + fmt);
                javax.imageio.ImageIO.write(img, fmt, f.toFile());
                byte[] enc = Files.readAllBytes(f);
                for (int size : new int[] {8, 16, 32}) {
                    byte[] ref = Images.resize(Images.decode(enc, "x"), size);
                    byte[] got = new byte[size * size * 3 + 1];
                    Images.decodeResizedInto(enc, size, "x", got, 1);
                    assertArrayEquals(ref, java.util.Arrays.copyOfRange(got, 1, got.length), fmt + " " + wh[0] + " -> " + size);
                }
            }
        }
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
