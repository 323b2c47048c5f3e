package dev.jvision.serve;

import static dev.jvision.serve.InferenceServerTest.assertError;
import static dev.jvision.serve.ServeTestSupport.get;
import static dev.jvision.serve.ServeTestSupport.image;
import static dev.jvision.serve.ServeTestSupport.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.infer.ServingFixtures;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server under more load than it can take: a full queue answers 429 with Retry-After and the
 * server recovers; a request past its timeout answers 503 and its images leave the queue; a
 * client that disconnects leaves no work in the batcher; before the models are loaded, ready and
 * predict answer 503. A checkpoint served at 512 px makes each image slow enough (one batch of
 * one image at a time) for requests to pile up.
 */
class BackPressureTest {
    @TempDir
    static Path dir;

    static Path slow;
    static Path fast;

    @BeforeAll
    static void fixtures() throws Exception {
        slow = ServeTestSupport.checkpointAt(dir.resolve("slow"), 4, 512);
        fast = ServingFixtures.checkpoint(dir.resolve("fast"), 5);
    }

    private static InferenceServer server(Path ck, int queue, Duration timeout) throws Exception {
        ServeConfig.Model m = ServeConfig.Model.of("m", "1", ServeConfig.Source.CHECKPOINT, ck)
                .withInference("cpu", 4, List.of()).withBatching(1, Duration.ZERO, queue);
        InferenceServer s = InferenceServer.start(ServeConfig.of(List.of(m)).withAddress("127.0.0.1", 0)
                .withLimits(2, 1 << 20, timeout));
        s.awaitReady();
        return s;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        ServeTestSupport.awaitCondition(condition, Duration.ofSeconds(60), () -> what);
    }

    @Test
    void fullQueue_answers429WithRetryAfter_thenRecovers() throws Exception {
        try (InferenceServer s = server(slow, 1, Duration.ofSeconds(120))) {
            URI base = s.uri();
            HttpClient http = ServeTestSupport.client();
            ExecutorService pool = Executors.newFixedThreadPool(12);
            List<Future<HttpResponse<String>>> rs = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int seed = i;
                rs.add(pool.submit(() -> post(http, base, "/v1/models/m:predict", image(seed), "image/png", null)));
            }
            int ok = 0;
            int full = 0;
            for (Future<HttpResponse<String>> f : rs) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 429) {
                    assertError(r, 429, "queue_full");
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
                    full++;
                } else {
                    assertEquals(200, r.statusCode(), r.body());
                    ok++;
                }
            }
            pool.shutdown();
            assertTrue(full > 0, "12 concurrent requests into a queue of 1 at 512 px: some must be refused");
            assertTrue(ok > 0);
            assertEquals(0, s.table().find("m", null).queued());
            assertEquals(200, post(http, base, "/v1/models/m:predict", image(1), "image/png", null).statusCode(),
                    "the server recovers once the queue has room");
            String metrics = get(http, base, "/metrics", null).body();
            assertTrue(metrics.contains("jvision_requests_total{code=\"429\",model=\"m\",version=\"1\"} " + full
                    + ".0"), metrics);
        }
    }

    @Test
    void timeout_answers503_andTheQueueEmpties() throws Exception {
        try (InferenceServer s = server(slow, 100, Duration.ofMillis(40))) {
            URI base = s.uri();
            HttpClient http = ServeTestSupport.client();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<HttpResponse<String>>> rs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int seed = i;
                rs.add(pool.submit(() -> post(http, base, "/v1/models/m:predict", image(seed), "image/png", null)));
            }
            for (Future<HttpResponse<String>> f : rs) {
                HttpResponse<String> r = f.get();
                assertError(r, 503, "timeout");
                assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
            }
            pool.shutdown();
            ServedModel m = s.table().find("m", null);
            // the image whose batch was running finishes; every other one left the queue without running
            await(() -> m.stats().images() + m.withdrawn() == 4 + 1, "every image run or withdrawn");
            assertEquals(0, m.queued());
            assertTrue(m.withdrawn() >= 1, "requests queued behind a 512 px image time out before they run");
        }
    }

    @Test
    void disconnectingClient_leavesNoWorkInTheBatcher() throws Exception {
        // generous timeouts: 48 large images took over 120 s on a saturated shared machine
        try (InferenceServer s = server(slow, 100, Duration.ofSeconds(600))) {
            URI base = s.uri();
            HttpClient http = ServeTestSupport.client();
            ServedModel m = s.table().find("m", null);
            // keep the worker busy for several of ClientWatch's 1 s periods: 48 512 px images, one batch each
            // (6 or 16 ran in about a second on a quiet machine, before the watch looked at the abandoned request)
            int busyImages = 48;
            List<ServeTestSupport.Part> parts = new ArrayList<>();
            for (int i = 0; i < busyImages; i++) {
                parts.add(new ServeTestSupport.Part("file", i + ".png", "image/png", image(i)));
            }
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<HttpResponse<String>> busy = pool.submit(() -> ServeTestSupport.post(http, base,
                    "/v1/models/m:predict", ServeTestSupport.multipart(parts), "multipart/form-data; boundary="
                            + ServeTestSupport.BOUNDARY, null, Duration.ofSeconds(600)));
            await(() -> m.queued() >= 4, "the busy request to queue");
            byte[] img = image(9);
            try (Socket socket = new Socket(base.getHost(), base.getPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/models/m:predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                        + "Content-Length: " + img.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(img);
                out.flush();
                await(() -> s.accepted() >= 2, "the second request to queue");
            } // the client goes away without reading its answer
            await(() -> m.withdrawn() >= 1, "the disconnected request's image to leave the batcher");
            assertEquals(200, busy.get().statusCode());
            pool.shutdown();
            await(() -> m.queued() == 0, "an empty queue");
            assertEquals(1 + busyImages, m.stats().images(), "the warm-up and the busy images ran, the abandoned one not");
            assertEquals(1, m.withdrawn());
        }
    }

    @Test
    void beforeModelsAreLoaded_readyAndPredictAnswer503_liveAnswers200() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ServeConfig.Model m = ServeConfig.Model.of("m", "1", ServeConfig.Source.CHECKPOINT, fast)
                .withInference("cpu", 4, List.of());
        InferenceServer.Loader slowLoader = model -> {
            assertTrue(release.await(60, TimeUnit.SECONDS));
            return ServedModel.load(model);
        };
        try (InferenceServer s = InferenceServer.start(ServeConfig.of(List.of(m)).withAddress("127.0.0.1", 0),
                slowLoader)) {
            HttpClient http = ServeTestSupport.client();
            URI base = s.uri();
            assertEquals(200, get(http, base, "/health/live", null).statusCode());
            assertError(get(http, base, "/health/ready", null), 503, "not_ready");
            assertError(post(http, base, "/v1/models/m:predict", image(0), "image/png", null), 503, "not_ready");
            assertTrue(get(http, base, "/metrics", null).body().contains("jvision_ready 0"));
            release.countDown();
            s.awaitReady();
            assertEquals(200, get(http, base, "/health/ready", null).statusCode());
            assertEquals(200, post(http, base, "/v1/models/m:predict", image(0), "image/png", null).statusCode());
        }
    }

    @Test
    void failedLoad_isReportedByAwaitReady_andTheServerNeverGetsReady() throws Exception {
        ServeConfig.Model m = ServeConfig.Model.of("m", "1", ServeConfig.Source.CHECKPOINT, fast);
        InferenceServer.Loader broken = model -> {
            throw new IllegalArgumentException("broken.safetensors: not a checkpoint");
        };
        try (InferenceServer s = InferenceServer.start(ServeConfig.of(List.of(m)).withAddress("127.0.0.1", 0),
                broken)) {
            var e = assertThrows(IllegalArgumentException.class, s::awaitReady);
            assertTrue(e.getMessage().contains("broken.safetensors"));
            HttpResponse<String> r = get(ServeTestSupport.client(), s.uri(), "/health/ready", null);
            assertError(r, 503, "not_ready");
            assertTrue(r.body().contains("broken.safetensors"), r.body());
        }
    }
}
