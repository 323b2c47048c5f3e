package dev.jvision.tune;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011; defaults as in Optuna's TPE). After
 * {@code nStartupTrials} random trials, the finished trials are split into the best
 * {@code gamma(n) = min(ceil(0.1 n), 25)} and the rest; a Parzen estimator is fitted to each
 * (recent trials weigh more once there are over 25), {@code nEiCandidates} values are drawn from
 * the good one and the value maximising good/bad density is suggested. Pruned trials rank after
 * the complete ones (further steps first, then by their last value); with the constant liar,
 * trials running on other workers rank last, so concurrent workers spread out instead of
 * sampling the same point.
 *
 * <p>Multivariate (default, as in Optuna 5 for one objective): the parameters every finished
 * trial has (with the same distribution) are modelled jointly, the others (e.g. conditional
 * ones) independently. Independent: each parameter on its own. Immutable, thread-safe.
 */
public final class TpeSampler implements Sampler {
    private final long seed;
    private final int nStartupTrials;
    private final int nEiCandidates;
    private final boolean multivariate;
    private final boolean constantLiar;
    private final double priorWeight;

    private TpeSampler(Builder b) {
        this.seed = b.seed;
        this.nStartupTrials = b.nStartupTrials;
        this.nEiCandidates = b.nEiCandidates;
        this.multivariate = b.multivariate;
        this.constantLiar = b.constantLiar;
        this.priorWeight = b.priorWeight;
    }

    /** Defaults: seed 0, 10 startup trials, 24 candidates, multivariate, constant liar on. */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a {@link TpeSampler}. Not thread-safe. */
    public static final class Builder {
        private long seed;
        private int nStartupTrials = 10;
        private int nEiCandidates = 24;
        private boolean multivariate = true;
        private boolean constantLiar = true;
        private double priorWeight = 1.0;

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Random trials before TPE takes over (>= 0). */
        public Builder nStartupTrials(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("n_startup_trials: " + n + " (expected: >= 0)");
            }
            this.nStartupTrials = n;
            return this;
        }

        /** Candidates drawn from the good model per suggestion (>= 1). */
        public Builder nEiCandidates(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("n_ei_candidates: " + n + " (expected: >= 1)");
            }
            this.nEiCandidates = n;
            return this;
        }

        public Builder multivariate(boolean on) {
            this.multivariate = on;
            return this;
        }

        public Builder constantLiar(boolean on) {
            this.constantLiar = on;
            return this;
        }

        /** Weight of the prior kernel (> 0). */
        public Builder priorWeight(double w) {
            if (!(w > 0)) {
                throw new IllegalArgumentException("prior_weight: " + w + " (expected: > 0)");
            }
            this.priorWeight = w;
            return this;
        }

        public TpeSampler build() {
            return new TpeSampler(this);
        }
    }

    @Override
    public Map<String, Distribution> relativeSpace(Context ctx) {
        if (!multivariate) {
            return Map.of();
        }
        Map<String, Distribution> space = null;
        for (FrozenTrial t : ctx.history()) {
            if (t.state() != TrialState.COMPLETE && t.state() != TrialState.PRUNED) {
                continue;
            }
            if (space == null) {
                space = new LinkedHashMap<>(t.distributions());
            } else {
                space.entrySet().removeIf(e -> !e.getValue().equals(t.distributions().get(e.getKey())));
            }
        }
        if (space == null) {
            return Map.of();
        }
        space.values().removeIf(Distribution::isSingle);
        return space;
    }

    @Override
    public Map<String, Double> sampleRelative(Context ctx, Map<String, Distribution> space) {
        if (space.isEmpty() || finished(ctx) < nStartupTrials) {
            return Map.of();
        }
        List<String> names = new ArrayList<>(space.keySet());
        Distribution[] dists = new Distribution[names.size()];
        for (int i = 0; i < dists.length; i++) {
            dists[i] = space.get(names.get(i));
        }
        double[] best = choose(ctx, names, dists, Sampler.random(seed, ctx.number(), "\0relative"));
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), best[i]);
        }
        return out;
    }

    @Override
    public double sampleIndependent(Context ctx, String name, Distribution d) {
        SplittableRandom rng = Sampler.random(seed, ctx.number(), name);
        if (finished(ctx) < nStartupTrials) {
            return RandomSampler.draw(rng, d);
        }
        return choose(ctx, List.of(name), new Distribution[] {d}, rng)[0];
    }

    private static int finished(Context ctx) {
        int n = 0;
        for (FrozenTrial t : ctx.history()) {
            if (t.state() == TrialState.COMPLETE || t.state() == TrialState.PRUNED) {
                n++;
            }
        }
        return n;
    }

    /** Draws candidates from the good trials' model and returns the one with the best density ratio. */
    private double[] choose(Context ctx, List<String> names, Distribution[] dists, SplittableRandom rng) {
        List<FrozenTrial> ranked = rank(ctx);
        int n = 0;
        for (FrozenTrial t : ranked) {
            if (t.state() != TrialState.RUNNING) {
                n++;
            }
        }
        int nBelow = Math.min(Math.min((int) Math.ceil(0.1 * n), 25), n);
        List<FrozenTrial> below = new ArrayList<>(ranked.subList(0, nBelow));
        List<FrozenTrial> above = new ArrayList<>(ranked.subList(nBelow, ranked.size()));
        Parzen good = estimator(below, names, dists);
        Parzen bad = estimator(above, names, dists);
        double[][] candidates = good.sample(rng, nEiCandidates);
        double[] best = candidates[0];
        double bestScore = Double.NEGATIVE_INFINITY;
        for (double[] c : candidates) {
            double s = good.logPdf(c) - bad.logPdf(c);
            if (s > bestScore) {
                bestScore = s;
                best = c;
            }
        }
        return best;
    }

    /** Fits a Parzen estimator to the trials that have all {@code names} inside {@code dists}, oldest first. */
    private Parzen estimator(List<FrozenTrial> trials, List<String> names, Distribution[] dists) {
        trials.sort(Comparator.comparingInt(FrozenTrial::number));
        List<double[]> obs = new ArrayList<>();
        for (FrozenTrial t : trials) {
            double[] row = new double[names.size()];
            boolean ok = true;
            for (int i = 0; i < row.length && ok; i++) {
                Double v = t.params().get(names.get(i));
                Distribution td = t.distributions().get(names.get(i));
                ok = v != null && compatible(td, dists[i], v);
                if (ok) {
                    row[i] = v;
                }
            }
            if (ok) {
                obs.add(row);
            }
        }
        int n = obs.size();
        double[] w = weights(n);
        return new Parzen(dists, obs.toArray(new double[0][]), w, priorWeight);
    }

    private static boolean compatible(Distribution had, Distribution now, double v) {
        if (had.equals(now)) {
            return true;
        }
        return !(now instanceof Distribution.Categorical) && had.getClass() == now.getClass() && now.containsInternal(v);
    }

    /** Optuna's default weights: flat up to 25 observations, then a ramp for the older ones. */
    static double[] weights(int n) {
        double[] w = new double[n];
        if (n < 25) {
            java.util.Arrays.fill(w, 1.0);
            return w;
        }
        int ramp = n - 25;
        for (int i = 0; i < ramp; i++) {
            w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (ramp - 1);
        }
        for (int i = ramp; i < n; i++) {
            w[i] = 1.0;
        }
        return w;
    }

    /** Complete trials by value, then pruned ones (further steps first), then (liar) running ones. */
    private List<FrozenTrial> rank(Context ctx) {
        Direction dir = ctx.direction();
        List<FrozenTrial> complete = new ArrayList<>();
        List<FrozenTrial> pruned = new ArrayList<>();
        List<FrozenTrial> running = new ArrayList<>();
        for (FrozenTrial t : ctx.history()) {
            if (t.number() == ctx.number()) {
                continue;
            }
            switch (t.state()) {
                case COMPLETE -> complete.add(t);
                case PRUNED -> pruned.add(t);
                case RUNNING -> {
                    if (constantLiar) {
                        running.add(t);
                    }
                }
                default -> { }
            }
        }
        complete.sort(Comparator.comparingDouble(t -> dir.asLoss(t.value())));
        pruned.sort(Comparator.<FrozenTrial>comparingInt(t -> -t.lastStep())
                .thenComparingDouble(t -> t.intermediate().isEmpty() ? Double.POSITIVE_INFINITY
                        : dir.asLoss(t.intermediate().lastEntry().getValue())));
        List<FrozenTrial> out = new ArrayList<>(complete);
        out.addAll(pruned);
        out.addAll(running);
        return out;
    }
}
