package dev.jvision.tune;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Chooses parameter values for a trial from the study's history. A trial first asks for a
 * joint ({@linkplain #sampleRelative relative}) sample over {@link #relativeSpace}, then for
 * each suggested parameter not covered by it, an {@linkplain #sampleIndependent independent}
 * value. Values are internal (see {@link Distribution}). Samplers seed their randomness from
 * their seed and the trial number (and parameter name), so a trial's values do not depend on
 * which worker runs it. Implementations are immutable and thread-safe.
 */
public interface Sampler {

    /** The parameters to sample jointly for {@code ctx}'s trial; empty for independent samplers. */
    default Map<String, Distribution> relativeSpace(Context ctx) {
        return Map.of();
    }

    /** Joint internal values for (a subset of) {@code space}. */
    default Map<String, Double> sampleRelative(Context ctx, Map<String, Distribution> space) {
        return Map.of();
    }

    /** One internal value of {@code name} drawn from {@code distribution}. */
    double sampleIndependent(Context ctx, String name, Distribution distribution);

    /**
     * The largest number of trials this sampler can give distinct parameters to (a grid's size),
     * or {@link Integer#MAX_VALUE}.
     */
    default int maxTrials() {
        return Integer.MAX_VALUE;
    }

    /**
     * What a sampler sees: the study's direction, the other trials (a snapshot taken when the
     * trial started, in number order), and the trial's number and parameters so far.
     */
    record Context(Direction direction, List<FrozenTrial> history, int number, Map<String, Double> current) {}

    /**
     * A random stream for (seed, trial number, key): the three are mixed through SplitMix64's
     * finalizer one after another, so neighbouring seeds or trial numbers give unrelated streams.
     * (Seeding with {@code seed * 0x9E3779B97F4A7C15} would not: that constant is
     * {@link SplittableRandom}'s own step, so seed s+1 would be seed s's stream one draw later.)
     */
    static SplittableRandom random(long seed, int number, String key) {
        long h = mix64(seed);
        h = mix64(h ^ number);
        h = mix64(h ^ fnv64(key));
        return new SplittableRandom(h);
    }

    /** SplitMix64's finalizer (Stafford's variant 13): a bijective 64-bit hash. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a over the key's UTF-8 bytes (stable across JVMs, unlike a 32-bit hashCode). */
    private static long fnv64(String key) {
        long h = 0xCBF29CE484222325L;
        for (byte b : key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001B3L;
        }
        return h;
    }
}
