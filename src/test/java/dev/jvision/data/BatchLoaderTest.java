package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchLoaderTest {
    @TempDir Path dir;
    List<Sample> samples = new ArrayList<>();

    @BeforeEach
    void images() throws Exception {
        for (int i = 0; i < 23; i++) {
            Path f = TestImages.rgbPng(dir.resolve("i" + i + ".png"), 6, 6, i * 10, 255 - i * 10, 7);
            samples.add(new Sample("i" + i + ".png", i % 3, f, dir.resolve("train.csv"), i + 2));
        }
    }

    private static List<String> epochIds(BatchLoader l) {
        List<String> ids = new ArrayList<>();
        while (l.hasNext()) {
            Batch b = l.next();
            assertEquals(b.size() * 4 * 4 * 3, b.pixels().length);
            assertEquals(b.size(), b.labels().length);
            ids.addAll(b.ids());
        }
        return ids;
    }

    @Test
    void yieldsEverySampleOncePerEpoch_withPixelsAndLabels() {
        ImageCache cache = new ImageCache(4, null);
        try (BatchLoader l = new BatchLoader(cache, samples, 5, false, 1, false, 2)) {
            assertEquals(5, l.numBatches());
            Batch first = l.next();
            assertEquals(List.of("i0.png", "i1.png", "i2.png", "i3.png", "i4.png"), first.ids());
            assertArrayEquals(new int[] {0, 1, 2, 0, 1}, first.labels());
            assertEquals(4, first.height());
            int second = 4 * 4 * 3; // image 1 = (10, 245, 7)
            assertEquals(10, first.pixels()[second] & 0xff);
            assertEquals(245, first.pixels()[second + 1] & 0xff);
            assertEquals(7, first.pixels()[second + 2] & 0xff);
            List<String> rest = epochIds(l);
            assertEquals(18, rest.size());
            l.nextEpoch();
            List<String> all = epochIds(l);
            assertEquals(23, all.size());
            assertEquals(23, new HashSet<>(all).size());
        }
    }

    @Test
    void dropLast_dropsShortBatch() {
        try (BatchLoader l = new BatchLoader(new ImageCache(4, null), samples, 5, true, 1, true, 1)) {
            assertEquals(4, l.numBatches());
            assertEquals(20, epochIds(l).size());
        }
    }

    @Test
    void shuffle_changesOrderBetweenEpochs_sameSeedSameOrder() {
        ImageCache cache = new ImageCache(4, null);
        List<String> e0, e1, again0;
        try (BatchLoader l = new BatchLoader(cache, samples, 4, true, 99, false, 3)) {
            e0 = epochIds(l);
            l.startEpoch(1);
            e1 = epochIds(l);
        }
        try (BatchLoader l = new BatchLoader(cache, samples, 7, true, 99, false, 1)) {
            again0 = epochIds(l);
        }
        assertEquals(23, new HashSet<>(e0).size());
        assertEquals(new HashSet<>(e0), new HashSet<>(e1));
        assertNotEquals(e0, e1);
        assertEquals(e0, again0);
        assertNotEquals(samples.stream().map(Sample::id).toList(), e0);
    }

    @Test
    void exceptionInThread_rethrownToConsumer() throws Exception {
        Files.delete(samples.get(7).file());
        try (BatchLoader l = new BatchLoader(new ImageCache(4, null), samples, 5, false, 1, false, 2)) {
            assertTrue(l.hasNext());
            l.next();
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> {
                while (l.hasNext()) l.next();
            });
            assertTrue(e.getMessage().contains("i7.png"), e.getMessage());
            assertFalse(l.hasNext());
        }
    }

    @Test
    void close_stopsThreads() throws Exception {
        BatchLoader l = new BatchLoader(Dataset.of(samples, new ImageCache(4, null)), 4, 1, false, 1, false, 1, 3);
        assertTrue(l.hasNext());
        List<Thread> ts = l.workerThreads();
        assertFalse(ts.isEmpty());
        l.close();
        for (Thread t : ts) {
            t.join(5000);
            assertFalse(t.isAlive());
        }
        assertFalse(l.hasNext());
    }

    @Test
    void batches_sameForAnyWorkerCount_andEveryEpoch() {
        ImageCache cache = new ImageCache(4, null);
        List<List<Batch>> runs = new ArrayList<>();
        for (int workers : new int[] {1, 2, 5}) {
            List<Batch> all = new ArrayList<>();
            try (BatchLoader l = new BatchLoader(Dataset.of(samples, cache), 4, 4, true, 11, false, 2, workers)) {
                assertEquals(workers, l.workers());
                for (int e = 0; e < 3; e++) {
                    l.startEpoch(e);
                    while (l.hasNext()) all.add(l.next());
                }
            }
            runs.add(all);
        }
        for (List<Batch> other : runs.subList(1, runs.size())) {
            assertEquals(runs.get(0).size(), other.size());
            for (int i = 0; i < other.size(); i++) {
                Batch a = runs.get(0).get(i), b = other.get(i);
                assertEquals(a.ids(), b.ids());
                assertArrayEquals(a.labels(), b.labels());
                assertArrayEquals(a.pixels(), b.pixels());
            }
        }
    }

    @Test
    void notThreadSafeDataset_isReadOneCallAtATime() {
        java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        Dataset d = new Dataset() {
            @Override
            public int size() {
                return 40;
            }

            @Override
            public Item get(int index) {
                int now = inside.incrementAndGet();
                most.accumulateAndGet(now, Math::max);
                Thread.onSpinWait();
                inside.decrementAndGet();
                return Item.rgb(new byte[] {(byte) index, 0, 0}, 1, 1, 0);
            }
        };
        int n = 0;
        try (BatchLoader l = new BatchLoader(d, 2, 2, false, 0, false, 4, 4)) {
            while (l.hasNext()) n += l.next().size();
        }
        assertEquals(40, n);
        assertEquals(1, most.get());
    }

    @Test
    void diskCache_givesTheSameBatchesAsMemory() throws Exception {
        List<Batch> mem = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(new ImageCache(4, null), samples, 5, true, 3, false, 2)) {
            while (l.hasNext()) mem.add(l.next());
        }
        try (ImageCache disk = new ImageCache(4, dir.resolve("cache"))) {
            assertTrue(disk.preload(samples, "test").isEmpty());
            try (BatchLoader l = new BatchLoader(Dataset.of(samples, disk), 4, 5, true, 3, false, 2, 2)) {
                for (Batch m : mem) {
                    Batch b = l.next();
                    assertEquals(m.ids(), b.ids());
                    assertArrayEquals(m.pixels(), b.pixels());
                }
                assertFalse(l.hasNext());
            }
        }
    }
}
