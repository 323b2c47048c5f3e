package dev.jvision.models.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server on 127.0.0.1 that answers like the Hugging Face hub:
 * {@code HEAD/GET /ORG/NAME/resolve/REV/FILE} with {@code X-Repo-Commit}; regular files with
 * {@code ETag} = git blob SHA-1 and their bytes; LFS files ({@code .safetensors}) with a 302 to a
 * storage host ({@code localhost} instead of {@code 127.0.0.1}: another host name for this server)
 * carrying {@code X-Linked-Etag} = SHA-256 and {@code X-Linked-Size}; storage answers Range
 * requests with 206. Misbehaviours for the tests: a token requirement (401 without, 403 with a
 * wrong one), a renamed repository (relative 307), dropped connections, a corrupted body, a
 * storage host that ignores Range. Records every request. Thread-safe; the caller closes it.
 */
final class FakeHub implements AutoCloseable {
    /** One request as seen by the server. */
    record Request(String method, String path, String range, String authorization) {}

    private final HttpServer server;
    private final Map<String, Map<String, byte[]>> repos = new LinkedHashMap<>();
    private final Map<String, String> renamed = new LinkedHashMap<>();
    private final Map<String, byte[]> storage = new LinkedHashMap<>();
    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    volatile String commit = "0123456789abcdef0123456789abcdef01234567";
    volatile String token;
    /** Storage GETs to cut off after {@link #dropAfter} bytes (each cut decrements it). */
    final AtomicInteger drops = new AtomicInteger();
    volatile int dropAfter;
    volatile boolean corrupt;
    volatile boolean ignoreRange;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Adds {@code file} with {@code data} to repository {@code id}. */
    FakeHub file(String id, String file, byte[] data) {
        repos.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(file, data);
        storage.put(sha256(data), data);
        return this;
    }

    /** Makes {@code oldId} a redirect to {@code newId}, as the hub does for renamed repositories. */
    FakeHub rename(String oldId, String newId) {
        renamed.put(oldId, newId);
        return this;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    long count(String method, String pathPart) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.method().equals(method) && r.path().contains(pathPart)).count();
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        requests.add(new Request(method, ex.getRequestHeaders().getFirst("Host") + path,
                ex.getRequestHeaders().getFirst("Range"), ex.getRequestHeaders().getFirst("Authorization")));
        try {
            answer(ex, path, method);
        } catch (DroppedConnection d) {
            throw d; // not closed here: the server then drops the connection
        }
        ex.close();
    }

    private void answer(HttpExchange ex, String path, String method) throws IOException {
        {
            if (path.startsWith("/cdn/")) {
                storage(ex, path.substring(5), method.equals("GET"));
                return;
            }
            int r = path.indexOf("/resolve/");
            if (r < 0) {
                empty(ex, 404, Map.of("X-Error-Code", "RepositoryNotFound"));
                return;
            }
            String id = path.substring(1, r);
            String rest = path.substring(r + "/resolve/".length());
            if (renamed.containsKey(id)) {
                empty(ex, 307, Map.of("Location", "/" + renamed.get(id) + "/resolve/" + rest));
                return;
            }
            if (token != null) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                if (auth == null) {
                    empty(ex, 401, Map.of("X-Error-Message", "Access to model " + id + " is restricted."));
                    return;
                }
                if (!auth.equals("Bearer " + token)) {
                    empty(ex, 403, Map.of());
                    return;
                }
            }
            Map<String, byte[]> files = repos.get(id);
            if (files == null) {
                empty(ex, 404, Map.of("X-Error-Code", "RepositoryNotFound"));
                return;
            }
            int slash = rest.indexOf('/');
            String file = rest.substring(slash + 1);
            byte[] data = files.get(file);
            if (data == null) {
                empty(ex, 404, Map.of("X-Error-Code", "EntryNotFound", "X-Repo-Commit", commit));
                return;
            }
            ex.getResponseHeaders().add("X-Repo-Commit", commit);
            if (file.endsWith(".safetensors")) {
                String sha = sha256(data);
                ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
                ex.getResponseHeaders().add("X-Linked-Size", Long.toString(data.length));
                ex.getResponseHeaders().add("ETag", "\"" + gitSha1("version https://git-lfs.github.com/spec/v1\n"
                        .getBytes(StandardCharsets.UTF_8)) + "\"");
                empty(ex, 302, Map.of("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn/" + sha));
                return;
            }
            ex.getResponseHeaders().add("ETag", "\"" + gitSha1(data) + "\"");
            send(ex, 200, data, 0, method.equals("GET"));
        }
    }

    private void storage(HttpExchange ex, String sha, boolean body) throws IOException {
        byte[] data = storage.get(sha);
        if (data == null) {
            empty(ex, 404, Map.of());
            return;
        }
        if (corrupt) {
            data = data.clone();
            data[data.length / 2] ^= 0x5A;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        long from = 0;
        if (range != null && !ignoreRange) {
            from = Long.parseLong(range.substring("bytes=".length(), range.indexOf('-')));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
            send(ex, 206, data, (int) from, body);
            return;
        }
        send(ex, 200, data, 0, body);
    }

    private void send(HttpExchange ex, int code, byte[] data, int from, boolean body) throws IOException {
        int n = data.length - from;
        if (!body) {
            ex.getResponseHeaders().add("Content-Length", Integer.toString(n));
            ex.sendResponseHeaders(code, -1);
            return;
        }
        ex.sendResponseHeaders(code, n);
        OutputStream out = ex.getResponseBody();
        if (ex.getRequestURI().getPath().startsWith("/cdn/") && drops.get() > 0 && n > dropAfter) {
            drops.decrementAndGet();
            out.write(data, from, dropAfter);
            out.flush();
            // cut the connection mid-body: the client sees fewer bytes than Content-Length
            throw new DroppedConnection();
        }
        out.write(data, from, n);
    }

    /** Thrown inside the handler to abort the exchange; the server closes the connection. */
    private static final class DroppedConnection extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static void empty(HttpExchange ex, int code, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        ex.sendResponseHeaders(code, -1);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String gitSha1(byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            md.update(("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Set<String> paths(List<Request> rs) {
        Set<String> out = new java.util.TreeSet<>();
        rs.forEach(r -> out.add(r.method() + " " + r.path()));
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
