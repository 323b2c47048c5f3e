package dev.jvision.models.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub client against {@link FakeHub} on 127.0.0.1: the real HTTP code path (redirects,
 * headers, Range, errors), no network. The layout it writes is compared with the one the real
 * {@code huggingface_hub} wrote for the same answers ({@code src/test/resources/hub/layout.txt},
 * made by {@code src/test/python/make_hf_cache_fixture.py}).
 */
class HubClientTest {
    static final Path FIXTURE = Path.of("src/test/resources/hub");
    static final String REPO = "timm/convnext_atto.jvision_fixture";

    @TempDir
    Path tmp;
    FakeHub hub;
    byte[] big;

    @BeforeEach
    void start() throws IOException {
        hub = new FakeHub();
        big = new byte[3 * 1024 * 1024 + 123];
        new Random(7).nextBytes(big);
        hub.file("timm/big", "model.safetensors", big).file("timm/big", "config.json", "{}".getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubSettings settings() {
        return new HubSettings(tmp.resolve("cache"), hub.endpoint(), null, false, Duration.ofSeconds(10));
    }

    Path blobs(String repo) {
        return tmp.resolve("cache").resolve(RepoId.parse(repo).folderName()).resolve("blobs");
    }

    static List<String> entries(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** The tree of a cache in the format of the fixture script's {@code layout()}, sorted. */
    static List<String> layout(Path cache) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> s = Files.walk(cache)) {
            for (Path p : s.filter(p -> !p.equals(cache)).toList()) {
                String rel = cache.relativize(p).toString();
                if (rel.startsWith(".locks") || rel.equals("CACHEDIR.TAG")) {
                    continue;
                }
                if (Files.isSymbolicLink(p)) {
                    lines.add("link " + rel + " -> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    lines.add("dir " + rel);
                } else if (("/" + rel).contains("/refs/")) {
                    lines.add("ref " + rel + " = " + Files.readString(p));
                } else {
                    lines.add("file " + rel + " " + Files.size(p));
                }
            }
        }
        return lines.stream().sorted().toList();
    }

    @Test
    void download_sameAnswersAsPythonSaw_writesTheLayoutHuggingfaceHubWrote() throws IOException {
        Path snap = FIXTURE.resolve("hf-cache").resolve("models--timm--convnext_atto.jvision_fixture").resolve("snapshots");
        Path commitDir;
        try (Stream<Path> s = Files.list(snap)) {
            commitDir = s.findFirst().orElseThrow();
        }
        hub.commit = commitDir.getFileName().toString();
        hub.file(REPO, "config.json", Files.readAllBytes(commitDir.resolve("config.json")))
                .file(REPO, "model.safetensors", Files.readAllBytes(commitDir.resolve("model.safetensors")));
        HubClient client = new HubClient(settings());
        RepoId repo = RepoId.parse(REPO);
        client.download(repo, "config.json");
        Path weights = client.download(repo, "model.safetensors");

        List<String> python = Files.readAllLines(FIXTURE.resolve("layout.txt")).stream().filter(l -> !l.isBlank())
                .sorted().toList();
        assertEquals(python, layout(tmp.resolve("cache")), "jvision's cache tree = huggingface_hub's");
        assertTrue(Files.isSymbolicLink(weights));
        // the storage host (another host name) got no token and the LFS file came through it
        assertEquals(1, hub.count("GET", "localhost:"), hub.requests.toString());
    }

    @Test
    void download_lfsFile_followsRedirectToStorageChecksAndLinks() throws IOException {
        HubClient client = new HubClient(settings().withToken("hf_secret"));
        Path p = client.download(RepoId.parse("timm/big"), "model.safetensors");
        assertArrayEquals(big, Files.readAllBytes(p));
        String sha = FakeHub.sha256(big);
        assertEquals(blobs("timm/big").resolve(sha), p.toRealPath());
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(p));
        assertEquals(hub.commit, Files.readString(tmp.resolve("cache/models--timm--big/refs/main")));
        for (FakeHub.Request r : hub.requests) {
            boolean storage = r.path().startsWith("localhost");
            assertEquals(storage ? null : "Bearer hf_secret", r.authorization(), "token only to the hub: " + r);
        }
    }

    @Test
    void download_cachedFile_headOnlyNoSecondGet() throws IOException {
        HubClient client = new HubClient(settings());
        RepoId repo = RepoId.parse("timm/big");
        Path first = client.download(repo, "model.safetensors");
        hub.requests.clear();
        assertEquals(first, client.download(repo, "model.safetensors"));
        assertEquals(List.of("HEAD"), hub.requests.stream().map(FakeHub.Request::method).toList());
        hub.requests.clear();
        Path byCommit = client.download(repo.at(hub.commit), "model.safetensors");
        assertEquals(first, byCommit);
        assertTrue(hub.requests.isEmpty(), "a commit revision already cached needs no request: " + hub.requests);
    }

    @Test
    void download_droppedConnection_keepsIncompleteAndNextPullResumesWithRange() throws IOException {
        hub.drops.set(1);
        hub.dropAfter = 1024 * 1024 + 17;
        RepoId repo = RepoId.parse("timm/big");
        String sha = FakeHub.sha256(big);
        IOException e = assertThrows(IOException.class, () -> new HubClient(settings(), 0).download(repo,
                "model.safetensors"));
        assertTrue(e.getMessage().contains("broke off") && e.getMessage().contains(".incomplete"), e.getMessage());
        Path partial = blobs("timm/big").resolve(sha + ".incomplete");
        long kept = Files.size(partial);
        // bytes still in flight when the server reset the connection may be lost: at most what it sent
        assertTrue(kept > 0 && kept <= hub.dropAfter, "the bytes received are kept: " + kept);
        assertFalse(Files.exists(blobs("timm/big").resolve(sha)));
        assertFalse(Files.exists(tmp.resolve("cache/models--timm--big/snapshots")), "no pointer to a partial blob");

        hub.requests.clear();
        Path p = new HubClient(settings(), 0).download(repo, "model.safetensors");
        assertArrayEquals(big, Files.readAllBytes(p), "resumed file verifies");
        assertEquals(List.of("bytes=" + kept + "-"), hub.requests.stream()
                .filter(r -> r.method().equals("GET")).map(FakeHub.Request::range).toList());
        assertEquals(List.of(sha), entries(blobs("timm/big")), "the .incomplete file became the blob");
    }

    @Test
    void download_droppedTwice_resumedWithinOneCall() throws IOException {
        hub.drops.set(2);
        hub.dropAfter = 700_000;
        Path p = new HubClient(settings()).download(RepoId.parse("timm/big"), "model.safetensors");
        assertArrayEquals(big, Files.readAllBytes(p));
        List<String> ranges = hub.requests.stream().filter(r -> r.method().equals("GET"))
                .map(r -> String.valueOf(r.range())).toList();
        assertEquals(3, ranges.size(), ranges.toString());
        assertEquals("null", ranges.get(0));
        long first = Long.parseLong(ranges.get(1).replaceAll("\\D", ""));
        long second = Long.parseLong(ranges.get(2).replaceAll("\\D", ""));
        assertTrue(first > 0 && first <= 700_000 && second > first && second <= first + 700_000, ranges.toString());
    }

    @Test
    void download_serverIgnoresRange_restartsFromZeroAndVerifies() throws IOException {
        RepoId repo = RepoId.parse("timm/big");
        Path partial = blobs("timm/big").resolve(FakeHub.sha256(big) + ".incomplete");
        Files.createDirectories(partial.getParent());
        Files.write(partial, "not a prefix of the file".getBytes(StandardCharsets.UTF_8));
        hub.ignoreRange = true;
        Path p = new HubClient(settings(), 0).download(repo, "model.safetensors");
        assertArrayEquals(big, Files.readAllBytes(p));
    }

    @Test
    void download_corruptedBody_refusedAndNothingLeftInCache() {
        hub.corrupt = true;
        HubException e = assertThrows(HubException.class, () -> new HubClient(settings()).download(
                RepoId.parse("timm/big"), "model.safetensors"));
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains(FakeHub.sha256(big)), e.getMessage());
        Path repo = tmp.resolve("cache/models--timm--big");
        assertEquals(List.of(), assertDoesNotThrowEntries(repo.resolve("blobs")), "no blob, no .incomplete");
        assertFalse(Files.exists(repo.resolve("snapshots")));
        assertFalse(Files.exists(repo.resolve("refs")));
    }

    static List<String> assertDoesNotThrowEntries(Path dir) {
        try {
            return entries(dir);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void download_withoutToken_401NamesHfToken_wrongToken_403() {
        hub.token = "hf_right";
        HubException e = assertThrows(HubException.class, () -> new HubClient(settings()).download(
                RepoId.parse("timm/big"), "model.safetensors"));
        assertEquals(401, e.status());
        assertTrue(e.isClientError());
        assertTrue(e.getMessage().contains("HF_TOKEN is not set") && e.getMessage().contains("timm/big"), e.getMessage());
        assertTrue(e.getMessage().contains("restricted"), "the hub's X-Error-Message is shown: " + e.getMessage());
        HubException f = assertThrows(HubException.class, () -> new HubClient(settings().withToken("hf_wrong"))
                .download(RepoId.parse("timm/big"), "model.safetensors"));
        assertEquals(403, f.status());
        assertFalse(Files.exists(tmp.resolve("cache/models--timm--big")), "nothing written on an error");
    }

    @Test
    void download_withToken_gatedRepoWorks() throws IOException {
        hub.token = "hf_right";
        Path p = new HubClient(settings().withToken("hf_right")).download(RepoId.parse("timm/big"), "config.json");
        assertEquals("{}", Files.readString(p));
    }

    @Test
    void download_unknownRepoOrFile_404Explained() {
        HubClient client = new HubClient(settings());
        HubException repo = assertThrows(HubException.class, () -> client.download(RepoId.parse("timm/nope"),
                "model.safetensors"));
        assertEquals(404, repo.status());
        assertTrue(repo.getMessage().contains("repository 'timm/nope' not found"), repo.getMessage());
        HubException file = assertThrows(HubException.class, () -> client.download(RepoId.parse("timm/big"),
                "pytorch_model.bin"));
        assertTrue(file.getMessage().contains("file 'pytorch_model.bin' not found in 'timm/big' at revision 'main'"),
                file.getMessage());
    }

    @Test
    void download_renamedRepo_followsRelativeRedirect() throws IOException {
        hub.rename("timm/old_name", "timm/big");
        Path p = new HubClient(settings()).download(RepoId.parse("timm/old_name"), "config.json");
        assertEquals("{}", Files.readString(p));
        assertTrue(p.toString().contains("models--timm--old_name"), "cached under the name asked for: " + p);
        assertEquals(1, hub.count("HEAD", "/timm/big/resolve/main/config.json"));
    }

    @Test
    void download_offline_noRequestAndErrorNamesCachePath() {
        HubException e = assertThrows(HubException.class, () -> new HubClient(settings().withOffline(true))
                .download(RepoId.parse("timm/big"), "model.safetensors"));
        assertEquals(HubException.OFFLINE, e.status());
        assertTrue(e.getMessage().contains(tmp.resolve("cache/models--timm--big/snapshots").toString())
                && e.getMessage().contains("refs/main") && e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
        assertTrue(hub.requests.isEmpty(), hub.requests.toString());
    }

    @Test
    void download_noNetwork_clearErrorAndCachedFileStillServed() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        HubSettings down = settings().withEndpoint(URI.create("http://127.0.0.1:" + closed));
        IOException e = assertThrows(IOException.class, () -> new HubClient(down).download(RepoId.parse("timm/big"),
                "config.json"));
        assertTrue(e.getMessage().contains("cannot reach the hub") && e.getMessage().contains("HF_HUB_OFFLINE=1"),
                e.getMessage());
        Path cached = new HubClient(settings()).download(RepoId.parse("timm/big"), "config.json");
        assertEquals(cached, new HubClient(down).download(RepoId.parse("timm/big"), "config.json"),
                "the cached file of the revision's ref when the hub is unreachable");
    }

    @Test
    void metadata_responseWithoutRepoCommit_isNotAHub() throws IOException {
        // not a hub (e.g. a captive portal or a wrong HF_ENDPOINT): 200 without X-Repo-Commit
        var plain = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 1);
        plain.createContext("/", ex -> {
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        plain.start();
        try {
            HubSettings s = settings().withEndpoint(URI.create("http://127.0.0.1:" + plain.getAddress().getPort()));
            HubException e = assertThrows(HubException.class, () -> new HubClient(s).metadata(RepoId.parse("timm/big"),
                    "config.json"));
            assertTrue(e.getMessage().contains("X-Repo-Commit"), e.getMessage());
        } finally {
            plain.stop(0);
        }
    }

    @Test
    void resolveUrl_encodesRevisionLikeHuggingfaceHub() {
        HubClient c = new HubClient(settings());
        assertEquals(hub.endpoint() + "/timm/big/resolve/refs%2Fpr%2F1/model.safetensors",
                c.resolveUrl(RepoId.parse("timm/big@refs/pr/1"), "model.safetensors").toString());
        assertNull(HubClient.normalizeEtag(null));
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
    }
}
