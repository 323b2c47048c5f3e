package dev.jvision.tune;

import java.util.List;
import java.util.SplittableRandom;

/**
 * A Parzen (kernel density) estimator over one or more parameters, as TPE builds for the good
 * and the bad trials: one kernel per observation plus a wide prior kernel; each kernel is a
 * product of a truncated normal per numeric parameter (on the log scale for log ranges; integer
 * and stepped values take the probability of their bin) and a smoothed categorical per
 * categorical parameter. Built once, used from one thread.
 */
final class Parzen {
    private final Distribution[] dists;
    private final int kernels;
    private final double[] logWeights;
    // numeric dimensions: kernel centres and widths in the transformed space, bounds
    private final double[][] mu;
    private final double[][] sigma;
    private final double[] lo;
    private final double[] hi;
    // categorical dimensions: kernel x choice probabilities (log)
    private final double[][][] logProbs;
    private final double[][] cumProbs0;

    /**
     * @param dists        the parameters' distributions
     * @param observations internal values, {@code [observation][parameter]}, oldest first
     * @param weights      one weight per observation (the prior kernel gets {@code priorWeight})
     */
    Parzen(Distribution[] dists, double[][] observations, double[] weights, double priorWeight) {
        this.dists = dists;
        int n = observations.length;
        int d = dists.length;
        this.kernels = n + 1;
        double sum = priorWeight;
        for (double w : weights) {
            sum += w;
        }
        if (n == 0) {
            sum = priorWeight;  // the prior alone
        }
        logWeights = new double[kernels];
        for (int k = 0; k < n; k++) {
            logWeights[k] = Math.log(weights[k] / sum);
        }
        logWeights[n] = Math.log(priorWeight / sum);
        mu = new double[d][];
        sigma = new double[d][];
        lo = new double[d];
        hi = new double[d];
        logProbs = new double[d][][];
        cumProbs0 = new double[d][];
        for (int j = 0; j < d; j++) {
            if (dists[j] instanceof Distribution.Categorical c) {
                int m = c.choices().size();
                logProbs[j] = new double[kernels][m];
                for (int k = 0; k < kernels; k++) {
                    double[] p = new double[m];
                    java.util.Arrays.fill(p, priorWeight / kernels);
                    double tot = priorWeight * m / kernels;
                    if (k < n) {
                        p[(int) observations[k][j]] += 1;
                        tot += 1;
                    }
                    for (int i = 0; i < m; i++) {
                        logProbs[j][k][i] = Math.log(p[i] / tot);
                    }
                }
                continue;
            }
            double[] b = bounds(dists[j]);
            lo[j] = b[0];
            hi[j] = b[1];
            double range = hi[j] - lo[j];
            double[] m = new double[kernels];
            double[] s = new double[kernels];
            for (int k = 0; k < n; k++) {
                m[k] = transform(dists[j], observations[k][j]);
            }
            neighbourWidths(m, s, n, lo[j], hi[j]);
            double minSigma = range / Math.min(100.0, 1.0 + kernels);
            for (int k = 0; k < n; k++) {
                s[k] = Math.min(range, Math.max(minSigma, s[k]));
            }
            m[n] = 0.5 * (lo[j] + hi[j]);
            s[n] = range;
            mu[j] = m;
            sigma[j] = s;
        }
    }

    /** Each observation's width: the larger gap to its sorted neighbours (bounds at the ends). */
    private static void neighbourWidths(double[] m, double[] s, int n, double lo, double hi) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(m[a], m[b]));
        double[] e = new double[n + 2];
        e[0] = lo;
        e[n + 1] = hi;
        for (int i = 0; i < n; i++) {
            e[i + 1] = m[order[i]];
        }
        for (int i = 0; i < n; i++) {
            double w = Math.max(e[i + 1] - e[i], e[i + 2] - e[i + 1]);
            if (n >= 2 && i == 0) {
                w = e[2] - e[1];
            } else if (n >= 2 && i == n - 1) {
                w = e[n] - e[n - 1];
            }
            s[order[i]] = w;
        }
    }

    /** Bounds of a numeric distribution in the transformed space (bins included). */
    static double[] bounds(Distribution d) {
        if (d instanceof Distribution.FloatRange f) {
            return f.log() ? new double[] {Math.log(f.low()), Math.log(f.high())}
                    : new double[] {f.low() - f.step() / 2, f.high() + f.step() / 2};
        }
        Distribution.IntRange r = (Distribution.IntRange) d;
        return r.log() ? new double[] {Math.log(r.low() - 0.5), Math.log(r.high() + 0.5)}
                : new double[] {r.low() - r.step() / 2.0, r.high() + r.step() / 2.0};
    }

    static double transform(Distribution d, double v) {
        boolean log = d instanceof Distribution.FloatRange f ? f.log() : ((Distribution.IntRange) d).log();
        return log ? Math.log(v) : v;
    }

    /** The internal value for a transformed draw: inverse transform, then snap to the grid. */
    static double untransform(Distribution d, double t) {
        if (d instanceof Distribution.FloatRange f) {
            return f.snap(f.log() ? Math.exp(t) : t);
        }
        if (d instanceof Distribution.IntRange r) {
            return r.snap(r.log() ? Math.exp(t) : t);
        }
        return t;
    }

    /** The bin of an internal value in the transformed space, or null for continuous floats. */
    private static double[] bin(Distribution d, double v) {
        if (d instanceof Distribution.FloatRange f) {
            return f.step() > 0 ? new double[] {v - f.step() / 2, v + f.step() / 2} : null;
        }
        if (d instanceof Distribution.IntRange r) {
            return r.log() ? new double[] {Math.log(v - 0.5), Math.log(v + 0.5)}
                    : new double[] {v - r.step() / 2.0, v + r.step() / 2.0};
        }
        return null;
    }

    /** {@code count} draws, {@code [draw][parameter]}, internal values. */
    double[][] sample(SplittableRandom rng, int count) {
        double[] cum = new double[kernels];
        double acc = 0;
        for (int k = 0; k < kernels; k++) {
            acc += Math.exp(logWeights[k]);
            cum[k] = acc;
        }
        double[][] out = new double[count][dists.length];
        for (int i = 0; i < count; i++) {
            double u = rng.nextDouble() * acc;
            int k = 0;
            while (k < kernels - 1 && cum[k] <= u) {
                k++;
            }
            for (int j = 0; j < dists.length; j++) {
                if (dists[j] instanceof Distribution.Categorical) {
                    double[] lp = logProbs[j][k];
                    double v = rng.nextDouble();
                    int c = 0;
                    double a = Math.exp(lp[0]);
                    while (c < lp.length - 1 && a <= v) {
                        c++;
                        a += Math.exp(lp[c]);
                    }
                    out[i][j] = c;
                } else {
                    out[i][j] = untransform(dists[j], truncatedNormal(rng, mu[j][k], sigma[j][k], lo[j], hi[j]));
                }
            }
        }
        return out;
    }

    private static double truncatedNormal(SplittableRandom rng, double m, double s, double lo, double hi) {
        for (int tries = 0; tries < 1000; tries++) {
            double x = m + s * gaussian(rng);
            if (x >= lo && x <= hi) {
                return x;
            }
        }
        return Math.min(hi, Math.max(lo, m));
    }

    private static double gaussian(SplittableRandom rng) {
        double u;
        double v;
        double q;
        do {
            u = 2 * rng.nextDouble() - 1;
            v = 2 * rng.nextDouble() - 1;
            q = u * u + v * v;
        } while (q >= 1 || q == 0);
        return u * Math.sqrt(-2 * Math.log(q) / q);
    }

    /** Log density (or mass, for discrete parameters) of internal values {@code x}. */
    double logPdf(double[] x) {
        double[] terms = new double[kernels];
        for (int k = 0; k < kernels; k++) {
            double t = logWeights[k];
            for (int j = 0; j < dists.length; j++) {
                if (dists[j] instanceof Distribution.Categorical) {
                    t += logProbs[j][k][(int) x[j]];
                    continue;
                }
                double m = mu[j][k];
                double s = sigma[j][k];
                double logZ = logPhiDiff((lo[j] - m) / s, (hi[j] - m) / s);
                double[] b = bin(dists[j], x[j]);
                if (b == null) {
                    double z = (transform(dists[j], x[j]) - m) / s;
                    t += -0.5 * z * z - Math.log(s) - 0.5 * Math.log(2 * Math.PI) - logZ;
                } else {
                    t += logPhiDiff((Math.max(b[0], lo[j]) - m) / s, (Math.min(b[1], hi[j]) - m) / s) - logZ;
                }
            }
            terms[k] = t;
        }
        return logSumExp(terms);
    }

    static double logSumExp(double[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            max = Math.max(max, x);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double s = 0;
        for (double x : v) {
            s += Math.exp(x - max);
        }
        return max + Math.log(s);
    }

    /** log(Phi(b) - Phi(a)) for a <= b, accurate in both tails. */
    static double logPhiDiff(double a, double b) {
        double diff;
        if (a > 0) {
            diff = upper(a) - upper(b);
        } else if (b < 0) {
            diff = upper(-b) - upper(-a);
        } else {
            diff = 1 - upper(-a) - upper(b);
        }
        return Math.log(Math.max(diff, 1e-300));
    }

    /** 1 - Phi(z) = erfc(z / sqrt 2) / 2. */
    private static double upper(double z) {
        return 0.5 * erfc(z / Math.sqrt(2));
    }

    /** Complementary error function, relative error below 1.2e-7 (Chebyshev fit). */
    static double erfc(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }

    static Distribution[] array(List<Distribution> l) {
        return l.toArray(new Distribution[0]);
    }
}
