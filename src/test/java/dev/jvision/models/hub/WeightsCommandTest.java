package dev.jvision.models.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvision weights pull} against {@link FakeHub} and {@code jvision weights list} of the Python-made cache. */
class WeightsCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void list_pythonMadeCache_showsRepoRevisionAndFiles() {
        Run r = run("weights", "list", "--cache-dir", HubCacheTest.CACHE.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("timm/convnext_atto.jvision_fixture") && r.out().contains("main")
                && r.out().contains("387aaaa9be") && r.out().contains("config.json model.safetensors"), r.out());
    }

    @Test
    void pull_fromFakeHub_printsPathsAndConfig_thenErrorsAsExitCodes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(HubSettings.fromEnvironment().offline(),
                "HF_HUB_OFFLINE is set in this environment: `weights pull` must not download");
        try (FakeHub hub = new FakeHub()) {
            byte[] config = Files.readAllBytes(HubCacheTest.CACHE.resolve("models--timm--convnext_atto.jvision_fixture/"
                    + "snapshots/" + HubCacheTest.COMMIT + "/config.json"));
            hub.file("timm/atto", "config.json", config).file("timm/atto", "model.safetensors", new byte[] {1, 2, 3});
            Path cache = tmp.resolve("cache");
            Run ok = run("weights", "pull", "timm/atto", "--revision", "main", "--cache-dir", cache.toString(),
                    "--endpoint", hub.endpoint().toString());
            assertEquals(0, ok.code(), ok.err());
            assertTrue(ok.out().contains(cache.resolve("models--timm--atto/snapshots/" + hub.commit
                    + "/model.safetensors").toString()), ok.out());
            assertTrue(ok.out().contains("architecture convnext_atto, 1000 classes, input 224 px, bicubic"), ok.out());
            Run missing = run("weights", "pull", "timm/nope", "--cache-dir", cache.toString(), "--endpoint",
                    hub.endpoint().toString());
            assertEquals(Main.BAD_INPUT, missing.code());
            assertTrue(missing.err().contains("repository 'timm/nope' not found"), missing.err());
            Run down = run("weights", "pull", "timm/other", "--cache-dir", cache.toString(), "--endpoint",
                    "http://127.0.0.1:9");
            assertEquals(1, down.code());
            assertEquals(1, down.err().strip().lines().count(), "one line, no stack trace: " + down.err());
        }
    }
}
