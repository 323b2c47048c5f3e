package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve.yaml}: every key bound, relative paths resolved, and one located line per mistake. */
class ServeConfigFileTest {
    @TempDir
    Path dir;

    @BeforeEach
    void files() throws Exception {
        Files.createDirectories(dir.resolve("runs/20250101-120000-docs/fold0"));
        Files.writeString(dir.resolve("model.safetensors"), "x");
        Files.writeString(dir.resolve("token.txt"), " abc123 \n");
    }

    private ServeConfig read(String yaml) throws Exception {
        Path f = dir.resolve("serve.yaml");
        Files.writeString(f, yaml);
        return ServeConfigFile.read(f, Map.of("MY_TOKEN", "from-env")::get);
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> read(yaml)).getMessage();
    }

    @Test
    void everyKey_isBound() throws Exception {
        ServeConfig c = read("""
                host: 0.0.0.0
                port: 9000
                threads: 2
                max_body: 4MB
                timeout_ms: 1500
                token_file: token.txt
                models:
                  - name: docs
                    version: 2
                    run: runs/20250101-120000-docs
                    device: cpu
                    max_batch: 16
                    max_delay_ms: 3
                    queue: 50
                    top_k: 3
                    tta: [identity, hflip]
                  - name: docs
                    version: 3
                    checkpoint: model.safetensors
                """);
        assertEquals("0.0.0.0", c.host());
        assertEquals(9000, c.port());
        assertEquals(2, c.threads());
        assertEquals(4L << 20, c.maxBody());
        assertEquals(Duration.ofMillis(1500), c.timeout());
        assertEquals("abc123", c.token());
        assertTrue(c.toString().contains("token set") && !c.toString().contains("abc123"), c.toString());
        ServeConfig.Model m = c.models().get(0);
        assertEquals("docs", m.name());
        assertEquals("2", m.version());
        assertEquals(ServeConfig.Source.RUN, m.source());
        assertEquals(dir.resolve("runs/20250101-120000-docs").toAbsolutePath().normalize(), m.path());
        assertEquals("cpu", m.device());
        assertEquals(16, m.maxBatch());
        assertEquals(Duration.ofMillis(3), m.maxDelay());
        assertEquals(50, m.queue());
        assertEquals(3, m.topK());
        assertEquals(List.of("identity", "hflip"), m.tta());
        ServeConfig.Model d = c.models().get(1);
        assertEquals(ServeConfig.Source.CHECKPOINT, d.source());
        assertEquals(32, d.maxBatch());
        assertEquals(1000, d.queue());
        assertEquals(5, d.topK());
    }

    @Test
    void defaults_andTokenFromTheEnvironment() throws Exception {
        ServeConfig c = read("token_env: MY_TOKEN\nmodels:\n  - {name: a, version: v1, checkpoint: model.safetensors}\n");
        assertEquals("127.0.0.1", c.host());
        assertEquals(8080, c.port());
        assertEquals(16L << 20, c.maxBody());
        assertEquals(Duration.ofSeconds(30), c.timeout());
        assertEquals("from-env", c.token());
        assertNull(read("models:\n  - {name: a, version: 1, checkpoint: model.safetensors}\n").token());
    }

    @Test
    void mistakes_areOneLocatedLineEach() {
        String f = dir.resolve("serve.yaml").toString();
        String e = error("models:\n  - name: a\n    version: 1\n    checkpoint: model.safetensors\n    max_batchh: 4\n");
        assertTrue(e.startsWith(f + ":5: unknown key models[0].max_batchh"), e);
        e = error("prot: 1\nmodels: []\n");
        assertTrue(e.startsWith(f + ":1: unknown key prot"), e);
        e = error("port: 70000\nmodels:\n  - {name: a, version: 1, checkpoint: model.safetensors}\n");
        assertTrue(e.startsWith(f + ":1: port: 70000 (expected: an integer from 0 to 65535)"), e);
        e = error("models:\n  - {name: a, version: 1}\n");
        assertTrue(e.startsWith(f + ":2: models[0]: no source"), e);
        e = error("models:\n  - {name: a, version: 1, run: runs/nope}\n");
        assertTrue(e.contains(":2: models[0].run: ") && e.contains("not found"), e);
        e = error("models:\n  - {name: a, checkpoint: model.safetensors}\n");
        assertTrue(e.startsWith(f + ":2: models[0].version: missing"), e);
        e = error("models:\n  - {name: 'a b', version: 1, checkpoint: model.safetensors}\n");
        assertTrue(e.contains("name: 'a b'"), e);
        e = error("models:\n  - {name: a, version: 1, checkpoint: model.safetensors, tta: [sideways]}\n");
        assertTrue(e.startsWith(f + ":2: models[0].tta: "), e);
        e = error("models:\n  - {name: a, version: 1, checkpoint: model.safetensors}\n"
                + "  - {name: a, version: 1, checkpoint: model.safetensors}\n");
        assertTrue(e.contains("a version 1 listed twice"), e);
        e = error("token_env: UNSET_VAR\nmodels:\n  - {name: a, version: 1, checkpoint: model.safetensors}\n");
        assertTrue(e.contains(":1: token_env: environment variable UNSET_VAR is not set"), e);
        e = error("models: [\n");
        assertTrue(e.contains("malformed YAML"), e);
        e = error("max_body: lots\nmodels:\n  - {name: a, version: 1, checkpoint: model.safetensors}\n");
        assertTrue(e.startsWith(f + ":1: max_body"), e);
    }
}
