package dev.jvision.tune;

import java.util.List;

/**
 * Hyperband: several {@link SuccessiveHalvingPruner} brackets with increasing minimum
 * early-stopping rates, from aggressive (compares after {@code minResource} steps) to
 * conservative (lets trials run to {@code maxResource}); a trial's bracket follows from its
 * number, weighted by each bracket's budget, and it competes only inside its bracket. Immutable,
 * thread-safe.
 */
public final class HyperbandPruner implements Pruner {
    private final SuccessiveHalvingPruner[] brackets;
    private final double[] cumulative;

    public HyperbandPruner(int minResource, int maxResource, int reductionFactor) {
        if (minResource < 1 || maxResource < minResource || reductionFactor < 2) {
            throw new IllegalArgumentException("hyperband min_resource " + minResource + ", max_resource " + maxResource
                    + ", reduction_factor " + reductionFactor + " (expected: >= 1, >= min_resource, >= 2)");
        }
        int n = (int) Math.floor(Math.log((double) maxResource / minResource) / Math.log(reductionFactor) + 1e-9) + 1;
        brackets = new SuccessiveHalvingPruner[n];
        cumulative = new double[n];
        double total = 0;
        double[] budget = new double[n];
        for (int i = 0; i < n; i++) {
            // trials a bracket starts, as in Hyperband: ceil(n * eta^(n-1-i) / (n - i))
            budget[i] = Math.ceil(n * Math.pow(reductionFactor, n - 1 - i) / (n - i));
            total += budget[i];
        }
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += budget[i] / total;
            cumulative[i] = acc;
            brackets[i] = new SuccessiveHalvingPruner(minResource, reductionFactor, i, this::bracket);
        }
    }

    /** The bracket of trial {@code number}. */
    int bracket(int number) {
        long h = (number + 1L) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        double u = (h >>> 11) * 0x1.0p-53;
        for (int i = 0; i < cumulative.length; i++) {
            if (u < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

    /** Number of brackets. */
    int brackets() {
        return brackets.length;
    }

    @Override
    public boolean prune(Direction direction, List<FrozenTrial> history, FrozenTrial trial) {
        return brackets[bracket(trial.number())].prune(direction, history, trial);
    }
}
