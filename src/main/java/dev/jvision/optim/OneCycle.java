package dev.jvision.optim;

/**
 * Triangular ("one-cycle") learning rate per optimiser step, as the fast-training recipes use
 * it (Smith and Topin 2017; airbench, arXiv 2404.00498): linear from {@code lr x startFactor}
 * at step 0 up to {@code lr} at {@code peakFraction x totalSteps}, then linear down to
 * {@code endLr} at {@code totalSteps} (held there after). Read through
 * {@link LrSchedule#clockedStep} it follows {@code train.max_time}, so the cycle ends with the
 * budget. Immutable and thread-safe.
 *
 * @param lr           the peak learning rate, &gt; 0
 * @param startFactor  the first step's rate as a fraction of {@code lr}, in [0, 1]
 * @param peakFraction where the peak sits, as a fraction of the steps, in [0, 1)
 * @param endLr        the rate at the end, in [0, lr]
 * @param totalSteps   steps of the cycle, &gt;= 1
 */
public record OneCycle(double lr, double startFactor, double peakFraction, double endLr, long totalSteps)
        implements LrSchedule {
    public OneCycle {
        if (!(lr > 0)) throw new IllegalArgumentException("lr: " + lr + " (expected: > 0)");
        if (!(startFactor >= 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("start_factor: " + startFactor + " (expected: in [0, 1])");
        }
        if (!(peakFraction >= 0 && peakFraction < 1)) {
            throw new IllegalArgumentException("peak: " + peakFraction + " (expected: in [0, 1))");
        }
        if (!(endLr >= 0 && endLr <= lr)) throw new IllegalArgumentException("end_lr: " + endLr + " (expected: in [0, lr])");
        if (totalSteps < 1) throw new IllegalArgumentException("totalSteps: " + totalSteps + " (expected: >= 1)");
    }

    @Override
    public double at(long step) {
        double t = Math.min(1.0, Math.max(0, step) / (double) totalSteps);
        if (t < peakFraction) {
            double u = t / peakFraction;
            return lr * (startFactor + (1 - startFactor) * u);
        }
        double u = peakFraction >= 1 ? 1 : (t - peakFraction) / (1 - peakFraction);
        return lr + (endLr - lr) * u;
    }
}
