package dev.jvision.serve;

import static dev.jvision.serve.ServeTestSupport.get;
import static dev.jvision.serve.ServeTestSupport.image;
import static dev.jvision.serve.ServeTestSupport.json;
import static dev.jvision.serve.ServeTestSupport.post;
import static dev.jvision.serve.ServeTestSupport.postParts;
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
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every endpoint and error answer of the server over real HTTP on 127.0.0.1, against one server
 * with two versions of a small real model (the second offers TTA) and a bearer token;
 * predictions are compared with the in-process {@link Classifier} on the same checkpoints.
 */
class InferenceServerTest {
    private static final String TOKEN = "s3cret-token";
    private static final long MAX_BODY = 256 * 1024;

    @TempDir
    static Path dir;

    static InferenceServer server;
    static URI base;
    static HttpClient http;
    static Classifier v1;
    static Classifier v2;
    static Classifier v2Tta;

    @BeforeAll
    static void start() throws Exception {
        Path c1 = ServingFixtures.checkpoint(dir.resolve("v1"), 1);
        Path c2 = ServingFixtures.checkpoint(dir.resolve("v2"), 2);
        ServeConfig.Model m1 = ServeConfig.Model.of("pets", "1", ServeConfig.Source.CHECKPOINT, c1)
                .withInference("cpu", 5, List.of());
        ServeConfig.Model m2 = ServeConfig.Model.of("pets", "2", ServeConfig.Source.CHECKPOINT, c2)
                .withInference("cpu", 5, List.of("identity", "hflip"));
        ServeConfig cfg = ServeConfig.of(List.of(m1, m2)).withAddress("127.0.0.1", 0)
                .withLimits(2, MAX_BODY, Duration.ofSeconds(60)).withToken(TOKEN);
        server = InferenceServer.start(cfg);
        server.awaitReady();
        base = server.uri();
        http = ServeTestSupport.client();
        v1 = Classifier.builder().device(Device.CPU).checkpoints(List.of(c1)).build();
        v2 = Classifier.builder().device(Device.CPU).checkpoints(List.of(c2)).build();
        v2Tta = Classifier.builder().device(Device.CPU).checkpoints(List.of(c2)).tta(List.of("identity", "hflip"))
                .build();
    }

    @AfterAll
    static void stop() {
        server.close();
        v1.close();
        v2.close();
        v2Tta.close();
    }

    /** The answer's top classes equal the in-process prediction's (ids in order, probabilities to float rounding). */
    static void assertSame(Prediction expected, JsonNode top, int k) {
        assertEquals(k, top.size(), top.toString());
        for (int j = 0; j < k; j++) {
            Prediction.ClassScore e = expected.top().get(j);
            assertEquals(e.id(), top.get(j).get("id").asInt(), "rank " + j + ": " + top);
            assertEquals(e.name(), top.get(j).get("name").asText());
            assertEquals(e.probability(), top.get(j).get("probability").asDouble(), 1e-5, "rank " + j);
        }
    }

    @Test
    void health_andMetrics_needNoToken() throws Exception {
        HttpResponse<String> live = get(http, base, "/health/live", null);
        assertEquals(200, live.statusCode());
        assertEquals("live", json(live).get("status").asText());
        HttpResponse<String> ready = get(http, base, "/health/ready", null);
        assertEquals(200, ready.statusCode());
        assertEquals("[\"pets/1\",\"pets/2\"]", json(ready).get("models").toString());
        post(http, base, "/v1/models/pets:predict", image(0), "image/png", TOKEN);
        HttpResponse<String> m = get(http, base, "/metrics", null);
        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), m.headers().toString());
        for (String s : List.of("jvision_requests_total{code=\"200\",model=\"pets\",version=\"2\"}",
                "jvision_request_duration_seconds_bucket{model=\"pets\",version=\"2\",le=\"0.001\"}",
                "jvision_images_total{model=\"pets\",version=\"2\"}", "jvision_batches_total{model=\"pets\",version=\"1\"}",
                "jvision_batch_size_max{", "jvision_batch_size_mean{", "jvision_queue_depth{model=\"pets\",version=\"1\"} 0",
                "jvision_images_per_second{", "jvision_withdrawn_images_total{", "jvision_ready 1",
                "jvision_native_memory_bytes{kind=\"rss\"}", "jvision_native_memory_bytes{kind=\"javacpp\"}")) {
            assertTrue(m.body().contains(s), s + " in\n" + m.body());
        }
    }

    @Test
    void models_listAndDescribe() throws Exception {
        JsonNode all = json(get(http, base, "/v1/models", TOKEN));
        assertEquals(2, all.get("models").size(), all.toString());
        assertEquals("pets", all.get("models").get(0).get("name").asText());
        HttpResponse<String> r = get(http, base, "/v1/models/pets", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode versions = json(r).get("versions");
        assertEquals(2, versions.size());
        JsonNode d = versions.get(1);
        assertEquals("2", d.get("version").asText());
        assertEquals("classification", d.get("task").asText());
        assertEquals(ServingFixtures.NAMES.toString().replace(" ", ""),
                d.get("classes").toString().replace("\"", ""));
        assertEquals("[32]", d.get("input_sizes").toString());
        assertEquals("[\"identity\",\"hflip\"]", d.get("tta").toString());
        assertEquals("resnet18", d.get("members").get(0).get("model").asText());
        assertEquals(3, d.get("members").get(0).get("mean").size());
        assertTrue(d.get("preprocessing").has("normalize"));
        JsonNode one = json(get(http, base, "/v1/models/pets/versions/1", TOKEN));
        assertEquals("1", one.get("version").asText());
        assertEquals("[]", one.get("tta").toString());
    }

    @Test
    void predict_plainBody_answersTheHighestVersion_asInProcess() throws Exception {
        for (int seed = 0; seed < 4; seed++) {
            byte[] img = image(seed);
            HttpResponse<String> r = post(http, base, "/v1/models/pets:predict", img, seed % 2 == 0 ? "image/png"
                    : "image/jpeg", TOKEN);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode a = json(r);
            assertEquals("pets", a.get("model").asText());
            assertEquals("2", a.get("version").asText());
            assertEquals(false, a.get("tta").asBoolean());
            assertTrue(a.get("time_ms").asDouble() > 0);
            assertEquals(1, a.get("predictions").size());
            assertEquals("body", a.get("predictions").get(0).get("image").asText());
            assertSame(v2.predict(img), a.get("predictions").get(0).get("top"), 4);
        }
        byte[] img = image(5);
        HttpResponse<String> r = post(http, base, "/v1/models/pets/versions/1:predict?top_k=2", img,
                "application/octet-stream", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("1", json(r).get("version").asText());
        assertSame(v1.predict(img), json(r).get("predictions").get(0).get("top"), 2);
    }

    @Test
    void predict_multipart_answersEveryImageInOrder() throws Exception {
        byte[] a = image(6);
        byte[] b = image(7);
        HttpResponse<String> r = postParts(http, base, "/v1/models/pets:predict?top_k=3", List.of(
                new ServeTestSupport.Part("file", "a.png", "image/png", a),
                new ServeTestSupport.Part("file", "b.jpg", "image/jpeg", b)), TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode p = json(r).get("predictions");
        assertEquals(2, p.size());
        assertEquals("a.png", p.get(0).get("image").asText());
        assertEquals("b.jpg", p.get(1).get("image").asText());
        assertSame(v2.predict(a), p.get(0).get("top"), 3);
        assertSame(v2.predict(b), p.get(1).get("top"), 3);
    }

    @Test
    void predict_withTta_asInProcessTta_andRefusedWhereNotOffered() throws Exception {
        byte[] img = image(8);
        HttpResponse<String> r = post(http, base, "/v1/models/pets:predict?tta=true", img, "image/png", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(true, json(r).get("tta").asBoolean());
        assertSame(v2Tta.predict(img), json(r).get("predictions").get(0).get("top"), 4);
        HttpResponse<String> no = post(http, base, "/v1/models/pets/versions/1:predict?tta=true", img, "image/png",
                TOKEN);
        assertError(no, 400, "tta_not_offered");
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode e = json(r);
        assertEquals(code, e.get("error").asText(), r.body());
        assertTrue(e.get("detail").asText().length() > 5, r.body());
    }

    @Test
    void badInput_answers400_withTheReason() throws Exception {
        assertError(post(http, base, "/v1/models/pets:predict", new byte[0], "image/png", TOKEN), 400, "empty_image");
        HttpResponse<String> bad = post(http, base, "/v1/models/pets:predict", "not an image".getBytes(),
                "image/jpeg", TOKEN);
        assertError(bad, 400, "undecodable_image");
        assertTrue(json(bad).get("detail").asText().contains("image 0 ('body')"), bad.body());
        HttpResponse<String> part = postParts(http, base, "/v1/models/pets:predict", List.of(
                new ServeTestSupport.Part("file", "ok.png", "image/png", image(1)),
                new ServeTestSupport.Part("file", "broken.png", "image/png", new byte[] {1, 2, 3})), TOKEN);
        assertError(part, 400, "undecodable_image");
        assertTrue(json(part).get("detail").asText().contains("broken.png"), part.body());
        assertError(postParts(http, base, "/v1/models/pets:predict", List.of(
                new ServeTestSupport.Part("file", "empty.png", "image/png", new byte[0])), TOKEN), 400, "empty_image");
        assertError(post(http, base, "/v1/models/pets:predict?top_k=0", image(1), "image/png", TOKEN), 400,
                "bad_request");
        assertError(post(http, base, "/v1/models/pets:predict?top_k=5", image(1), "image/png", TOKEN), 400,
                "bad_request"); // 4 classes
        assertError(post(http, base, "/v1/models/pets:predict?tta=maybe", image(1), "image/png", TOKEN), 400,
                "bad_request");
        assertError(post(http, base, "/v1/models/pets:predict", image(1), "multipart/form-data", TOKEN), 400,
                "bad_multipart");
    }

    @Test
    void auth_notFound_method_andSize_errors() throws Exception {
        HttpResponse<String> none = post(http, base, "/v1/models/pets:predict", image(1), "image/png", null);
        assertError(none, 401, "unauthorized");
        assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
        assertError(get(http, base, "/v1/models", "wrong"), 401, "unauthorized");
        assertError(post(http, base, "/v1/models/cats:predict", image(1), "image/png", TOKEN), 404, "model_not_found");
        assertError(post(http, base, "/v1/models/pets/versions/9:predict", image(1), "image/png", TOKEN), 404,
                "version_not_found");
        assertError(get(http, base, "/v1/models/cats", TOKEN), 404, "model_not_found");
        assertError(get(http, base, "/nothing/here", null), 404, "not_found");
        assertError(get(http, base, "/v1/models/pets/extra", TOKEN), 404, "not_found");
        HttpResponse<String> getPredict = get(http, base, "/v1/models/pets:predict", TOKEN);
        assertError(getPredict, 405, "method_not_allowed");
        assertEquals("POST", getPredict.headers().firstValue("Allow").orElse(""));
        assertError(post(http, base, "/v1/models", image(1), "image/png", TOKEN), 405, "method_not_allowed");
        assertError(post(http, base, "/health/live", new byte[1], "image/png", null), 405, "method_not_allowed");
        byte[] big = new byte[(int) MAX_BODY + 1];
        assertError(post(http, base, "/v1/models/pets:predict", big, "image/png", TOKEN), 413, "body_too_large");
        // the server still answers after refusing a body
        assertEquals(200, post(http, base, "/v1/models/pets:predict", image(2), "image/png", TOKEN).statusCode());
        String m = get(http, base, "/metrics", null).body();
        assertTrue(m.contains("jvision_requests_total{code=\"401\",model=\"pets\",version=\"\"}"), m);
        assertTrue(m.contains("jvision_requests_total{code=\"404\",model=\"unknown\",version=\"\"}"), m);
        assertTrue(m.contains("jvision_requests_total{code=\"413\",model=\"pets\",version=\"2\"}"), m);
    }
}
