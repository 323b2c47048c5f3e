package dev.jvision.tune;

import dev.jvision.train.TrainListener;

/**
 * Connects a {@link dev.jvision.train.Trainer} fit to a {@link Trial}: after every epoch's
 * validation it reports {@code train.monitor}'s value at step {@code offset + epoch} and, when
 * the study's pruner says so, throws {@link TrialPruned}, which ends the fit at once (the
 * trainer's try-with-resources free its native memory on the way out). Keeps the best
 * monitored value. One per fit; not thread-safe.
 */
public final class PruningListener implements TrainListener {
    private final Trial trial;
    private final int offset;
    private final boolean minimise;
    private double best = Double.NaN;

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
    public void onValidation(Fit fit, Validation v) {
        double m = v.monitored();
        if (Double.isNaN(best) || (minimise ? m < best : m > best)) {
            best = m;
        }
        int step = offset + v.epoch();
        trial.report(m, step);
        if (trial.shouldPrune()) {
            throw new TrialPruned("trial " + trial.number() + " pruned at step " + step + " (value " + m + ")");
        }
    }

    /** The best monitored value seen, or NaN before the first validation. */
    public double best() {
        return best;
    }
}
