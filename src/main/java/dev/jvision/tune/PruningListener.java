package dev.jvision.tune;

import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;

/**
 * Connects a {@link dev.jvision.train.Trainer} fit to a {@link Trial}: after every epoch's
 * validation it reports the task's monitored value at step {@code offset + epoch} and, when the
 * study's pruner says so, stops the fit ({@link FitContext#requestStop}) and remembers it:
 * the objective then ends the trial with {@link #pruned()} (a {@link TrialPruned}). Keeps the
 * best monitored value. One per fit; not thread-safe.
 */
public final class PruningListener implements Callback {
    private final Trial trial;
    private final int offset;
    private final boolean minimise;
    private double best = Double.NaN;
    private TrialPruned pruned;

    /**
     * @param trial    the trial to report to
     * @param offset   added to the 1-based epoch to form the step (fold k of a K-fold objective: k * epochs)
     * @param minimise whether smaller monitored values are better
     */
    public PruningListener(Trial trial, int offset, boolean minimise) {
        this.trial = trial;
        this.offset = offset;
        this.minimise = minimise;
    }

    @Override
    public void onValidation(FitContext fit, Validation v) {
        double m = v.monitored();
        if (Double.isNaN(best) || (minimise ? m < best : m > best)) {
            best = m;
        }
        int step = offset + v.epoch();
        trial.report(m, step);
        if (pruned == null && trial.shouldPrune()) {
            pruned = new TrialPruned("trial " + trial.number() + " pruned at step " + step + " (value " + m + ")");
            fit.requestStop(pruned.getMessage());
        }
    }

    /** The best monitored value seen, or NaN before the first validation. */
    public double best() {
        return best;
    }

    /** The pruning that stopped the fit, or null when the pruner let it run. */
    public TrialPruned pruned() {
        return pruned;
    }
}
