package dev.jvision.models.hub;

import dev.jvision.models.hub.HubClient.FileMetadata;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.track.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GET half of {@link HubClient#download}: fetches one blob into {@code blobs/ETAG.incomplete}
 * (resuming it with a Range request, following redirects, with a progress bar), resumes dropped
 * connections up to {@code retries} times, checks size and SHA-256, and renames the file to
 * {@code blobs/ETAG}. Used under the blob's lock; one instance per download, not thread-safe.
 */
final class BlobDownload {
    private static final Logger LOG = LoggerFactory.getLogger(BlobDownload.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int MAX_REDIRECTS = 10;

    private final HubClient client;
    private final int retries;

    BlobDownload(HubClient client, int retries) {
        this.client = client;
        this.retries = retries;
    }

    /** Fetches the blob into {@code blob} through its {@code .incomplete} file; see the type's javadoc. */
    void fetch(RepoId repo, String file, FileMetadata meta, Path blob) throws IOException {
        Path partial = client.cache().incomplete(repo, meta.etag());
        Files.createDirectories(partial.getParent());
        int attempt = 0;
        while (true) {
            try {
                fetchOnce(repo, file, meta, partial);
                break;
            } catch (Interrupted e) {
                if (attempt++ >= retries) {
                    throw new IOException(repo + " " + file + ": the download broke off at " + e.have + " of "
                            + (meta.size() < 0 ? "?" : meta.size()) + " bytes (" + e.getCause().getMessage()
                            + "); the part is kept in " + partial + " and the next pull resumes it", e.getCause());
                }
                LOG.warn("{} {}: connection lost at {} bytes ({}); resuming", repo, file, e.have,
                        e.getCause().getMessage());
            }
        }
        verify(repo, file, meta, partial);
        AtomicFiles.move(partial, blob, true);
    }

    /** A body that broke off after {@code have} bytes were safely on disk. */
    private static final class Interrupted extends Exception {
        private static final long serialVersionUID = 1L;
        final long have;

        Interrupted(long have, IOException cause) {
            super(cause);
            this.have = have;
        }
    }

    private void fetchOnce(RepoId repo, String file, FileMetadata meta, Path partial) throws IOException, Interrupted {
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(partial); // longer than the file: not a prefix of it
            have = 0;
        }
        if (meta.size() >= 0 && have == meta.size()) {
            return;
        }
        URI url = meta.location();
        URI start = client.resolveUrl(repo, file);
        HttpResponse<InputStream> r = null;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder rb = client.request(url, start).GET();
            if (have > 0) {
                rb.header("Range", "bytes=" + have + "-");
            }
            r = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream(), repo);
            Optional<String> location = r.headers().firstValue("Location");
            if (HubClient.isRedirect(r.statusCode()) && location.isPresent()) {
                r.body().close();
                url = url.resolve(location.get());
                r = null;
                continue;
            }
            break;
        }
        if (r == null) {
            throw new HubException(0, url + ": more than " + MAX_REDIRECTS + " redirects for " + repo + " file " + file);
        }
        int code = r.statusCode();
        if (code == 416 && have > 0) {
            r.body().close();
            Files.delete(partial); // the server cannot serve the rest of what we hold: start over
            throw new Interrupted(0, new IOException("HTTP 416 for bytes " + have + "- of " + url));
        }
        if (code >= 400) {
            r.body().close();
            throw client.httpError(code, r.headers(), url, repo, file);
        }
        boolean append = false;
        if (code == 206) {
            Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
            if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                r.body().close();
                throw new HubException(0, url + ": asked for bytes " + have + "- but got Content-Range '"
                        + r.headers().firstValue("Content-Range").orElse("") + "'");
            }
            append = true;
        } else if (code != 200) {
            r.body().close();
            throw new HubException(code, url + ": HTTP " + code + " (expected: 200 or 206) for " + repo + " " + file);
        } else if (have > 0) {
            LOG.info("{} {}: the server ignored the range request; downloading from the start", repo, file);
            have = 0;
        }
        long total = meta.size() >= 0 ? meta.size() : have + r.headers().firstValueAsLong("Content-Length").orElse(0);
        long received = have;
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
             Progress bar = Progress.start("download " + repo.id() + "/" + file + " (KiB)",
                     Math.max(1, (total + 1023) / 1024))) {
            bar.step(have / 1024, "resumed at " + have + " bytes");
            long shown = have / 1024;
            long t0 = System.nanoTime();
            byte[] buf = new byte[1 << 16];
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    out.flush();
                    throw new Interrupted(received, e);
                }
                if (n < 0) {
                    long end = Math.max(1, (total + 1023) / 1024);
                    if (received >= total && end > shown) {
                        bar.step(end - shown, "done");
                    }
                    break;
                }
                out.write(buf, 0, n);
                received += n;
                long kib = received / 1024;
                if (kib > shown) {
                    double s = Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
                    bar.step(kib - shown, String.format(Locale.ROOT, "%.1f MB/s", (received - have) / 1e6 / s));
                    shown = kib;
                }
            }
        }
        if (meta.size() >= 0 && received < meta.size()) {
            throw new Interrupted(received, new IOException("the body ended at " + received + " of " + meta.size()
                    + " bytes"));
        }
    }

    private void verify(RepoId repo, String file, FileMetadata meta, Path partial) throws IOException {
        long size = Files.size(partial);
        String problem = null;
        if (meta.size() >= 0 && size != meta.size()) {
            problem = size + " bytes (expected: " + meta.size() + ")";
        } else if (meta.checksummed()) {
            String sha = sha256(partial);
            if (!sha.equals(meta.etag())) {
                problem = "SHA-256 " + sha + " (expected: " + meta.etag() + ", the hub's ETag)";
            }
        }
        if (problem != null) {
            Files.deleteIfExists(partial);
            throw new HubException(0, repo + " " + file + ": the downloaded file has " + problem
                    + "; it was deleted and nothing was added to the cache " + client.cache().repoFolder(repo));
        }
    }

    /** The SHA-256 of {@code file} as lower-case hex. */
    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
