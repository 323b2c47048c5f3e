package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryTrendTest {
    /** A counter that returns the next value of {@code values} on each read. */
    private static java.util.function.LongSupplier replay(long... values) {
        int[] i = {0};
        return () -> values[i[0]++];
    }

    @Test
    void trend_steadyGrowth_slopeIsGrowthPer1000Steps() {
        long[] v = new long[20];
        for (int i = 0; i < v.length; i++) v[i] = 5000 + 3L * 10 * i; // +3 per step, sampled every 10 steps
        MemoryTrend t = new MemoryTrend().with("objects", replay(v));
        for (int i = 0; i < v.length; i++) t.sample(10L * i);

        MemoryTrend.Trend r = t.trend("objects");
        assertEquals(3000, r.slopePer1000(), 1e-9);
        assertEquals(3000, r.lsqSlopePer1000(), 1e-9);
        assertEquals(5000, r.first());
        assertEquals(5000 + 30 * 19, r.last());
        assertEquals(100, r.fromStep(), "the trend covers the second half of the samples");
        assertEquals(190, r.toStep());
        assertArrayEquals(v, t.values("objects"));
    }

    @Test
    void trend_flatWithOneLateBump_theilSenStaysFlat_leastSquaresDoesNot() {
        // flat at 100 MB with a 20 MB bump in the last 3 of 40 samples (JIT scratch memory, say)
        long[] v = new long[40];
        for (int i = 0; i < v.length; i++) v[i] = (100L << 20) + (i >= 37 ? 20L << 20 : 0);
        MemoryTrend t = new MemoryTrend().with("heap_bytes", replay(v));
        for (int i = 0; i < v.length; i++) t.sample(20L * (i + 1));

        MemoryTrend.Trend r = t.trend("heap_bytes");
        assertEquals(0, r.slopePer1000(), 1e-9);
        assertTrue(r.lsqSlopePer1000() > 8 * (1 << 20), "least squares: " + r.lsqSlopePer1000());
        assertTrue(MemoryTrend.exceeding(List.of(r), Map.of("heap_bytes", 4.0 * (1 << 20))).isEmpty());
    }

    @Test
    void exceeding_namesTheCounterItsSlopeAndTheBound() {
        MemoryTrend.Trend grows = new MemoryTrend.Trend("javacpp_objects", 700, 1100, 700, 1100, 1000, 1000, 200, 400);
        MemoryTrend.Trend flat = new MemoryTrend.Trend("rss_bytes", 1, 1, 1, 1, 0, 0, 200, 400);
        MemoryTrend.Trend unbounded = new MemoryTrend.Trend("other", 0, 9, 0, 9, 1e9, 1e9, 200, 400);

        List<String> out = MemoryTrend.exceeding(List.of(grows, flat, unbounded),
                Map.of("javacpp_objects", 10.0, "rss_bytes", 8.0 * (1 << 20)));
        assertEquals(List.of("javacpp_objects: +1000.00/1000 steps (expected: <= 10.00)"), out);
    }

    @Test
    void slopes_ofPoints() {
        double[] x = {0, 1, 2, 3, 4};
        double[] y = {1, 3, 5, 7, 100};
        assertEquals(2, MemoryTrend.theilSen(x, y), 1e-12);
        assertEquals(20.2, MemoryTrend.slope(x, y), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> MemoryTrend.slope(new double[] {1, 1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> MemoryTrend.theilSen(new double[] {1}, new double[] {1}));
    }

    @Test
    void misuse_isRejectedWithTheName() {
        MemoryTrend t = new MemoryTrend().with("a", () -> 1);
        assertThrows(IllegalArgumentException.class, () -> t.with("a", () -> 2));
        assertThrows(IllegalStateException.class, () -> t.trend("a"), "fewer than 4 samples");
        t.sample(1);
        assertThrows(IllegalStateException.class, () -> t.with("b", () -> 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.values("nope"));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("[a]"), e.getMessage());
    }
}
