package dev.jvision.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.infer.Classifier;
import dev.jvision.infer.Prediction;
import dev.jvision.infer.QueueFullException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every endpoint of {@code jvision serve} (JSON, errors as {@code {"error", "detail"}}):
 * {@code POST /v1/models/{name}[/versions/{v}]:predict}, {@code GET /v1/models[/{name}[/versions/{v}]]},
 * {@code GET /health/live}, {@code GET /health/ready}, {@code GET /metrics}.
 *
 * <p>A predict request is read and decoded on a Jetty thread (blocking, bounded by the body
 * limit), queued in the model's {@link Classifier}, and answered asynchronously when its images
 * are classified: the Jetty thread is free while the batch runs. A request that times out or
 * whose client disconnects cancels its images, which leave the queue at once. Thread-safe.
 */
final class ApiHandler extends Handler.Abstract {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InferenceServer server;
    private final ServeConfig config;
    private final ServerMetrics metrics;

    ApiHandler(InferenceServer server, ServeConfig config, ServerMetrics metrics) {
        this.server = server;
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getDecodedPath();
        String method = request.getMethod();
        Route route = new Route(path);
        try {
            switch (path) {
                case "/health/live" -> {
                    allow(method, "GET");
                    send(response, callback, 200, Map.of("status", "live"), Map.of(), null);
                }
                case "/health/ready" -> {
                    allow(method, "GET");
                    ready(response, callback);
                }
                case "/metrics" -> {
                    allow(method, "GET");
                    byte[] text = metrics.scrape();
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, metrics.contentType());
                    response.write(true, ByteBuffer.wrap(text), callback);
                }
                default -> {
                    if (!route.isApi()) {
                        throw new ApiError(404, "not_found", "no endpoint " + path + " (expected: /v1/models, "
                                + "/v1/models/{name}:predict, /health/live, /health/ready or /metrics)");
                    }
                    authenticate(request);
                    api(route, method, request, response, callback);
                }
            }
        } catch (ApiError e) {
            send(response, callback, e.status, error(e.code, e.getMessage()), e.headers, route);
        } catch (Exception e) {
            LOG.error("{} {}: {}", method, path, e.toString(), e);
            send(response, callback, 500, error("internal", e.toString()), Map.of(), route);
        }
        return true;
    }

    private void ready(Response response, Callback callback) {
        ModelTable t = server.table();
        if (server.draining()) {
            throw new ApiError(503, "shutting_down", "the server is stopping");
        }
        if (t == null) {
            throw new ApiError(503, "not_ready", server.notReadyReason());
        }
        List<String> names = t.all().stream().map(m -> m.name() + "/" + m.version()).toList();
        send(response, callback, 200, Map.of("status", "ready", "models", names), Map.of(), null);
    }

    private void api(Route route, String method, Request request, Response response, Callback callback)
            throws Exception {
        if (route.predict) {
            allow(method, "POST");
        } else {
            allow(method, "GET");
        }
        ModelTable t = server.table();
        if (server.draining()) {
            throw new ApiError(503, "shutting_down", "the server is stopping (expected: retry on another instance)",
                    Map.of("Connection", "close"));
        }
        if (t == null) {
            throw new ApiError(503, "not_ready", server.notReadyReason(), Map.of("Retry-After", "1"));
        }
        if (route.name == null) {
            List<Object> all = new ArrayList<>();
            for (ServedModel m : t.all()) {
                all.add(Map.of("name", m.name(), "version", m.version(), "num_classes", m.numClasses()));
            }
            send(response, callback, 200, Map.of("models", all), Map.of(), route);
            return;
        }
        if (!route.predict) {
            if (route.version == null) {
                t.find(route.name, null); // 404 when unknown
                List<Object> versions = t.versions(route.name).stream().map(m -> (Object) m.describe()).toList();
                send(response, callback, 200, Map.of("name", route.name, "versions", versions), Map.of(), route);
            } else {
                send(response, callback, 200, t.find(route.name, route.version).describe(), Map.of(), route);
            }
            return;
        }
        predict(t.find(route.name, route.version), request, response, callback);
    }

    private void predict(ServedModel model, Request request, Response response, Callback callback) throws Exception {
        long start = request.getHeadersNanoTime();
        try {
            predict(model, request, response, callback, start);
        } catch (ApiError e) { // counted under the model's name and version
            send(response, callback, e.status, error(e.code, e.getMessage()), e.headers,
                    new Route(request.getHttpURI().getDecodedPath()), model, start);
        }
    }

    private void predict(ServedModel model, Request request, Response response, Callback callback, long start)
            throws Exception {
        Fields query = Request.extractQueryParameters(request);
        int k = topK(query.getValue("top_k"), model);
        boolean tta = flag(query.getValue("tta"), "tta");
        Classifier classifier = model.classifier(tta);
        if (classifier == null) {
            throw new ApiError(400, "tta_not_offered", "model " + model.name() + " version " + model.version()
                    + " offers no TTA (expected: tta: [views] in its serve.yaml entry, or --tta on the command line)");
        }
        List<RequestImages.Image> images = RequestImages.read(request, config.maxBody());
        if (images.size() > model.config().queue()) {
            throw new ApiError(413, "too_many_images", images.size() + " images in one request (expected: at most "
                    + "the model's queue, " + model.config().queue() + ")");
        }
        List<CompletableFuture<Prediction>> futures;
        if (!server.enter()) {
            throw new ApiError(503, "shutting_down", "the server is stopping (expected: retry on another instance)",
                    Map.of("Connection", "close"));
        }
        try {
            futures = classifier.submitAll(images.stream().map(i -> (Object) i.bytes()).toList());
            server.countAccepted();
        } catch (QueueFullException e) {
            server.leave();
            throw new ApiError(429, "queue_full", e.getMessage(), Map.of("Retry-After", "1"));
        } catch (IllegalStateException e) {
            server.leave();
            throw new ApiError(503, "shutting_down", e.getMessage());
        } catch (IllegalArgumentException e) {
            server.leave();
            throw new ApiError(400, "undecodable_image", labelled(e.getMessage(), images));
        } catch (RuntimeException e) {
            server.leave();
            throw e;
        }
        long left = config.timeout().toNanos() - (System.nanoTime() - start);
        CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture[0]))
                .orTimeout(Math.max(1, left), TimeUnit.NANOSECONDS);
        Runnable abandon = () -> futures.forEach(f -> f.cancel(false)); // the client went away
        request.addFailureListener(failure -> abandon.run());
        AutoCloseable watching = server.clients().watch(address(request.getConnectionMetaData().getLocalSocketAddress()),
                address(request.getConnectionMetaData().getRemoteSocketAddress()), abandon);
        Route route = new Route(request.getHttpURI().getDecodedPath());
        Callback done = new Callback() { // the prediction counts as in flight until its answer is written
            @Override
            public void succeeded() {
                try {
                    callback.succeeded();
                } finally {
                    server.leave();
                }
            }

            @Override
            public void failed(Throwable x) {
                try {
                    callback.failed(x);
                } finally {
                    server.leave();
                }
            }
        };
        // answer on a Jetty thread, not on the classifier's worker (which goes on with the next batch)
        all.whenCompleteAsync((v, failure) -> {
            try {
                watching.close();
                Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                        : failure;
                if (t == null) {
                    send(response, done, 200, answer(model, images, futures, k, tta, start), Map.of(), route,
                            model, start);
                } else if (t instanceof TimeoutException) {
                    futures.forEach(f -> f.cancel(false));
                    send(response, done, 503, error("timeout", "no answer within " + config.timeout().toMillis()
                            + " ms (expected: a shorter queue; raise --timeout-ms or add capacity)"), Map.of(
                            "Retry-After", "1"), route, model, start);
                } else if (t instanceof CancellationException) {
                    metrics.request(model.name(), model.version(), 499, 0, true);
                    done.failed(new org.eclipse.jetty.io.EofException("client disconnected")); // nothing to answer
                } else {
                    send(response, done, 500, error("internal", t.toString()), Map.of(), route, model, start);
                }
            } catch (Exception e) {
                LOG.error("answering a prediction: {}", e.toString(), e);
                done.failed(e);
            }
        }, server.executor());
    }

    private Map<String, Object> answer(ServedModel model, List<RequestImages.Image> images,
                                       List<CompletableFuture<Prediction>> futures, int k, boolean tta, long start) {
        List<Object> predictions = new ArrayList<>(images.size());
        boolean calibrated = false;
        for (int i = 0; i < images.size(); i++) {
            Prediction p = futures.get(i).join();
            calibrated |= p.calibrated();
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("image", images.get(i).label());
            one.put("top", ServedModel.top(p, k));
            predictions.add(one);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", model.name());
        out.put("version", model.version());
        out.put("calibrated", calibrated);
        out.put("tta", tta);
        out.put("predictions", predictions);
        out.put("time_ms", Math.round((System.nanoTime() - start) / 1e4) / 100.0);
        return out;
    }

    private static java.net.InetSocketAddress address(java.net.SocketAddress a) {
        return a instanceof java.net.InetSocketAddress i ? i : null;
    }

    private static int topK(String v, ServedModel model) {
        int max = Math.min(ServeConfig.MAX_TOP_K, model.numClasses());
        if (v == null) {
            return Math.min(model.config().topK(), max);
        }
        try {
            int k = Integer.parseInt(v);
            if (k >= 1 && k <= max) {
                return k;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ApiError(400, "bad_request", "top_k: '" + v + "' (expected: an integer from 1 to " + max + ")");
    }

    private static boolean flag(String v, String name) {
        if (v == null || v.equals("false") || v.equals("0")) {
            return false;
        }
        if (v.equals("true") || v.equals("1")) {
            return true;
        }
        throw new ApiError(400, "bad_request", name + ": '" + v + "' (expected: true or false)");
    }

    /** Replaces the batcher's {@code images[i]} with the image's label. */
    private static String labelled(String message, List<RequestImages.Image> images) {
        for (int i = 0; i < images.size(); i++) {
            String tag = "images[" + i + "]";
            if (message.contains(tag)) {
                return message.replace(tag, "image " + i + " ('" + images.get(i).label() + "')");
            }
        }
        return message;
    }

    private void authenticate(Request request) {
        if (config.token() == null) {
            return;
        }
        String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String expected = "Bearer " + config.token();
        if (h == null || !MessageDigest.isEqual(h.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "unauthorized", h == null ? "no Authorization header (expected: Authorization: "
                    + "Bearer <token>)" : "wrong bearer token", Map.of("WWW-Authenticate", "Bearer"));
        }
    }

    private static void allow(String method, String allowed) {
        if (!method.equals(allowed) && !(allowed.equals("GET") && method.equals("HEAD"))) {
            throw new ApiError(405, "method_not_allowed", method + " (expected: " + allowed + ")",
                    Map.of("Allow", allowed));
        }
    }

    private static Map<String, Object> error(String code, String detail) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", code);
        m.put("detail", detail);
        return m;
    }

    private void send(Response response, Callback callback, int status, Object body, Map<String, String> headers,
                      Route route) {
        send(response, callback, status, body, headers, route, null, 0);
    }

    /** Writes a JSON answer; counts it in the metrics when it answers {@code /v1} ({@code start} times predictions). */
    private void send(Response response, Callback callback, int status, Object body, Map<String, String> headers,
                      Route route, ServedModel model, long start) {
        if (route != null && route.isApi()) {
            String name = model != null ? model.name() : route.name == null ? "" : known(route.name);
            String version = model != null ? model.version()
                    : route.version == null || name.equals("unknown") ? "" : route.version;
            double seconds = model == null ? 0 : (System.nanoTime() - start) / 1e9;
            metrics.request(name, version, status, seconds, model != null);
            if (model != null && status == 200) {
                server.countAnswered();
            }
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            callback.failed(e);
            return;
        }
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException("response already committed"));
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    private String known(String name) {
        ModelTable t = server.table();
        return t != null && !t.versions(name).isEmpty() ? name : "unknown";
    }
}
