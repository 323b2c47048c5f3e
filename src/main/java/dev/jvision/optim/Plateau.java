package dev.jvision.optim;

/**
 * Linear warmup, then the learning rate is multiplied by {@code factor} (floored at
 * {@code minLr}) whenever the monitored value has not improved by more than {@code minDelta}
 * for {@code patience} observations, as {@code ReduceLROnPlateau}. Not thread-safe.
 */
public final class Plateau implements LrSchedule {
    private final double lr;
    private final double minLr;
    private final long warmupSteps;
    private final double factor;
    private final int patience;
    private final boolean maximize;
    private final double minDelta;
    private double scale = 1.0;
    private double best;
    private int bad;

    public Plateau(double lr, double minLr, long warmupSteps, double factor, int patience, boolean maximize,
                   double minDelta) {
        if (!(factor > 0 && factor < 1)) throw new IllegalArgumentException("factor: " + factor + " (expected: in (0, 1))");
        this.lr = lr;
        this.minLr = minLr;
        this.warmupSteps = warmupSteps;
        this.factor = factor;
        this.patience = patience;
        this.maximize = maximize;
        this.minDelta = minDelta;
        this.best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    @Override
    public double at(long step) {
        if (step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        return Math.max(minLr, lr * scale);
    }

    @Override
    public void observe(double value) {
        boolean improved = maximize ? value > best + minDelta : value < best - minDelta;
        if (improved) {
            best = value;
            bad = 0;
        } else if (++bad > patience) {
            scale *= factor;
            bad = 0;
        }
    }

    @Override
    public double[] state() {
        return new double[] {scale, best, bad};
    }

    @Override
    public void restore(double[] s) {
        if (s.length != 3) throw new IllegalArgumentException("plateau state: " + s.length + " values (expected: 3)");
        scale = s[0];
        best = s[1];
        bad = (int) s[2];
    }
}
