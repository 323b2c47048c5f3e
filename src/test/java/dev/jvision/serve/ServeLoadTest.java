package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvision.infer.Classifier;
import dev.jvision.infer.Prediction;
import dev.jvision.infer.ServingFixtures;
import dev.jvision.runtime.Device;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 concurrent HTTP clients x 50 requests of mixed PNG/JPEG images: every request is answered
 * 200 with exactly the classes the in-process {@link Classifier} predicts for the same image
 * (probabilities equal up to the float rounding of batched kernels), none lost, and the server
 * really batched them.
 */
class ServeLoadTest {
    private static final int CLIENTS = 64;
    private static final int REQUESTS = 50;
    private static final int DISTINCT = 16;

    @TempDir
    Path dir;

    @Test
    void concurrentClients_getWhatInProcessPredicts_noneLost() throws Exception {
        Path ck = ServingFixtures.checkpoint(dir, 3);
        List<byte[]> images = new ArrayList<>();
        List<Prediction> expected = new ArrayList<>();
        try (Classifier local = Classifier.builder().device(Device.CPU).checkpoints(List.of(ck)).maxBatchSize(1)
                .build()) {
            for (int i = 0; i < DISTINCT; i++) {
                images.add(ServeTestSupport.image(i));
                expected.add(local.predict(images.get(i)));
            }
        }
        ServeConfig.Model m = ServeConfig.Model.of("load", "1", ServeConfig.Source.CHECKPOINT, ck)
                .withInference("cpu", 4, List.of());
        ServeConfig cfg = ServeConfig.of(List.of(m)).withAddress("127.0.0.1", 0)
                .withLimits(2, 1 << 20, Duration.ofSeconds(120));
        try (InferenceServer server = InferenceServer.start(cfg)) {
            server.awaitReady();
            URI base = server.uri();
            HttpClient http = ServeTestSupport.client();
            AtomicInteger ok = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                done.add(clients.submit(() -> {
                    for (int r = 0; r < REQUESTS; r++) {
                        int i = (client * 7 + r) % DISTINCT;
                        HttpResponse<String> resp = ServeTestSupport.post(http, base, "/v1/models/load:predict",
                                images.get(i), i % 2 == 0 ? "image/png" : "image/jpeg", null);
                        assertEquals(200, resp.statusCode(), resp.body());
                        JsonNode top = ServeTestSupport.json(resp).get("predictions").get(0).get("top");
                        InferenceServerTest.assertSame(expected.get(i), top, 4);
                        ok.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            clients.shutdown();
            assertEquals(CLIENTS * REQUESTS, ok.get());
            assertEquals(CLIENTS * REQUESTS, server.answered());
            ServedModel sm = server.table().find("load", null);
            assertEquals(CLIENTS * REQUESTS + 1, sm.stats().images(), "every image ran once (plus the warm-up)");
            assertEquals(0, sm.queued());
            assertTrue(sm.stats().largestBatch() > 1, "concurrent requests share batches: " + sm.stats());
            String metrics = ServeTestSupport.get(http, base, "/metrics", null).body();
            assertTrue(metrics.contains("jvision_requests_total{code=\"200\",model=\"load\",version=\"1\"} "
                    + (CLIENTS * REQUESTS) + ".0"), metrics);
        }
    }
}
