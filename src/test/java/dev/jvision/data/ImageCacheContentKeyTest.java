package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The disk cache keyed by content: copies, touches, edits, damaged stat index segments, killed builds. */
class ImageCacheContentKeyTest {
    static final int SIZE = 24;
    @TempDir Path dir;

    /** {@code n} different JPEGs {@code 0.jpg ...} in {@code folder}. */
    private List<Sample> images(Path folder, int n) throws Exception {
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path f = TestImages.jpeg(folder.resolve(i + ".jpg"), 40, 30, 100 + i);
            out.add(new Sample(i + ".jpg", 0, f, dir.resolve("train.csv"), i + 2));
        }
        return out;
    }

    /** The same IDs under another folder. */
    private List<Sample> at(List<Sample> samples, Path folder) {
        return samples.stream().map(s -> new Sample(s.id(), s.label(), folder.resolve(s.id()), s.csv(), s.line())).toList();
    }

    /** Copies the images into {@code folder} with a new modification time (as a re-download would). */
    private List<Sample> copy(List<Sample> samples, Path folder) throws Exception {
        Files.createDirectories(folder);
        List<Sample> out = at(samples, folder);
        for (int i = 0; i < samples.size(); i++) {
            Files.copy(samples.get(i).file(), out.get(i).file());
            Files.setLastModifiedTime(out.get(i).file(), FileTime.fromMillis(1_700_000_000_000L + i));
        }
        return out;
    }

    private static byte[][] pixels(List<Sample> samples) throws Exception {
        byte[][] px = new byte[samples.size()][];
        for (int i = 0; i < px.length; i++) px[i] = Images.loadResized(samples.get(i).file(), SIZE);
        return px;
    }

    private static void assertPixels(byte[][] expected, ImageCache c, List<Sample> samples) throws Exception {
        for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], c.get(samples.get(i)), samples.get(i).id());
    }

    private static Path only(Path folder, String glob) throws Exception {
        try (var ds = Files.newDirectoryStream(folder, glob)) {
            List<Path> l = new ArrayList<>();
            ds.forEach(l::add);
            assertEquals(1, l.size(), l.toString());
            return l.get(0);
        }
    }

    private static List<String> warnings(Class<?> source, Supplier<AutoCloseable> body) throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(source);
        logs.start();
        logger.addAppender(logs);
        try {
            body.get().close();
        } finally {
            logger.detachAppender(logs);
        }
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void copiedFolder_withNewMtimes_reusesTheCacheWithoutDecoding() throws Exception {
        Path cache = dir.resolve("cache");
        List<Sample> orig = images(dir.resolve("a/img"), 6);
        byte[][] expected = pixels(orig);
        List<Path> shards;
        try (ImageCache c1 = new ImageCache(SIZE, cache)) {
            assertTrue(c1.preload(orig, "build").isEmpty());
            assertEquals(6, c1.decodeCount());
            shards = c1.cacheFiles();
        }
        List<Sample> moved = copy(orig, dir.resolve("b/elsewhere"));
        try (ImageCache c2 = new ImageCache(SIZE, cache)) {
            assertTrue(c2.preload(moved, "copy").isEmpty());
            assertEquals(0, c2.decodeCount());
            assertEquals(shards, c2.cacheFiles()); // no new shard
            assertEquals(6, c2.diskCount());
            assertEquals(12, c2.disk().stats().size()); // both folders' (path, length, mtime)
            assertPixels(expected, c2, moved);
            assertEquals(0, c2.decodeCount());
        }
        // a third copy read without preload: hashed on first read, never decoded
        List<Sample> third = copy(orig, dir.resolve("c"));
        try (ImageCache c3 = new ImageCache(SIZE, cache)) {
            assertPixels(expected, c3, third);
            assertEquals(0, c3.decodeCount());
        }
        try (ImageCache c4 = new ImageCache(SIZE, cache)) {
            assertEquals(18, c4.disk().stats().size()); // close() wrote what the reads learnt
        }
    }

    @Test
    void identicalBytes_atTwoPaths_shareOneRecord() throws Exception {
        List<Sample> s = new ArrayList<>(images(dir.resolve("img"), 2));
        Path dup = dir.resolve("img/dup.jpg");
        Files.copy(s.get(0).file(), dup);
        s.add(new Sample("dup.jpg", 0, dup, dir.resolve("train.csv"), 9));
        try (ImageCache c = new ImageCache(SIZE, dir.resolve("cache"))) {
            assertTrue(c.preload(s, "build").isEmpty());
            assertEquals(2, c.decodeCount());
            assertEquals(2, c.diskCount());
            assertArrayEquals(Images.loadResized(s.get(0).file(), SIZE), c.get(s.get(2)));
            assertEquals(2, c.decodeCount());
        }
    }

    @Test
    void touchedFile_isReusedWithoutDecoding_andItsNewStatIsRecorded() throws Exception {
        Path cache = dir.resolve("cache");
        List<Sample> s = images(dir.resolve("img"), 3);
        byte[][] expected = pixels(s);
        try (ImageCache c1 = new ImageCache(SIZE, cache)) {
            c1.preload(s, "build");
        }
        Path touched = s.get(1).file();
        FileTime later = FileTime.fromMillis(Files.getLastModifiedTime(touched).toMillis() + 10_000);
        Files.setLastModifiedTime(touched, later);
        try (ImageCache c2 = new ImageCache(SIZE, cache)) {
            assertEquals(1, c2.disk().stats().segments().size());
            assertTrue(c2.preload(s, "touched").isEmpty());
            assertEquals(0, c2.decodeCount());
            assertEquals(4, c2.disk().stats().size());
            assertEquals(2, c2.disk().stats().segments().size()); // the new entry, in its own segment
            assertPixels(expected, c2, s);
        }
        // the next run trusts the stat entry and does not read the file: replacing its bytes while
        // keeping length and mtime goes unnoticed (which is what makes a run cost one stat per image)
        long length = Files.size(touched);
        TestImages.randomBytes(touched, (int) length, 9);
        Files.setLastModifiedTime(touched, later);
        try (ImageCache c3 = new ImageCache(SIZE, cache)) {
            assertTrue(c3.preload(s, "again").isEmpty());
            assertEquals(0, c3.decodeCount());
            assertArrayEquals(expected[1], c3.get(s.get(1)));
        }
    }

    @Test
    void changedContent_atTheSamePath_isDecodedAgain() throws Exception {
        Path cache = dir.resolve("cache");
        List<Sample> s = images(dir.resolve("img"), 2);
        byte[] old = Images.loadResized(s.get(0).file(), SIZE);
        try (ImageCache c1 = new ImageCache(SIZE, cache)) {
            c1.preload(s, "build");
        }
        Path f = s.get(0).file();
        long mtime = Files.getLastModifiedTime(f).toMillis();
        TestImages.jpeg(f, 40, 30, 7);
        Files.setLastModifiedTime(f, FileTime.fromMillis(mtime + 10_000));
        byte[] fresh = Images.loadResized(f, SIZE);
        assertFalse(Arrays.equals(old, fresh));
        try (ImageCache c2 = new ImageCache(SIZE, cache)) {
            assertTrue(c2.preload(s, "edited").isEmpty());
            assertEquals(1, c2.decodeCount());
            assertArrayEquals(fresh, c2.get(s.get(0)));
            assertEquals(3, c2.diskCount());
        }
        // edited again, read without preload: decoded on read, the new pixels
        TestImages.jpeg(f, 40, 30, 8);
        Files.setLastModifiedTime(f, FileTime.fromMillis(mtime + 20_000));
        try (ImageCache c3 = new ImageCache(SIZE, cache)) {
            assertArrayEquals(Images.loadResized(f, SIZE), c3.get(s.get(0)));
            assertEquals(1, c3.decodeCount());
        }
    }

    @Test
    void damagedStatIndexSegment_isIgnoredWithAWarning_andTheRunStaysCorrect() throws Exception {
        for (String damage : List.of("truncated", "garbage", "flipped")) {
            Path cache = dir.resolve("cache-" + damage);
            List<Sample> s = images(dir.resolve("img"), 3);
            byte[][] expected = pixels(s);
            try (ImageCache c1 = new ImageCache(SIZE, cache)) {
                c1.preload(s, "build");
            }
            Path seg = only(cache, "stat-*.jvi");
            byte[] good = Files.readAllBytes(seg);
            switch (damage) {
                case "truncated" -> Files.write(seg, Arrays.copyOf(good, good.length - 5));
                case "garbage" -> TestImages.randomBytes(seg, good.length, 3);
                default -> {
                    byte[] b = good.clone();
                    b[StatIndex.HEADER + 3] ^= 1;
                    Files.write(seg, b);
                }
            }
            ImageCache[] c2 = new ImageCache[1];
            List<String> warned = warnings(StatIndex.class, () -> {
                c2[0] = new ImageCache(SIZE, cache);
                return () -> { };
            });
            try (ImageCache c = c2[0]) {
                assertEquals(1, warned.size(), damage + ": " + warned);
                assertTrue(warned.get(0).contains(seg.toString()), warned.get(0));
                assertEquals(0, c.disk().stats().size(), damage);
                assertTrue(c.preload(s, "run").isEmpty());
                assertEquals(0, c.decodeCount(), damage); // hashed again, found by content
                assertPixels(expected, c, s);
            }
            assertFalse(Files.exists(seg), damage + ": the damaged segment is replaced");
            List<String> none = warnings(StatIndex.class, () -> {
                ImageCache c3 = new ImageCache(SIZE, cache);
                assertEquals(3, c3.disk().stats().size());
                return c3;
            });
            assertEquals(List.of(), none);
        }
    }

    @Test
    void killedBuild_leavesAReadableCorrectCache() throws Exception {
        Path cache = dir.resolve("cache");
        Path folder = cache.resolve("s" + SIZE);
        List<Sample> s = images(dir.resolve("img"), 3);
        byte[][] expected = pixels(s);
        try (ImageCache c1 = new ImageCache(SIZE, cache)) {
            c1.preload(s.subList(0, 2), "build");
        }
        // what a build killed before its renames leaves: a complete-looking shard holding wrong pixels
        // for images 0 and 1, and a stat segment that points image 2's path at image 1's content
        Path shard = only(folder, "shard-*.jvc");
        byte[] bad = Files.readAllBytes(shard);
        Arrays.fill(bad, (int) (bad.length - 2L * SIZE * SIZE * 3), bad.length, (byte) 7);
        Path staleShard = Files.write(folder.resolve("shard-0000000000000000.jvc.tmp"), bad);
        Path scratch = Files.createDirectories(dir.resolve("scratch"));
        StatIndex lie = new StatIndex(scratch);
        lie.put(StatIndex.key(s.get(2).file()), ShardCache.contentKey(Files.readAllBytes(s.get(1).file())));
        lie.flush();
        Path staleSeg = Files.copy(only(scratch, "stat-*.jvi"), cache.resolve("stat-0000000000000000.jvi.tmp"));
        Path youngSeg = Files.copy(staleSeg, cache.resolve("stat-0000000000000001.jvi.tmp"));
        FileTime twoHoursAgo = FileTime.fromMillis(System.currentTimeMillis() - 7_200_000L);
        Files.setLastModifiedTime(staleShard, twoHoursAgo);
        Files.setLastModifiedTime(staleSeg, twoHoursAgo);
        try (ImageCache c2 = new ImageCache(SIZE, cache)) {
            assertEquals(2, c2.diskCount());
            assertPixels(Arrays.copyOf(expected, 2), c2, s.subList(0, 2));
            assertEquals(0, c2.decodeCount());
            assertTrue(c2.preload(s, "continue").isEmpty()); // builds image 2: cleans old temporaries
            assertEquals(1, c2.decodeCount());
            assertPixels(expected, c2, s);
        }
        assertFalse(Files.exists(staleShard));
        assertFalse(Files.exists(staleSeg));
        assertTrue(Files.exists(youngSeg)); // may be another process's build in progress
        try (ImageCache c3 = new ImageCache(SIZE, cache)) {
            assertEquals(3, c3.diskCount());
            assertPixels(expected, c3, s);
            assertEquals(0, c3.decodeCount());
        }
    }

    @Test
    void cachesOfTwoSizes_shareOneStatIndex() throws Exception {
        Path cache = dir.resolve("cache");
        List<Sample> s = images(dir.resolve("img"), 2);
        try (ImageCache a = new ImageCache(SIZE, cache); ImageCache b = a.atSize(16)) {
            assertSame(a.disk().stats(), b.disk().stats());
            assertTrue(a.preload(s, "24 px").isEmpty());
            assertTrue(b.preload(s, "16 px").isEmpty());
            assertEquals(2, b.decodeCount());
            assertEquals(2, a.disk().stats().size()); // one entry per file, not per size
            assertArrayEquals(Images.loadResized(s.get(1).file(), 16), b.get(s.get(1)));
        }
        only(cache, "stat-*.jvi");
        try (ImageCache c = new ImageCache(16, cache)) {
            assertEquals(2, c.disk().stats().size());
            assertTrue(c.preload(s, "again").isEmpty());
            assertEquals(0, c.decodeCount());
        }
    }
}
