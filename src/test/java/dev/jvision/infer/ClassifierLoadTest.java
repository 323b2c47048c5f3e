package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many request threads through one {@link Classifier}: every answer equals the single-threaded
 * one (top-1 exactly, probabilities up to float rounding of batched kernels), in each caller's
 * order, none lost; a full queue refuses clearly; a shutdown under load completes what it
 * accepted. Not timed: the assertions hold at any speed.
 */
class ClassifierLoadTest {
    static final int THREADS = 16;
    static final int REQUESTS = 200;
    /** Batch composition may change float rounding; it must not change answers beyond this. */
    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;
    static Path ckpt;
    /** Inputs whose single-threaded top-1 is clear of the runner-up, so that rounding cannot swap them. */
    static List<Object> inputs;
    static List<Prediction> reference;

    @BeforeAll
    static void referenceAnswers() throws IOException {
        ckpt = ServingFixtures.checkpoint(dir, 11);
        inputs = new ArrayList<>();
        reference = new ArrayList<>();
        try (Classifier one = Classifier.builder().device(Device.CPU).checkpoints(List.of(ckpt)).maxBatchSize(1).build()) {
            for (Object in : ServingFixtures.mixedInputs(48, 500)) {
                Prediction p = one.predict(List.of(in)).get(0);
                if (p.top().get(0).probability() - p.top().get(1).probability() > 10 * TOLERANCE) {
                    inputs.add(in);
                    reference.add(p);
                }
            }
            assertEquals(1, one.stats().largestBatch(), "the reference ran one image at a time");
        }
        assertTrue(inputs.size() >= 20, "too few clear-cut inputs: " + inputs.size());
    }

    static int pick(int thread, int request) {
        return (thread * 7 + request * 3) % inputs.size();
    }

    static Classifier classifier(int maxQueue) throws IOException {
        return Classifier.builder().device(Device.CPU).checkpoints(List.of(ckpt)).maxBatchSize(16)
                .maxQueueDelay(Duration.ofMillis(2)).maxQueueSize(maxQueue).build();
    }

    static void assertSame(int input, Prediction got, String where) {
        Prediction want = reference.get(input);
        assertEquals(want.best().id(), got.best().id(), where + ": top-1");
        assertEquals(want.best().name(), got.best().name(), where);
        double d = ServingFixtures.maxDiff(want.probabilities(), got.probabilities());
        assertTrue(d <= TOLERANCE, where + ": probabilities differ by " + d);
    }

    /** Runs {@code body(thread)} on {@link #THREADS} threads started together; rethrows the first failure. */
    static void onThreads(ThrowingIntConsumer body) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    go.await();
                    body.accept(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "caller-" + t);
            th.start();
            ts.add(th);
        }
        go.countDown();
        for (Thread th : ts) {
            th.join(1_800_000); // generous: a shared CI machine can be slow; this only catches hangs
            assertFalse(th.isAlive(), th.getName() + " hangs");
        }
        if (failure.get() != null) {
            throw new AssertionError("a caller failed: " + failure.get(), failure.get());
        }
    }

    interface ThrowingIntConsumer {
        void accept(int v) throws Exception;
    }

    @Test
    void sixteenCallers_getTheSingleThreadedAnswers_inOrder_noneLost() throws Exception {
        List<List<Prediction>> results = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger answered = new AtomicInteger();
        try (Classifier c = classifier(1024)) {
            onThreads(t -> {
                List<Prediction> mine = new ArrayList<>();
                if (t % 2 == 0) {
                    // blocking calls, one after another (byte[] and BufferedImage overloads)
                    for (int r = 0; r < REQUESTS; r++) {
                        Object in = inputs.get(pick(t, r));
                        mine.add(in instanceof byte[] b ? c.predict(b) : c.predict((java.awt.image.BufferedImage) in));
                    }
                } else {
                    // pipelined: up to 8 requests in flight, answers taken in submission order
                    ArrayDeque<CompletableFuture<Prediction>> inFlight = new ArrayDeque<>();
                    for (int r = 0; r < REQUESTS; r++) {
                        inFlight.add(c.submit(inputs.get(pick(t, r))));
                        if (inFlight.size() == 8) {
                            mine.add(inFlight.poll().get(10, TimeUnit.MINUTES));
                        }
                    }
                    while (!inFlight.isEmpty()) {
                        mine.add(inFlight.poll().get(10, TimeUnit.MINUTES));
                    }
                }
                for (int r = 0; r < REQUESTS; r++) {
                    assertSame(pick(t, r), mine.get(r), "caller " + t + " request " + r);
                }
                answered.addAndGet(mine.size());
                results.add(mine);
            });
            assertEquals(THREADS * REQUESTS, answered.get());
            Classifier.Stats s = c.stats();
            assertEquals(THREADS * REQUESTS, s.images(), "every request ran exactly once");
            assertTrue(s.largestBatch() > 1 && s.largestBatch() <= 16, "dynamic batching: " + s);
        }
        assertEquals(THREADS, results.size());
    }

    @Test
    void fullQueue_refusesClearly_andEveryAcceptedRequestIsAnswered() throws Exception {
        int perThread = 50;
        AtomicInteger refused = new AtomicInteger();
        ConcurrentLinkedQueue<Object[]> accepted = new ConcurrentLinkedQueue<>();
        try (Classifier c = classifier(8)) {
            onThreads(t -> {
                for (int r = 0; r < perThread; r++) {
                    int in = pick(t, r);
                    try {
                        accepted.add(new Object[] {in, c.submit(inputs.get(in))});
                    } catch (QueueFullException e) {
                        assertEquals(8, e.capacity());
                        assertTrue(e.getMessage().contains("queue full") && e.getMessage().contains("max_queue_size 8"),
                                e.getMessage());
                        refused.incrementAndGet();
                    }
                }
            });
            assertEquals(THREADS * perThread, accepted.size() + refused.get(), "every call was accepted or refused");
            assertTrue(refused.get() > 0, "16 callers without waiting overflow a queue of 8");
            for (Object[] a : accepted) {
                @SuppressWarnings("unchecked")
                CompletableFuture<Prediction> f = (CompletableFuture<Prediction>) a[1];
                assertSame((Integer) a[0], f.get(10, TimeUnit.MINUTES), "accepted request");
            }
            assertEquals(accepted.size(), c.stats().images());
        }
    }

    @Test
    void shutdownUnderLoad_answersWhatItAccepted_refusesTheRest_noneHang() throws Exception {
        ConcurrentLinkedQueue<Object[]> accepted = new ConcurrentLinkedQueue<>();
        AtomicInteger stoppedByClose = new AtomicInteger();
        Classifier c = classifier(64);
        Thread closer = new Thread(() -> {
            while (c.stats().images() < 300) {
                Thread.onSpinWait();
            }
            c.close();
        });
        closer.start();
        onThreads(t -> {
            ArrayDeque<CompletableFuture<Prediction>> inFlight = new ArrayDeque<>();
            for (int r = 0; ; r++) {
                int in = pick(t, r);
                try {
                    CompletableFuture<Prediction> f = c.submit(inputs.get(in));
                    accepted.add(new Object[] {in, f});
                    inFlight.add(f);
                } catch (QueueFullException e) {
                    // back off and go on: only close() ends this caller
                } catch (IllegalStateException e) {
                    assertTrue(e.getMessage().contains("closed"), e.getMessage());
                    stoppedByClose.incrementAndGet();
                    return;
                }
                if (inFlight.size() == 4) {
                    inFlight.poll().get(10, TimeUnit.MINUTES);
                }
                if (r > 1_000_000) {
                    fail("close() never took effect");
                }
            }
        });
        closer.join(1_800_000);
        assertFalse(closer.isAlive());
        assertEquals(THREADS, stoppedByClose.get(), "every caller saw the classifier closed");
        for (Object[] a : accepted) {
            @SuppressWarnings("unchecked")
            CompletableFuture<Prediction> f = (CompletableFuture<Prediction>) a[1];
            assertTrue(f.isDone(), "close() returned with a request still pending");
            assertSame((Integer) a[0], f.get(), "request accepted before close");
        }
        assertEquals(accepted.size(), c.stats().images(), "none lost");
    }
}
