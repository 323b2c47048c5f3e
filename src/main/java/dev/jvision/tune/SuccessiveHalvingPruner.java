package dev.jvision.tune;

import java.util.ArrayList;
import java.util.List;

/**
 * Asynchronous successive halving (ASHA): rungs at steps {@code minResource * eta^(s + k)}
 * ({@code s} = minimum early-stopping rate); a trial reaching a rung continues only if its value
 * there is in the top {@code 1/eta} of the values all trials reported at that rung (while fewer
 * than {@code eta} trials reached it, only if it is the best). Trials that report every step are
 * compared at exactly the rung steps. With {@code bracketOf} ({@link HyperbandPruner}) only
 * trials of the same bracket compete. Immutable, thread-safe.
 */
public final class SuccessiveHalvingPruner implements Pruner {
    private final int minResource;
    private final int eta;
    private final int minEarlyStoppingRate;
    private final java.util.function.IntUnaryOperator bracketOf;

    public SuccessiveHalvingPruner(int minResource, int reductionFactor, int minEarlyStoppingRate) {
        this(minResource, reductionFactor, minEarlyStoppingRate, null);
    }

    SuccessiveHalvingPruner(int minResource, int reductionFactor, int minEarlyStoppingRate,
                            java.util.function.IntUnaryOperator bracketOf) {
        if (minResource < 1 || reductionFactor < 2 || minEarlyStoppingRate < 0) {
            throw new IllegalArgumentException("successive halving min_resource " + minResource + ", reduction_factor "
                    + reductionFactor + ", min_early_stopping_rate " + minEarlyStoppingRate
                    + " (expected: >= 1, >= 2, >= 0)");
        }
        this.minResource = minResource;
        this.eta = reductionFactor;
        this.minEarlyStoppingRate = minEarlyStoppingRate;
        this.bracketOf = bracketOf;
    }

    /** The rung steps up to {@code maxStep}. */
    List<Integer> rungs(int maxStep) {
        List<Integer> out = new ArrayList<>();
        long r = minResource;
        for (int i = 0; i < minEarlyStoppingRate; i++) {
            r *= eta;
        }
        while (r <= maxStep) {
            out.add((int) r);
            r *= eta;
        }
        return out;
    }

    @Override
    public boolean prune(Direction direction, List<FrozenTrial> history, FrozenTrial trial) {
        int step = trial.lastStep();
        if (step < 0 || !rungs(step).contains(step)) {
            return false;
        }
        double value = trial.intermediate().get(step);
        if (Double.isNaN(value)) {
            return true;
        }
        int bracket = bracketOf == null ? 0 : bracketOf.applyAsInt(trial.number());
        List<Double> competing = new ArrayList<>();
        competing.add(value);
        for (FrozenTrial t : history) {
            if (t.number() == trial.number() || (bracketOf != null && bracketOf.applyAsInt(t.number()) != bracket)) {
                continue;
            }
            Double v = t.intermediate().get(step);
            if (v != null && !v.isNaN()) {
                competing.add(v);
            }
        }
        int idx = Math.max(0, competing.size() / eta - 1);
        competing.sort((a, b) -> Double.compare(direction.asLoss(a), direction.asLoss(b)));
        double threshold = competing.get(idx);
        return direction.better(threshold, value);
    }
}
