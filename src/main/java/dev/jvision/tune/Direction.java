package dev.jvision.tune;

/** Whether a study looks for the largest or the smallest objective value. */
public enum Direction {
    MINIMIZE, MAXIMIZE;

    /** True when {@code a} is strictly better than {@code b} (NaN is never better). */
    public boolean better(double a, double b) {
        return this == MAXIMIZE ? a > b : a < b;
    }

    /** The value as a loss: itself when minimising, negated when maximising. */
    public double asLoss(double v) {
        return this == MAXIMIZE ? -v : v;
    }
}
