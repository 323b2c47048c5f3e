package dev.jvision.tune;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Prunes a trial whose best value so far is worse than the median of the complete trials' values
 * at the same step. Nothing is pruned before {@code nStartupTrials} trials completed, before step
 * {@code nWarmupSteps}, or at steps off the {@code intervalSteps} grid. Immutable, thread-safe.
 */
public final class MedianPruner implements Pruner {
    private final int nStartupTrials;
    private final int nWarmupSteps;
    private final int intervalSteps;

    public MedianPruner(int nStartupTrials, int nWarmupSteps, int intervalSteps) {
        if (nStartupTrials < 0 || nWarmupSteps < 0 || intervalSteps < 1) {
            throw new IllegalArgumentException("median pruner n_startup_trials " + nStartupTrials + ", n_warmup_steps "
                    + nWarmupSteps + ", interval_steps " + intervalSteps + " (expected: >= 0, >= 0, >= 1)");
        }
        this.nStartupTrials = nStartupTrials;
        this.nWarmupSteps = nWarmupSteps;
        this.intervalSteps = intervalSteps;
    }

    /** 5 startup trials, no warm-up, every step. */
    public MedianPruner() {
        this(5, 0, 1);
    }

    @Override
    public boolean prune(Direction direction, List<FrozenTrial> history, FrozenTrial trial) {
        int step = trial.lastStep();
        if (step < 0 || step < nWarmupSteps || (step - nWarmupSteps) % intervalSteps != 0) {
            return false;
        }
        List<Double> others = new ArrayList<>();
        int complete = 0;
        for (FrozenTrial t : history) {
            if (t.state() != TrialState.COMPLETE || t.number() == trial.number()) {
                continue;
            }
            complete++;
            Double v = t.intermediate().get(step);
            if (v != null && !v.isNaN()) {
                others.add(v);
            }
        }
        if (complete < nStartupTrials || others.isEmpty()) {
            return false;
        }
        double best = Double.NaN;
        for (Map.Entry<Integer, Double> e : trial.intermediate().entrySet()) {
            double v = e.getValue();
            if (!Double.isNaN(v) && (Double.isNaN(best) || direction.better(v, best))) {
                best = v;
            }
        }
        if (Double.isNaN(best)) {
            return true;
        }
        Collections.sort(others);
        int n = others.size();
        double median = n % 2 == 1 ? others.get(n / 2) : 0.5 * (others.get(n / 2 - 1) + others.get(n / 2));
        return direction.better(median, best);
    }
}
