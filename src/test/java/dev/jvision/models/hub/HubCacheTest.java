package dev.jvision.models.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a cache that the real {@code huggingface_hub} wrote (the fixture of
 * {@code src/test/python/make_hf_cache_fixture.py}) offline, the environment variables, repository
 * ids and timm's config.json.
 */
class HubCacheTest {
    static final Path CACHE = HubClientTest.FIXTURE.resolve("hf-cache");
    static final String COMMIT = "387aaaa9be65a6a02232ac8ecef696226b8e8290";

    @TempDir
    Path tmp;

    /** Offline settings over the Python-made cache; the endpoint is a closed port, so any request would fail. */
    static HubSettings offlineFixture() {
        return HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", CACHE.toString(), "HF_HUB_OFFLINE", "1",
                "HF_ENDPOINT", "http://127.0.0.1:9"));
    }

    @Test
    void resolve_cacheWrittenByPython_foundOfflineWithItsConfig() throws IOException {
        Pretrained.Checkpoint c = Pretrained.resolve("timm/convnext_atto.jvision_fixture", offlineFixture());
        assertEquals(COMMIT, c.commit());
        assertEquals(CACHE.toAbsolutePath().resolve("models--timm--convnext_atto.jvision_fixture/snapshots/" + COMMIT
                + "/model.safetensors"), c.weights());
        assertTrue(Files.isSymbolicLink(c.weights()));
        assertEquals("convnext_atto", c.config().architecture());
        assertEquals(1000, c.config().numClasses());
        assertEquals(224, c.config().inputSize());
        assertEquals(0.875, c.config().cropPct());
        assertEquals("bicubic", c.config().interpolation());
        assertArrayEquals(new double[] {0.485, 0.456, 0.406}, c.config().mean());
        // by commit, too
        assertEquals(c.weights(), Pretrained.resolve("timm/convnext_atto.jvision_fixture@" + COMMIT,
                offlineFixture()).weights());
    }

    @Test
    void resolve_offlineMissingRepo_errorNamesThePathToFill() {
        HubException e = assertThrows(HubException.class, () -> Pretrained.resolve("timm/resnet18.a1_in1k",
                offlineFixture()));
        assertTrue(e.isClientError());
        String want = CACHE.toAbsolutePath().resolve("models--timm--resnet18.a1_in1k").toString();
        assertTrue(e.getMessage().contains(want) && e.getMessage().contains("jvision weights pull timm/resnet18.a1_in1k"),
                e.getMessage());
        HubException tag = assertThrows(HubException.class, () -> Pretrained.resolve(
                "timm/convnext_atto.jvision_fixture@v2", offlineFixture()));
        assertTrue(tag.getMessage().contains("refs/v2") && tag.getMessage().contains("--revision v2"), tag.getMessage());
    }

    @Test
    void list_pythonCache_showsRepoRefAndFiles() throws IOException {
        List<HubCache.CachedRepo> repos = offlineFixture().cache().list();
        assertEquals(1, repos.size());
        HubCache.CachedRepo r = repos.get(0);
        assertEquals("timm/convnext_atto.jvision_fixture", r.id());
        assertEquals(Map.of("main", COMMIT), r.refs());
        assertEquals(List.of("config.json", "model.safetensors"), r.snapshots().get(0).files());
        assertEquals(687 + 416, r.bytes());
        assertEquals(List.of(), new HubCache(tmp.resolve("none")).list());
    }

    @Test
    void settings_followHuggingfaceHubPrecedence() {
        String home = System.getProperty("user.home");
        HubSettings none = HubSettings.fromEnvironment(Map.of());
        assertEquals(Path.of(home, ".cache", "huggingface", "hub"), none.cacheDir());
        assertEquals(URI.create("https://huggingface.co"), none.endpoint());
        assertFalse(none.offline());
        assertEquals(Path.of("/x/hf/hub"), HubSettings.fromEnvironment(Map.of("HF_HOME", "/x/hf")).cacheDir());
        assertEquals(Path.of("/xdg/huggingface/hub"), HubSettings.fromEnvironment(Map.of("XDG_CACHE_HOME", "/xdg"))
                .cacheDir());
        assertEquals(Path.of("/c"), HubSettings.fromEnvironment(Map.of("HF_HOME", "/x", "HF_HUB_CACHE", "/c")).cacheDir());
        assertEquals(Path.of(home, "c"), HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", "~/c")).cacheDir());
        assertEquals(Path.of("/legacy"), HubSettings.fromEnvironment(Map.of("HUGGINGFACE_HUB_CACHE", "/legacy"))
                .cacheDir());
        for (String on : List.of("1", "true", "YES", "on")) {
            assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", on)).offline(), on);
        }
        assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0")).offline());
        assertEquals(URI.create("http://mirror:8080"), HubSettings.fromEnvironment(Map.of("HF_ENDPOINT",
                "http://mirror:8080/")).endpoint());
        HubSettings tok = HubSettings.fromEnvironment(Map.of("HF_TOKEN", "hf_abc"));
        assertEquals("hf_abc", tok.token());
        assertFalse(tok.toString().contains("hf_abc"), "the token is never printed");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> HubSettings.fromEnvironment(Map.of("HF_ENDPOINT", "ftp://x")));
        assertTrue(bad.getMessage().startsWith("HF_ENDPOINT: 'ftp://x'"), bad.getMessage());
    }

    @Test
    void settings_tokenFileWrittenByLogin() throws IOException {
        Files.writeString(tmp.resolve("token"), "hf_fromfile\n");
        assertEquals("hf_fromfile", HubSettings.fromEnvironment(Map.of("HF_HOME", tmp.toString())).token());
        assertEquals("hf_env", HubSettings.fromEnvironment(Map.of("HF_HOME", tmp.toString(), "HF_TOKEN", "hf_env"))
                .token());
    }

    @Test
    void repoId_parsesRevisionAndRejectsBadIds() {
        RepoId r = RepoId.parse("timm/convnext_tiny.in12k_ft_in1k@v1.0");
        assertEquals("timm/convnext_tiny.in12k_ft_in1k", r.id());
        assertEquals("v1.0", r.revision());
        assertEquals("models--timm--convnext_tiny.in12k_ft_in1k", r.folderName());
        assertEquals("main", RepoId.parse("gpt2").revision());
        assertTrue(RepoId.parse("a/b@" + COMMIT).isCommit());
        for (String bad : List.of("a/b/c", "a--b/c", "-a/b", "a/b.", "a/../b", "", "a b/c", "a/b@x..y")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RepoId.parse(bad), bad);
            assertTrue(e.getMessage().contains("expected"), e.getMessage());
        }
    }

    @Test
    void config_badValues_nameFileKeyAndExpectation() throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"architecture\": \"resnet18\", \"pretrained_cfg\": {\"mean\": [0.5, 0.5]}}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PretrainedConfig.read(f));
        assertEquals(f + " pretrained_cfg.mean: [0.5,0.5] (expected: 3 numbers (R, G, B))", e.getMessage());
        Files.writeString(f, "{\"architecture\": \"resnet18\", \"pretrained_cfg\": {\"input_size\": [3, 256, 192]}}");
        PretrainedConfig c = PretrainedConfig.read(f);
        assertEquals(256, c.inputSize());
        assertNull(c.mean());
        Files.writeString(f, "[1]");
        assertThrows(IllegalArgumentException.class, () -> PretrainedConfig.read(f));
        Files.writeString(f, "{");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PretrainedConfig.read(f)).getMessage()
                .contains("not valid JSON"));
    }
}
