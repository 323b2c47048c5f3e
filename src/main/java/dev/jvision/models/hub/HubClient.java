package dev.jvision.models.hub;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads files of hub model repositories into the {@link HubCache}, the way
 * {@code huggingface_hub} does, over {@link HttpClient}:
 * <ol>
 *   <li>{@code HEAD ENDPOINT/ORG/NAME/resolve/REVISION/FILE} (with {@code Authorization: Bearer}
 *       when a token is set) gives the commit ({@code X-Repo-Commit}), the blob id
 *       ({@code X-Linked-Etag}, else {@code ETag}), the size ({@code X-Linked-Size}, else
 *       {@code Content-Length}) and, for LFS files, a redirect to the storage host. Redirects on
 *       the hub's own host (relative ones: renamed repositories) are followed; a redirect to
 *       another host ends the HEAD and becomes the download URL, and the token is not sent there.</li>
 *   <li>A file already in the cache (pointer or blob) is not downloaded again.</li>
 *   <li>{@code GET} into {@code blobs/ETAG.incomplete}, resuming a partial file with
 *       {@code Range: bytes=N-} (a server answering 200 instead of 206 restarts it), with a
 *       progress bar; a dropped connection is resumed up to {@code retries} times, and the
 *       partial file is kept for the next call when they are spent.</li>
 *   <li>The size, and the SHA-256 when the blob id is one (LFS files), are checked before the
 *       file is renamed to {@code blobs/ETAG}; a mismatch deletes the partial file and fails,
 *       leaving nothing in {@code blobs} or {@code snapshots}.</li>
 *   <li>{@code snapshots/COMMIT/FILE} is linked to the blob and {@code refs/REVISION} written.</li>
 * </ol>
 * With {@link HubSettings#offline()} no request is made: cached files are returned, missing ones
 * fail naming the path to fill. Thread-safe: downloads of one blob are serialised within the JVM
 * and by a file lock in {@code CACHE/.locks} across jvision processes.
 */
public final class HubClient {
    private static final Logger LOG = LoggerFactory.getLogger(HubClient.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_REDIRECTS = 10;
    private static final Map<String, Object> BLOB_LOCKS = new ConcurrentHashMap<>();

    private final HubSettings settings;
    private final HubCache cache;
    private final HttpClient http;
    private final int retries;

    /** A client of {@code settings}' endpoint and cache that resumes a dropped download twice before giving up. */
    public HubClient(HubSettings settings) {
        this(settings, 2);
    }

    /** @param retries how many times one call resumes a download whose connection dropped, &gt;= 0 */
    public HubClient(HubSettings settings, int retries) {
        if (retries < 0) {
            throw new IllegalArgumentException("retries: " + retries + " (expected: >= 0)");
        }
        this.settings = settings;
        this.cache = settings.cache();
        this.retries = retries;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.timeout()).build();
    }

    /** The cache this client fills. */
    public HubCache cache() {
        return cache;
    }

    /**
     * What the hub says about one file (from its HEAD answer).
     *
     * @param commit the commit the revision resolves to
     * @param etag the blob id: SHA-256 of an LFS file, git SHA-1 of others
     * @param size the file's size in bytes, or -1 when the hub did not say
     * @param location where to GET the bytes (the storage host for LFS files)
     */
    public record FileMetadata(String commit, String etag, long size, URI location) {
        /** Whether {@link #etag()} is a SHA-256 the downloaded bytes can be checked against. */
        public boolean checksummed() {
            return SHA256.matcher(etag).matches();
        }
    }

    /** The URL {@code huggingface_hub} builds for a file: {@code ENDPOINT/ID/resolve/REVISION/FILE}. */
    public URI resolveUrl(RepoId repo, String file) {
        StringBuilder path = new StringBuilder();
        for (String part : file.split("/")) {
            path.append('/').append(encode(part));
        }
        return URI.create(settings.endpoint() + "/" + repo.id() + "/resolve/" + encode(repo.revision()) + path);
    }

    /**
     * Asks the hub for {@code file}'s metadata (one HEAD, following redirects on the hub's host).
     *
     * @throws HubException for HTTP errors (401/403/404 explained) or an answer that is not a hub's
     * @throws IOException when the hub cannot be reached
     */
    public FileMetadata metadata(RepoId repo, String file) throws IOException {
        requireOnline(repo, file);
        URI url = resolveUrl(repo, file);
        URI start = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder rb = request(url, start).method("HEAD", HttpRequest.BodyPublishers.noBody())
                    .header("Accept-Encoding", "identity");
            HttpResponse<Void> r = send(rb.build(), HttpResponse.BodyHandlers.discarding(), repo);
            int code = r.statusCode();
            Optional<String> location = r.headers().firstValue("Location");
            if (isRedirect(code) && location.isPresent()) {
                URI target = url.resolve(location.get());
                if (sameHost(start, target)) {
                    url = target;
                    continue;
                }
                return metadataOf(r, repo, file, target, url);
            }
            if (code >= 400) {
                throw httpError(code, r.headers(), url, repo, file);
            }
            return metadataOf(r, repo, file, url, url);
        }
        throw new HubException(0, url + ": more than " + MAX_REDIRECTS + " redirects for " + repo + " file " + file);
    }

    private FileMetadata metadataOf(HttpResponse<Void> r, RepoId repo, String file, URI location, URI from)
            throws HubException {
        String commit = r.headers().firstValue("X-Repo-Commit").orElse(null);
        if (commit == null || commit.isBlank()) {
            throw new HubException(0, from + ": the answer has no X-Repo-Commit header, so it is not from a Hugging "
                    + "Face hub (check HF_ENDPOINT '" + settings.endpoint() + "' and proxies)");
        }
        String etag = normalizeEtag(r.headers().firstValue("X-Linked-Etag")
                .or(() -> r.headers().firstValue("ETag")).orElse(null));
        if (etag == null || etag.isEmpty() || etag.contains("/") || etag.contains("..")) {
            throw new HubException(0, from + ": no usable ETag or X-Linked-Etag header ('" + etag + "') for " + repo
                    + " file " + file);
        }
        long size = r.headers().firstValue("X-Linked-Size").map(HubClient::parseSize)
                .orElse(isRedirect(r.statusCode()) ? -1L
                        : r.headers().firstValue("Content-Length").map(HubClient::parseSize).orElse(-1L));
        return new FileMetadata(commit.strip(), etag, size, location);
    }

    /**
     * The cached {@code file} of {@code repo}, downloading it first when it is missing (offline
     * mode: never). A branch or tag revision is always resolved with the hub (one HEAD) so that
     * a moved branch is noticed; {@link Pretrained} looks in the cache first.
     *
     * @return the snapshot pointer {@code snapshots/COMMIT/FILE}
     * @throws HubException for HTTP errors, a wrong checksum, or offline mode without the file
     * @throws IOException when the hub cannot be reached and the file is not cached
     */
    public Path download(RepoId repo, String file) throws IOException {
        if (repo.isCommit()) {
            Path pointer = cache.snapshotFile(repo, repo.revision(), file);
            if (Files.isRegularFile(pointer)) {
                return pointer;
            }
        }
        if (settings.offline()) {
            Optional<Path> cached = cache.find(repo, file);
            if (cached.isPresent()) {
                return cached.get();
            }
            requireOnline(repo, file);
        }
        FileMetadata meta;
        try {
            meta = metadata(repo, file);
        } catch (HubException e) {
            throw e;
        } catch (IOException e) {
            Optional<Path> cached = cache.find(repo, file);
            if (cached.isPresent()) {
                LOG.warn("{}: the hub cannot be reached ({}); using the cached {}", repo, e.getMessage(), cached.get());
                return cached.get();
            }
            throw e;
        }
        Path pointer = cache.snapshotFile(repo, meta.commit(), file);
        if (Files.isRegularFile(pointer)) {
            cache.writeRef(repo, meta.commit());
            return pointer;
        }
        Path blob = cache.blob(repo, meta.etag());
        String key = blob.toString();
        synchronized (BLOB_LOCKS.computeIfAbsent(key, k -> new Object())) {
            Path lockFile = cache.root().resolve(".locks").resolve(repo.folderName()).resolve(meta.etag() + ".lock");
            Files.createDirectories(lockFile.getParent());
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (!Files.isRegularFile(blob)) {
                    new BlobDownload(this, retries).fetch(repo, file, meta, blob);
                }
                cache.link(repo, meta.commit(), file, meta.etag());
                cache.writeRef(repo, meta.commit());
            }
        }
        return pointer;
    }

    HttpRequest.Builder request(URI url, URI hub) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(settings.timeout())
                .header("User-Agent", "jvision/0.1.0 (hf-hub compatible; java " + Runtime.version().feature() + ")");
        if (settings.token() != null && sameHost(hub, url)) {
            b.header("Authorization", "Bearer " + settings.token()); // never to a storage host
        }
        return b;
    }

    <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler, RepoId repo)
            throws IOException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(req.uri() + ": interrupted", e);
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new IOException("cannot reach the hub at " + req.uri().getScheme() + "://" + req.uri().getAuthority()
                    + " for " + repo + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + "); without network set HF_HUB_OFFLINE=1 and fill the cache " + cache.root()
                    + " on a connected machine", e);
        } catch (HttpTimeoutException e) {
            throw new IOException(req.uri() + ": no answer within " + settings.timeout().toSeconds() + " s for " + repo, e);
        }
    }

    HubException httpError(int code, java.net.http.HttpHeaders h, URI url, RepoId repo, String file) {
        String errorCode = h.firstValue("X-Error-Code").orElse("");
        String serverMsg = h.firstValue("X-Error-Message").map(m -> " (hub: " + m + ")").orElse("");
        String what = switch (code) {
            case 401 -> "repository '" + repo.id() + "' needs a token with access: it is private or gated, or does not "
                    + "exist (" + (settings.token() == null ? "HF_TOKEN is not set" : "the token was refused") + ")";
            case 403 -> "the token has no access to '" + repo.id() + "' (a gated repository: accept its conditions on "
                    + "its hub page with the token's account)";
            case 404 -> switch (errorCode) {
                case "RepositoryNotFound" -> "repository '" + repo.id() + "' not found";
                case "RevisionNotFound" -> "revision '" + repo.revision() + "' not found in '" + repo.id() + "'";
                default -> "file '" + file + "' not found in '" + repo.id() + "' at revision '" + repo.revision() + "'";
            };
            case 429 -> "too many requests; try again later";
            default -> "HTTP " + code;
        };
        return new HubException(code, "HTTP " + code + " from " + url + ": " + what + serverMsg);
    }

    private void requireOnline(RepoId repo, String file) throws HubException {
        if (settings.offline()) {
            throw new HubException(HubException.OFFLINE, repo + " " + file + ": not in the Hugging Face cache and HF_HUB_OFFLINE is set, "
                    + "so nothing is downloaded (expected: " + expectedPath(repo, file) + "; fill it with `jvision "
                    + "weights pull " + repo.id() + (repo.revision().equals(RepoId.DEFAULT_REVISION) ? ""
                    : " --revision " + repo.revision()) + "` or huggingface_hub where the hub can be reached, "
                    + "then copy the folder " + cache.repoFolder(repo) + ")");
        }
    }

    /** The path a file of {@code repo} has in the cache, with a placeholder for an unknown commit. */
    String expectedPath(RepoId repo, String file) {
        if (repo.isCommit()) {
            return cache.snapshotFile(repo, repo.revision(), file).toString();
        }
        return cache.repoFolder(repo).resolve("snapshots").resolve("<commit in refs/" + repo.revision() + ">")
                .resolve(file) + " and " + cache.refFile(repo);
    }

    static boolean isRedirect(int code) {
        return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
    }

    static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && a.getPort() == b.getPort()
                && a.getScheme().equalsIgnoreCase(b.getScheme());
    }

    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        return e;
    }

    private static long parseSize(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1L;
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
