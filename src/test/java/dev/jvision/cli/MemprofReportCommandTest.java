package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvision memprof} and {@code jvision report} at the command line: output and bad input. */
class MemprofReportCommandTest {
    @TempDir
    Path dir;

    private static void badInput(MainTest.Result r, String expected) {
        assertEquals(Main.BAD_INPUT, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.errLines().get(0).contains(expected), r.err());
    }

    @Test
    void memprof_tinyResnetOnCpu_jsonHasEveryComponent() throws Exception {
        MainTest.Result r = MainTest.run("memprof", "--model", "resnet18", "--img-size", "32", "--batch", "2", "--device",
                "cpu", "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("resnet18", j.get("model").asText());
        for (String k : new String[] {"weights", "gradients", "optimizer_state", "ema", "activations", "workspace", "input"}) {
            assertTrue(j.get("bytes").has(k), k);
        }
        long weights = j.get("bytes").get("weights").asLong();
        assertTrue(weights > 40_000_000 && weights < 50_000_000, "resnet18 weights ~44.7 MiB: " + weights);
        long grads = j.get("bytes").get("gradients").asLong();
        assertTrue(grads > 0 && grads < weights, "gradients of the parameters (weights also hold BatchNorm buffers)");
        assertEquals(2 * grads, j.get("bytes").get("optimizer_state").asLong(), 1024.0,
                "AdamW: two moments per parameter and a 4-byte step counter per tensor");
        assertTrue(j.get("bytes").get("activations").asLong() > 0);
        assertTrue(j.get("peak_bytes").asLong() > 4 * weights, "peak holds weights, gradients, moments and EMA");
    }

    @Test
    void memprof_badInput_oneLineExitTwo() {
        badInput(MainTest.run("memprof", "--device", "cpu"), "--model, --img-size and --batch are required");
        badInput(MainTest.run("memprof", "--fit", "eight", "--models", "resnet18", "--sizes", "224", "--device", "cpu"),
                "--fit: 'eight' (expected: a size such as 8GB");
        badInput(MainTest.run("memprof", "--model", "resnet18", "--img-size", "224", "--batch", "0", "--device", "cpu"),
                "batch: 0 (expected: >= 1)");
        badInput(MainTest.run("memprof", "--model", "resnet18", "--img-size", "224", "--batch", "2", "--amp", "fp8",
                "--device", "cpu"), "--amp: 'fp8'");
        badInput(MainTest.run("memprof", "--fit", "8GB", "--models", "resnet18", "--sizes", "224", "--probe", "8,4",
                "--device", "cpu"), "--probe: [8, 4]");
    }

    @Test
    void report_badInput_oneLineExitTwo() {
        badInput(MainTest.run("report", dir.resolve("nowhere").toString()), "not a run folder");
        badInput(MainTest.run("report", "--compare", dir.toString()), "expected: 2 or more");
        badInput(MainTest.run("report", "--out", dir.toString(), dir.toString()), "--out: only with --compare");
    }
}
