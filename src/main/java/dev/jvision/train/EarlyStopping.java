package dev.jvision.train;

/**
 * Early stopping on a monitored value: an observation improves when it beats the best so far
 * by more than {@code minDelta} (upwards, or downwards when minimising); training stops after
 * {@code patience} observations without improvement (0 = never). Not thread-safe.
 */
public final class EarlyStopping {
    private final int patience;
    private final boolean minimise;
    private final double minDelta;
    private double best;
    private int since;

    /** Restores the state {@code (best, since)}; best NaN = nothing observed yet. */
    public EarlyStopping(int patience, boolean minimise, double minDelta, double best, int since) {
        this.patience = patience;
        this.minimise = minimise;
        this.minDelta = minDelta;
        this.best = best;
        this.since = since;
    }

    /** Records {@code value}; returns true when it is a new best. */
    public boolean observe(double value) {
        boolean improved = Double.isNaN(best) || (minimise ? value < best - minDelta : value > best + minDelta);
        if (improved) {
            best = value;
            since = 0;
        } else {
            since++;
        }
        return improved;
    }

    /** True when patience is exhausted. */
    public boolean shouldStop() {
        return patience > 0 && since >= patience;
    }

    public double best() {
        return best;
    }

    public int sinceBest() {
        return since;
    }
}
