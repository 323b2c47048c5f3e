package dev.jvision.serve;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code jvision serve} serves and how: the listening address, limits and the models.
 * Built by {@code jvision serve}'s options or read from a {@code serve.yaml} by
 * {@link ServeConfigFile}. Immutable and thread-safe; {@link #toString()} hides the token.
 *
 * @param host     the address to listen on ({@code 127.0.0.1}: this machine only; {@code 0.0.0.0}: all)
 * @param port     the TCP port, 0 for any free one
 * @param threads  libtorch intra-op threads (0: the available processors)
 * @param maxBody  the largest request body in bytes (413 above it)
 * @param timeout  how long one request may wait for its answer (503 after it)
 * @param token    the bearer token every {@code /v1} request must carry, or null for none
 * @param models   the models, at least one; names with versions are unique
 */
public record ServeConfig(String host, int port, int threads, long maxBody, Duration timeout, String token,
                          List<Model> models) {
    /** Largest {@code top_k} a request may ask for (and the classes each prediction keeps). */
    public static final int MAX_TOP_K = 100;

    public ServeConfig {
        models = List.copyOf(models);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host: '" + host + "' (expected: an address such as 127.0.0.1)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535; 0 picks a free port)");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0)");
        }
        if (maxBody < 1) {
            throw new IllegalArgumentException("max_body: " + maxBody + " (expected: >= 1 byte)");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout_ms: " + timeout + " (expected: > 0)");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("token: empty (expected: a non-empty bearer token, or no token option)");
        }
        if (models.isEmpty()) {
            throw new IllegalArgumentException("models: none (expected: at least one model to serve)");
        }
        Set<String> seen = new HashSet<>();
        for (Model m : models) {
            if (!seen.add(m.name() + "/" + m.version())) {
                throw new IllegalArgumentException("models: " + m.name() + " version " + m.version()
                        + " listed twice (expected: each name and version once)");
            }
        }
    }

    /** Defaults: 127.0.0.1:8080, one libtorch thread per available processor, 16 MiB bodies, 30 s timeout, no token. */
    public static ServeConfig of(List<Model> models) {
        return new ServeConfig("127.0.0.1", 8080, 0, 16L << 20, Duration.ofSeconds(30), null, models);
    }

    /** This configuration listening on {@code host:port}. */
    public ServeConfig withAddress(String host, int port) {
        return new ServeConfig(host, port, threads, maxBody, timeout, token, models);
    }

    /** This configuration with other limits. */
    public ServeConfig withLimits(int threads, long maxBody, Duration timeout) {
        return new ServeConfig(host, port, threads, maxBody, timeout, token, models);
    }

    /** This configuration requiring {@code token} (null: no authentication). */
    public ServeConfig withToken(String token) {
        return new ServeConfig(host, port, threads, maxBody, timeout, token, models);
    }

    @Override
    public String toString() {
        return "ServeConfig[" + host + ":" + port + ", threads " + threads + ", max_body " + maxBody + ", timeout "
                + timeout.toMillis() + " ms, token " + (token == null ? "none" : "set") + ", models " + models + "]";
    }

    /** What a model is loaded from. */
    public enum Source {
        /** A run folder made by {@code jvision train}/{@code pipeline} (all its folds). */
        RUN,
        /** One {@code .safetensors} checkpoint with its sidecar. */
        CHECKPOINT,
        /** An ensemble file ({@code members: [...]}). */
        ENSEMBLE;

        /** The YAML key / option name: {@code run}, {@code checkpoint}, {@code ensemble}. */
        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One served model version and its batching settings.
     *
     * @param name     the name in URLs ({@code [A-Za-z0-9._-]+})
     * @param version  the version in URLs ({@code [A-Za-z0-9._-]+})
     * @param source   what {@code path} is
     * @param path     the run folder, checkpoint or ensemble file
     * @param device   {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}
     * @param maxBatch largest device batch
     * @param maxDelay longest wait for a batch to fill
     * @param queue    images that may wait before requests get 429
     * @param topK     classes answered when a request gives no {@code top_k}
     * @param tta      TTA views a request with {@code tta=true} averages (empty: TTA not offered)
     */
    public record Model(String name, String version, Source source, Path path, String device, int maxBatch,
                        Duration maxDelay, int queue, int topK, List<String> tta) {
        private static final String SAFE = "[A-Za-z0-9._-]+";

        public Model {
            tta = List.copyOf(tta);
            check("name", name);
            check("version", version);
            if (source == null || path == null) {
                throw new IllegalArgumentException("model " + name + ": no source (expected: run, checkpoint or ensemble)");
            }
            if (maxBatch < 1) {
                throw new IllegalArgumentException("model " + name + " max_batch: " + maxBatch + " (expected: >= 1)");
            }
            if (maxDelay == null || maxDelay.isNegative()) {
                throw new IllegalArgumentException("model " + name + " max_delay_ms: " + maxDelay + " (expected: >= 0)");
            }
            if (queue < 1) {
                throw new IllegalArgumentException("model " + name + " queue: " + queue + " (expected: >= 1)");
            }
            if (topK < 1 || topK > MAX_TOP_K) {
                throw new IllegalArgumentException("model " + name + " top_k: " + topK + " (expected: 1 to " + MAX_TOP_K
                        + ")");
            }
        }

        /** A model with the default settings: device auto, batches of 32, 5 ms, 1000 waiting, top 5, no TTA. */
        public static Model of(String name, String version, Source source, Path path) {
            return new Model(name, version, source, path, "auto", 32, Duration.ofMillis(5), 1000, 5, List.of());
        }

        /** This model with other batching settings. */
        public Model withBatching(int maxBatch, Duration maxDelay, int queue) {
            return new Model(name, version, source, path, device, maxBatch, maxDelay, queue, topK, tta);
        }

        /** This model on another device, with other default top-k and TTA views. */
        public Model withInference(String device, int topK, List<String> tta) {
            return new Model(name, version, source, path, device, maxBatch, maxDelay, queue, topK, tta);
        }

        private static void check(String key, String v) {
            if (v == null || !v.matches(SAFE)) {
                throw new IllegalArgumentException("model " + key + ": '" + v + "' (expected: letters, digits, '.', '_' "
                        + "or '-', as it appears in URLs)");
            }
        }
    }
}
