package dev.jvision.models.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where the Hugging Face cache lives and how the hub is reached, read from the same environment
 * variables as Python's {@code huggingface_hub}, so that both share one cache:
 * <ul>
 *   <li>cache: {@code HF_HUB_CACHE}, else the legacy {@code HUGGINGFACE_HUB_CACHE}, else
 *       {@code $HF_HOME/hub}, else {@code $XDG_CACHE_HOME/huggingface/hub}, else
 *       {@code ~/.cache/huggingface/hub};</li>
 *   <li>endpoint: {@code HF_ENDPOINT} (default {@code https://huggingface.co});</li>
 *   <li>token: {@code HF_TOKEN}, else the file {@code HF_TOKEN_PATH} (default {@code $HF_HOME/token})
 *       that {@code huggingface-cli login} writes;</li>
 *   <li>offline: {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) set to 1, ON, YES or TRUE.</li>
 * </ul>
 * Immutable and thread-safe.
 *
 * @param cacheDir the hub cache folder (holds {@code models--ORG--NAME} folders)
 * @param endpoint the hub's base URL, without a trailing slash
 * @param token bearer token sent to the hub, nullable
 * @param offline never touch the network
 * @param timeout connect and per-read timeout of hub requests
 */
public record HubSettings(Path cacheDir, URI endpoint, String token, boolean offline, Duration timeout) {
    /** The public hub. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE = Set.of("1", "ON", "YES", "TRUE");

    public HubSettings {
        if (cacheDir == null) {
            throw new IllegalArgumentException("HF_HUB_CACHE: null (expected: a folder)");
        }
        if (endpoint == null || endpoint.getScheme() == null || endpoint.getHost() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
            throw new IllegalArgumentException("HF_ENDPOINT: '" + endpoint + "' (expected: an http(s) URL such as "
                    + DEFAULT_ENDPOINT + ")");
        }
        String e = endpoint.toString();
        endpoint = URI.create(e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (token != null) {
            token = token.strip();
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            timeout = Duration.ofSeconds(30);
        }
    }

    /** The settings of this process's environment. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** The settings that the environment variables {@code env} describe (see the type's javadoc). */
    public static HubSettings fromEnvironment(Map<String, String> env) {
        String home = System.getProperty("user.home");
        Path hfHome = path(env.get("HF_HOME"), home);
        if (hfHome == null) {
            Path xdg = path(env.get("XDG_CACHE_HOME"), home);
            hfHome = (xdg != null ? xdg : Path.of(home, ".cache")).resolve("huggingface");
        }
        Path cache = path(env.get("HF_HUB_CACHE"), home);
        if (cache == null) {
            cache = path(env.get("HUGGINGFACE_HUB_CACHE"), home);
        }
        if (cache == null) {
            cache = hfHome.resolve("hub");
        }
        String endpoint = env.getOrDefault("HF_ENDPOINT", "");
        URI uri;
        try {
            uri = endpoint.isBlank() ? DEFAULT_ENDPOINT : URI.create(endpoint.strip());
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("HF_ENDPOINT: '" + endpoint + "' (expected: an http(s) URL such as "
                    + DEFAULT_ENDPOINT + ")");
        }
        String token = env.get("HF_TOKEN");
        if (token == null || token.isBlank()) {
            Path tokenFile = path(env.get("HF_TOKEN_PATH"), home);
            token = readToken(tokenFile != null ? tokenFile : hfHome.resolve("token"));
        }
        boolean offline = isTrue(env.get("HF_HUB_OFFLINE")) || isTrue(env.get("TRANSFORMERS_OFFLINE"));
        return new HubSettings(cache, uri, token, offline, Duration.ofSeconds(30));
    }

    /** These settings with another cache folder. */
    public HubSettings withCacheDir(Path dir) {
        return new HubSettings(dir, endpoint, token, offline, timeout);
    }

    /** These settings with another endpoint. */
    public HubSettings withEndpoint(URI uri) {
        return new HubSettings(cacheDir, uri, token, offline, timeout);
    }

    /** These settings with another token (null: none). */
    public HubSettings withToken(String t) {
        return new HubSettings(cacheDir, endpoint, t, offline, timeout);
    }

    /** These settings with offline mode on or off. */
    public HubSettings withOffline(boolean off) {
        return new HubSettings(cacheDir, endpoint, token, off, timeout);
    }

    /** The cache layout over {@link #cacheDir()}. */
    public HubCache cache() {
        return new HubCache(cacheDir);
    }

    @Override
    public String toString() {
        // never print the token
        return "HubSettings[cache=" + cacheDir + ", endpoint=" + endpoint + ", token=" + (token == null ? "none" : "set")
                + ", offline=" + offline + "]";
    }

    static boolean isTrue(String v) {
        return v != null && TRUE.contains(v.strip().toUpperCase(Locale.ROOT));
    }

    private static Path path(String value, String home) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        if (v.equals("~") || v.startsWith("~/")) {
            v = home + v.substring(1);
        }
        return Path.of(v);
    }

    private static String readToken(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
