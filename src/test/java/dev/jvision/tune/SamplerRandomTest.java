package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Sampler#random}: neighbouring seeds, trials and keys give unrelated streams. */
class SamplerRandomTest {
    private static long[] draws(SplittableRandom r, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextLong();
        }
        return out;
    }

    /** No value of {@code b}'s first draws appears among {@code a}'s first 64 (a shifted copy would). */
    private static void assertNotShifted(SplittableRandom a, SplittableRandom b, String what) {
        Set<Long> seen = new HashSet<>();
        for (long v : draws(a, 64)) {
            seen.add(v);
        }
        for (long v : draws(b, 8)) {
            assertTrue(!seen.contains(v), what + ": one stream is a shifted copy of the other");
        }
    }

    @Test
    void consecutiveSeeds_areNotShiftedCopies() {
        for (long seed : new long[] {0, 1, 42, -1, 1L << 40}) {
            assertNotShifted(Sampler.random(seed, 3, "train.lr"), Sampler.random(seed + 1, 3, "train.lr"), "seeds " + seed);
            assertNotShifted(Sampler.random(seed + 1, 3, "train.lr"), Sampler.random(seed, 3, "train.lr"), "seeds " + seed);
        }
    }

    @Test
    void consecutiveTrials_andKeys_areNotShiftedCopies() {
        for (int n = 0; n < 5; n++) {
            assertNotShifted(Sampler.random(7, n, "x"), Sampler.random(7, n + 1, "x"), "trials " + n);
            assertNotShifted(Sampler.random(7, n + 1, "x"), Sampler.random(7, n, "x"), "trials " + n);
        }
        assertNotShifted(Sampler.random(7, 0, "a"), Sampler.random(7, 0, "b"), "keys");
        assertNotShifted(Sampler.random(7, 0, "b"), Sampler.random(7, 0, "a"), "keys");
    }

    @Test
    void sameInputs_sameStream() {
        assertEquals(Sampler.random(5, 2, "k").nextLong(), Sampler.random(5, 2, "k").nextLong());
    }
}
