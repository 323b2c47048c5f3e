package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.runtime.ChildJvm;
import dev.jvision.runtime.MemoryTrend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The production training step ({@link StepEngine}, {@code FusedAdamW}, batched augmentation with
 * Mixup/CutMix, EMA; one native scope per micro-batch and per optimiser step, as {@link Trainer}
 * runs it) holds native memory flat over thousands of steps, with autocast off and in bf16; and
 * the same measurement flags one tensor per step kept alive outside its scope.
 *
 * <p>Each run is a child JVM ({@link StepMemoryProbe}) with a fixed, pre-touched Java heap (so
 * heap growth cannot move the resident set) and {@code MALLOC_ARENA_MAX=2} (fewer glibc arenas
 * holding freed memory). What is judged is each counter's Theil-Sen slope over the second half of
 * the samples ({@link MemoryTrend}): live JavaCPP objects (a leaked {@code Tensor} handle counts
 * one), JavaCPP's tracked bytes, malloc's bytes in use (libtorch's CPU tensors come from malloc),
 * and the resident set.
 */
class StepMemoryTest {
    static final int STEPS = 2000;
    static final int LEAK_STEPS = 400;
    static final int EVERY = 20;
    static final double MB = 1 << 20;
    /**
     * Largest growth per 1000 steps that still counts as flat. Measured without a leak (2000
     * steps, slopes over the second half): objects 0, JavaCPP bytes 0, malloc +0.2..+0.7 MB,
     * RSS +0.1 MB. A [4, 3, 32, 32] float tensor kept per step adds 1000 objects and 48 MB.
     */
    static final Map<String, Double> FLAT = Map.of(
            MemoryTrend.JAVACPP_OBJECTS, 10.0,
            MemoryTrend.JAVACPP_BYTES, 0.0625 * MB,
            StepMemoryProbe.MALLOC, 4 * MB,
            MemoryTrend.RSS, 8 * MB,
            MemoryTrend.PHYSICAL, 8 * MB);

    record Run(double seconds, List<MemoryTrend.Trend> trends, JsonNode series, String output) {
        MemoryTrend.Trend trend(String name) {
            return trends.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
        }

        boolean mallocReadable() {
            return series.get(StepMemoryProbe.MALLOC).get(0).asLong() > 0;
        }

        String report() {
            StringBuilder b = new StringBuilder(String.format("%.1f s%n", seconds));
            trends.forEach(t -> b.append("  ").append(t).append('\n'));
            return b.toString();
        }
    }

    static Run probe(String amp, int steps, String leak) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(
                List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch", "-Djvision.progress=false"),
                StepMemoryProbe.class, amp, Integer.toString(steps), Integer.toString(EVERY), leak))
                .redirectErrorStream(true);
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        String text = new String(out, StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("probe did not finish:\n" + text);
        }
        assertEquals(0, p.exitValue(), text);
        String line = text.lines().filter(l -> l.startsWith(StepMemoryProbe.MARKER)).findFirst().orElse(null);
        assertNotNull(line, text);
        JsonNode json = new ObjectMapper().readTree(line.substring(StepMemoryProbe.MARKER.length()));
        List<MemoryTrend.Trend> trends = new ArrayList<>();
        for (JsonNode t : json.get("trends")) {
            trends.add(new ObjectMapper().treeToValue(t, MemoryTrend.Trend.class));
        }
        return new Run(json.get("seconds").asDouble(), trends, json.get("series"), text);
    }

    private static void assertFlat(String amp) throws Exception {
        Run r = probe(amp, STEPS, "none");
        System.out.println("amp " + amp + ", " + STEPS + " steps: " + r.report());
        assertTrue(r.trend(MemoryTrend.RSS).first() > 0, "RSS must be readable from /proc/self/status");
        assertTrue(r.trend(MemoryTrend.JAVACPP_OBJECTS).first() > 0, "JavaCPP must count the model's tensors");
        List<String> grew = MemoryTrend.exceeding(r.trends(), FLAT);
        assertTrue(grew.isEmpty(), "native memory grows over " + STEPS + " steps (amp " + amp + "): " + grew + "\n"
                + r.report());
    }

    @Test
    void productionStep_ampOff_thousandsOfSteps_nativeMemoryStaysFlat() throws Exception {
        assertFlat("off");
    }

    @Test
    void productionStep_bf16Autocast_thousandsOfSteps_nativeMemoryStaysFlat() throws Exception {
        assertFlat("bf16");
    }

    /** Positive control: the check above can fail, on a leak of one tensor per step. */
    @Test
    void productionStep_oneTensorLeakedPerStep_isFlagged() throws Exception {
        Run r = probe("off", LEAK_STEPS, "tensor");
        System.out.println("amp off, " + LEAK_STEPS + " steps, one [4, 3, 32, 32] tensor leaked per step: " + r.report());
        List<String> grew = MemoryTrend.exceeding(r.trends(), FLAT);
        assertTrue(grew.stream().anyMatch(g -> g.startsWith(MemoryTrend.JAVACPP_OBJECTS + ":")),
                "the leaked Tensor handles were not flagged: " + grew + "\n" + r.report());
        double objects = r.trend(MemoryTrend.JAVACPP_OBJECTS).slopePer1000();
        assertTrue(objects > 900 && objects < 1100, "one handle per step is ~1000 per 1000 steps, got " + objects);
        if (r.mallocReadable()) {
            assertTrue(grew.stream().anyMatch(g -> g.startsWith(StepMemoryProbe.MALLOC + ":")),
                    "the leaked tensors' storage was not flagged: " + grew + "\n" + r.report());
        }
    }
}
