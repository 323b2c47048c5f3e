package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class ShardCacheTest {
    @TempDir Path dir;

    /** A shard as jvision wrote it before content keys (format 1: 16-byte header, path keys). */
    private static byte[] formatOneShard(int size, long key) {
        int record = size * size * 3;
        ByteBuffer b = ByteBuffer.allocate(4096 + record);
        b.putInt(ShardCache.MAGIC).putInt(1).putInt(size).putInt(1).putLong(key);
        return b.array();
    }

    @Test
    void formatOneShards_areIgnoredWithOneWarning_andTheirImagesDecodedAgain() throws Exception {
        Path img = TestImages.jpeg(dir.resolve("img/a.jpg"), 20, 20, 1);
        Sample s = new Sample("a.jpg", 0, img, dir.resolve("train.csv"), 2);
        Path folder = Files.createDirectories(dir.resolve("cache/s8"));
        Files.write(folder.resolve("shard-00aa.jvc"), formatOneShard(8, 12345));
        Files.write(folder.resolve("shard-00bb.jvc"), formatOneShard(8, 678));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ShardCache.class);
        logs.start();
        logger.addAppender(logs);
        try (ImageCache c = new ImageCache(8, dir.resolve("cache"))) {
            assertEquals(0, c.diskCount());
            assertTrue(c.preload(List.of(s), "test").isEmpty());
            assertEquals(1, c.decodeCount());
            assertArrayEquals(Images.loadResized(img, 8), c.get(s));
        } finally {
            logger.detachAppender(logs);
        }
        List<String> warned = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, warned.size(), warned.toString());
        assertTrue(warned.get(0).contains("2 cache shards") && warned.get(0).contains("older jvision")
                && warned.get(0).contains("shard-00aa.jvc"), warned.get(0));
        assertTrue(Files.exists(folder.resolve("shard-00aa.jvc"))); // the user's to delete
        try (ShardCache again = new ShardCache(dir.resolve("cache"), 8, "")) {
            assertEquals(1, again.count());
            assertEquals(1, again.files().size());
        }
    }

    @Test
    void builder_publishesOnlyClaimedSlots_andLeavesNothingWhenClosedUnfinished() throws Exception {
        try (ShardCache c = new ShardCache(dir, 4, "")) {
            byte[] px = new byte[48];
            try (ShardCache.Builder b = c.builder(10)) {
                int s0 = b.claim(11);
                int s1 = b.claim(22);
                int s2 = b.claim(33);
                java.util.Arrays.fill(px, (byte) 5);
                b.write(s0, px);
                b.fail(s1);
                java.util.Arrays.fill(px, (byte) 9);
                b.write(s2, px);
                b.finish();
            }
            assertEquals(2, c.count());
            assertFalse(c.contains(22));
            byte[] got = new byte[48];
            assertTrue(c.read(33, got, 0));
            assertEquals(9, got[47]);
            // 3 records after the header page: the unclaimed 7 cost no space
            assertEquals(4096 + 3 * 48, Files.size(c.files().get(0)));
            try (ShardCache.Builder b = c.builder(2)) {
                b.write(b.claim(44), px);
                assertEquals(1, b.claim(55));
                assertEquals(-1, b.claim(66)); // full
            } // closed unfinished: as if killed
            try (var st = Files.list(c.dir())) {
                assertEquals(1, st.filter(p -> p.toString().contains("shard-")).count());
            }
            try (ShardCache.Builder b = c.builder(3)) {
                b.finish(); // nothing claimed: nothing published
            }
            assertEquals(1, c.files().size());
        }
        try (ShardCache c = new ShardCache(dir, 4, "")) {
            assertEquals(2, c.count());
            assertTrue(c.contains(11) && !c.contains(44));
        }
    }

    @Test
    void statIndex_keepsItsEntriesAcrossOpens_andMergesSegments() throws Exception {
        Random r = new Random(1);
        Map<Long, Long> all = new HashMap<>();
        for (int round = 0; round < StatIndex.MAX_SEGMENTS + 3; round++) {
            StatIndex idx = new StatIndex(dir);
            assertEquals(all.size(), idx.size());
            for (Map.Entry<Long, Long> e : all.entrySet()) assertEquals(e.getValue(), idx.get(e.getKey()));
            for (int i = 0; i < 50; i++) {
                long k = r.nextLong() | 1, v = r.nextLong() | 1;
                idx.put(k, v);
                all.put(k, v);
            }
            idx.flush();
            assertEquals(0, idx.pending());
            assertTrue(idx.segments().size() <= StatIndex.MAX_SEGMENTS, idx.segments().toString());
            idx.flush(); // nothing new: no segment
        }
        try (var st = Files.list(dir)) {
            List<Path> files = st.toList();
            assertTrue(files.size() <= StatIndex.MAX_SEGMENTS, files.toString());
            assertTrue(files.stream().noneMatch(p -> p.toString().endsWith(".tmp")), files.toString());
        }
        assertEquals(all.size(), new StatIndex(dir).size());
    }

    @Test
    void statKey_followsPathLengthAndMtime() throws Exception {
        Path f = TestImages.randomBytes(dir.resolve("a/x.bin"), 100, 1);
        long k = StatIndex.key(f);
        assertEquals(k, StatIndex.key(dir.resolve("a/../a/x.bin")));
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        long touched = StatIndex.key(f);
        assertNotEquals(k, touched);
        Files.copy(f, dir.resolve("a/y.bin"));
        Files.setLastModifiedTime(dir.resolve("a/y.bin"), java.nio.file.attribute.FileTime.fromMillis(1_000_000));
        assertNotEquals(touched, StatIndex.key(dir.resolve("a/y.bin")));
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(ShardCache.contentKey(bytes), ShardCache.contentKey(Files.readAllBytes(dir.resolve("a/y.bin"))));
        bytes[50] ^= 1;
        assertNotEquals(ShardCache.contentKey(Files.readAllBytes(f)), ShardCache.contentKey(bytes));
    }

    @Test
    void keyMaps_matchAHashMap() {
        Random r = new Random(2);
        KeyMaps.Longs longs = new KeyMaps.Longs();
        KeyMaps.Paths paths = new KeyMaps.Paths();
        Map<Long, Long> ref = new HashMap<>();
        Map<Path, Long> refPaths = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            long k = r.nextInt(30_000) + 1L, v = r.nextLong();
            assertEquals(!ref.containsKey(k), longs.put(k, v));
            ref.put(k, v);
            Path p = Path.of("d" + (k % 97), k + ".jpg");
            paths.put(p, v);
            refPaths.put(p, v);
            if (i % 7 == 0) assertFalse(longs.putIfAbsent(k, 0));
        }
        assertEquals(ref.size(), longs.size());
        assertEquals(refPaths.size(), paths.size());
        for (long k = 1; k <= 30_000; k++) {
            assertEquals(ref.getOrDefault(k, -1L), longs.get(k, -1));
            assertEquals(ref.containsKey(k), longs.containsKey(k));
            Path p = Path.of("d" + (k % 97), k + ".jpg");
            assertEquals(refPaths.getOrDefault(p, -1L), paths.get(p, -1));
        }
        assertFalse(longs.containsKey(0));
        long[] n = {0};
        longs.forEach((k, v) -> {
            assertEquals(ref.get(k), v);
            n[0]++;
        });
        assertEquals(ref.size(), n[0]);
        // 16 bytes a slot, at most 3/4 full
        assertTrue(longs.tableBytes() <= 16L * ref.size() * 8 / 3, longs.tableBytes() + " bytes for " + ref.size());
    }
}
