package dev.jvision.tune;

import java.util.SplittableRandom;

/**
 * Uniform random search: floats and integers uniform in their range (or in the logarithm of it
 * with {@code log}), categories uniform. Immutable, thread-safe.
 */
public final class RandomSampler implements Sampler {
    private final long seed;

    public RandomSampler(long seed) {
        this.seed = seed;
    }

    @Override
    public double sampleIndependent(Context ctx, String name, Distribution d) {
        return draw(Sampler.random(seed, ctx.number(), name), d);
    }

    /** One uniform draw from {@code d} (internal value). */
    static double draw(SplittableRandom rng, Distribution d) {
        if (d instanceof Distribution.FloatRange f) {
            if (f.log()) {
                return Math.min(f.high(), Math.max(f.low(),
                        Math.exp(Math.log(f.low()) + rng.nextDouble() * (Math.log(f.high()) - Math.log(f.low())))));
            }
            if (f.step() > 0) {
                int n = (int) Math.round((f.high() - f.low()) / f.step()) + 1;
                return f.snap(f.low() + rng.nextInt(n) * f.step());
            }
            return f.low() + rng.nextDouble() * (f.high() - f.low());
        }
        if (d instanceof Distribution.IntRange r) {
            if (r.log()) {
                double lo = Math.log(r.low() - 0.5);
                double hi = Math.log(r.high() + 0.5);
                return r.snap(Math.exp(lo + rng.nextDouble() * (hi - lo)));
            }
            int n = (r.high() - r.low()) / r.step() + 1;
            return r.low() + (double) rng.nextInt(n) * r.step();
        }
        return rng.nextInt(((Distribution.Categorical) d).choices().size());
    }
}
