package dev.jvision.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.infer.ServingFixtures;
import dev.jvision.models.CheckpointInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** HTTP client helpers and model fixtures for the server tests. Stateless and thread-safe. */
final class ServeTestSupport {
    /**
     * Polls {@code condition} until it holds; fails with {@code what()} after {@code limit} (a guard
     * against a hung server, not a speed check: the limits are minutes above the expected wait).
     */
    static void awaitCondition(java.util.function.BooleanSupplier condition, Duration limit,
                               java.util.function.Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                org.junit.jupiter.api.Assertions.fail("gave up waiting for " + what.get());
            }
            Thread.sleep(5);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();
    static final String BOUNDARY = "jvision-test-boundary-7d1f";

    private ServeTestSupport() {}

    /** One part of a multipart body. */
    record Part(String field, String fileName, String type, byte[] bytes) {}

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    static HttpResponse<String> get(HttpClient c, URI base, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(HttpClient c, URI base, String path, byte[] body, String type, String token)
            throws Exception {
        return post(c, base, path, body, type, token, Duration.ofSeconds(120));
    }

    /** As above, giving up after {@code timeout} (a guard against a hung server, not a speed check). */
    static HttpResponse<String> post(HttpClient c, URI base, String path, byte[] body, String type, String token,
                                     Duration timeout) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            b.header("Content-Type", type);
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> postParts(HttpClient c, URI base, String path, List<Part> parts, String token)
            throws Exception {
        return post(c, base, path, multipart(parts), "multipart/form-data; boundary=" + BOUNDARY, token);
    }

    static byte[] multipart(List<Part> parts) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part p : parts) {
            out.write(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + p.field() + "\""
                    + (p.fileName() == null ? "" : "; filename=\"" + p.fileName() + "\"") + "\r\nContent-Type: "
                    + p.type() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(p.bytes());
            out.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /**
     * The fixture checkpoint with its sidecar saying {@code size} px: the same weights run slower
     * at a large size (for queue and timeout tests).
     */
    static Path checkpointAt(Path dir, long seed, int size) throws IOException {
        Path file = ServingFixtures.checkpoint(dir, seed);
        Path sidecar = CheckpointInfo.sidecarOf(file);
        CheckpointInfo i = CheckpointInfo.read(sidecar);
        new CheckpointInfo(i.model(), i.numClasses(), size, i.mean(), i.std(), i.fold(), i.epoch(), i.valF1(),
                i.valAcc(), i.valLoss(), i.classNames(), i.created()).write(sidecar);
        return file;
    }

    /** A PNG (even seeds) or JPEG (odd seeds) picture of varied size. */
    static byte[] image(int seed) {
        int w = 24 + (seed * 7) % 40;
        int h = 20 + (seed * 11) % 44;
        return ServingFixtures.encode(ServingFixtures.picture(1000 + seed, w, h,
                java.awt.image.BufferedImage.TYPE_3BYTE_BGR), seed % 2 == 0 ? "png" : "jpg");
    }
}
