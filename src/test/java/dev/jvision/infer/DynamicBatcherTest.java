package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The batcher's queue, back-pressure and shutdown rules with a fake engine (no native code). */
class DynamicBatcherTest {
    /** Doubles its inputs; blocks every batch until {@code gate} opens; records batch sizes. */
    static final class Doubler implements DynamicBatcher.Engine<Integer, Integer> {
        final CountDownLatch gate;
        final CountDownLatch started = new CountDownLatch(1);
        final List<Integer> sizes = Collections.synchronizedList(new ArrayList<>());
        volatile boolean closed;
        volatile int failOn = Integer.MIN_VALUE;

        Doubler(CountDownLatch gate) {
            this.gate = gate;
        }

        @Override
        public List<Integer> run(List<Integer> batch) throws Exception {
            started.countDown();
            assertTrue(gate.await(30, TimeUnit.SECONDS), "gate never opened");
            sizes.add(batch.size());
            if (batch.contains(failOn)) {
                throw new IllegalArgumentException("bad item " + failOn);
            }
            return batch.stream().map(x -> 2 * x).toList();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static DynamicBatcher<Integer, Integer> batcher(Doubler d, int maxBatch, int maxQueue) throws Exception {
        return new DynamicBatcher<>("test", () -> d, maxBatch, Duration.ofMillis(1), maxQueue);
    }

    @Test
    void fullQueue_rejectsWithCapacity_queuesNothing_thenAllAcceptedComplete() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Doubler d = new Doubler(gate);
        try (var b = batcher(d, 1, 4)) {
            CompletableFuture<Integer> running = b.submit(0);
            assertTrue(d.started.await(30, TimeUnit.SECONDS));
            List<CompletableFuture<Integer>> waiting = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                waiting.add(b.submit(i));
            }
            // one place left: a list of two is refused as a whole
            var e = assertThrows(QueueFullException.class, () -> b.submitAll(List.of(10, 11)));
            assertEquals(4, e.capacity());
            assertEquals(2, e.requested());
            assertTrue(e.getMessage().contains("3 of 4 images waiting"), e.getMessage());
            waiting.add(b.submit(4));
            assertThrows(QueueFullException.class, () -> b.submit(5));
            assertThrows(IllegalArgumentException.class, () -> b.submitAll(List.of(1, 2, 3, 4, 5)));
            gate.countDown();
            assertEquals(0, running.get());
            for (int i = 0; i < waiting.size(); i++) {
                assertEquals(2 * (i + 1), waiting.get(i).get(30, TimeUnit.SECONDS));
            }
            assertEquals(5, b.stats().images(), "the refused items never ran");
        }
    }

    @Test
    void cancelledOrTimedOutItems_leaveTheQueueAtOnce_andNeverRun() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Doubler d = new Doubler(gate);
        try (var b = batcher(d, 8, 3)) {
            CompletableFuture<Integer> running = b.submit(0);
            assertTrue(d.started.await(30, TimeUnit.SECONDS));
            List<CompletableFuture<Integer>> waiting = b.submitAll(List.of(1, 2, 3));
            assertEquals(3, b.waiting());
            assertThrows(QueueFullException.class, () -> b.submit(4));
            assertTrue(waiting.get(0).cancel(false));
            waiting.get(2).orTimeout(1, TimeUnit.MILLISECONDS);
            assertThrows(ExecutionException.class, () -> waiting.get(2).get(30, TimeUnit.SECONDS));
            // the timeout completes the future on the delayer thread, which then runs the batcher's withdrawal:
            // get() can return before that callback has finished, so wait (bounded) for the room to come back
            for (int i = 0; i < 3000 && b.waiting() != 1; i++) {
                Thread.sleep(10);
            }
            assertEquals(1, b.waiting(), "the withdrawn items gave their room back");
            assertEquals(2, b.withdrawn());
            CompletableFuture<Integer> late = b.submit(5);
            gate.countDown();
            assertEquals(0, running.get());
            assertEquals(4, waiting.get(1).get(30, TimeUnit.SECONDS));
            assertEquals(10, late.get(30, TimeUnit.SECONDS));
            assertEquals(3, b.stats().images(), "withdrawn items never ran");
            assertEquals(List.of(1, 2), d.sizes);
        }
    }

    @Test
    void itemsQueuedBehindARunningBatch_joinTheNextBatch() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Doubler d = new Doubler(gate);
        try (var b = batcher(d, 8, 100)) {
            CompletableFuture<Integer> first = b.submit(1);
            assertTrue(d.started.await(30, TimeUnit.SECONDS));
            List<CompletableFuture<Integer>> rest = b.submitAll(List.of(2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
            gate.countDown();
            assertEquals(2, first.get());
            for (int i = 0; i < rest.size(); i++) {
                assertEquals(2 * (i + 2), rest.get(i).get(30, TimeUnit.SECONDS));
            }
            assertEquals(List.of(1, 8, 2), d.sizes, "the ten waiting items run as batches of at most 8");
            assertEquals(8, b.stats().largestBatch());
        }
    }

    @Test
    void close_runsEveryQueuedItem_thenRefusesNewOnes_andClosesTheEngine() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Doubler d = new Doubler(gate);
        var b = batcher(d, 2, 100);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            fs.add(b.submit(i));
        }
        Thread closer = new Thread(b::close);
        closer.start();
        while (!b.isClosed()) {
            Thread.onSpinWait();
        }
        var e = assertThrows(IllegalStateException.class, () -> b.submit(100));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(closer.isAlive(), "close waits for the queued items");
        gate.countDown();
        closer.join(30_000);
        assertFalse(closer.isAlive());
        for (int i = 0; i < fs.size(); i++) {
            assertTrue(fs.get(i).isDone(), "item " + i + " done when close returns");
            assertEquals(2 * i, fs.get(i).get());
        }
        assertTrue(d.closed, "the engine is closed by the worker");
        b.close(); // idempotent
    }

    @Test
    void engineFailure_failsOnlyThatBatch() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Doubler d = new Doubler(gate);
        d.failOn = 7;
        try (var b = batcher(d, 1, 100)) {
            var bad = b.submit(7);
            var good = b.submit(8);
            gate.countDown();
            var e = assertThrows(ExecutionException.class, bad::get);
            assertTrue(e.getCause() instanceof IllegalArgumentException && e.getCause().getMessage().contains("bad item 7"));
            assertEquals(16, good.get());
        }
    }

    @Test
    void engineThatCannotStart_failsTheConstructor() {
        var e = assertThrows(IllegalArgumentException.class, () -> new DynamicBatcher<Integer, Integer>("test", () -> {
            throw new IllegalArgumentException("no such checkpoint");
        }, 4, Duration.ZERO, 4));
        assertEquals("no such checkpoint", e.getMessage());
    }

    @Test
    void badSettings_areRejected() {
        Doubler d = new Doubler(new CountDownLatch(0));
        assertThrows(IllegalArgumentException.class, () -> batcher(d, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> batcher(d, 1, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new DynamicBatcher<Integer, Integer>("test", () -> d, 1, Duration.ofMillis(-1), 4));
    }
}
