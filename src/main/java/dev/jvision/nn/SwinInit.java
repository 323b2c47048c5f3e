package dev.jvision.nn;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The initialisation timm's transformer families (Swin) use: truncated normal
 * ({@code timm.layers.trunc_normal_}, bounds -2..2 absolute) and PyTorch's default uniform
 * fan-in init, applied in place. Draws from libtorch's global generator, so
 * {@code TorchSettings.seed} makes it reproducible. Stateless; thread-safe only as far as that
 * generator is.
 */
public final class SwinInit {
    private SwinInit() {}

    /** A new tensor of {@code shape} drawn from N(0, std) truncated to [-2, 2]. */
    public static Tensor truncNormal(double std, long... shape) {
        Tensor t = torch.empty(shape);
        truncNormalInPlace(t, std);
        return t;
    }

    /**
     * Fills {@code t} in place from N(0, std) truncated to [-2, 2], as timm's trunc_normal_. When
     * the bounds lie beyond 6 std (timm's std .02: 100 std) a normal draw clamped to the bounds has
     * the same distribution to double precision and avoids the costly inverse-CDF pass.
     */
    public static void truncNormalInPlace(Tensor t, double std) {
        double a = -2;
        double b = 2;
        try (NoGradGuard ng = new NoGradGuard(); Scalar lo = new Scalar(a); Scalar hi = new Scalar(b)) {
            if (b / std > 6) {
                t.normal_(0, std, new GeneratorOptional());
            } else {
                double l = normCdf(a / std);
                double u = normCdf(b / std);
                t.uniform_(2 * l - 1, 2 * u - 1, new GeneratorOptional());
                t.erfinv_();
                try (Scalar s = new Scalar(std * Math.sqrt(2.0))) {
                    t.mul_(s);
                }
            }
            t.clamp_(new ScalarOptional(lo), new ScalarOptional(hi));
        }
    }

    /** Fills {@code t} in place with uniform(-1/sqrt(fanIn), 1/sqrt(fanIn)) (PyTorch's default Conv/Linear init). */
    public static void uniformFanInInPlace(Tensor t, long fanIn) {
        double bound = 1.0 / Math.sqrt(fanIn);
        try (NoGradGuard ng = new NoGradGuard()) {
            t.uniform_(-bound, bound, new GeneratorOptional());
        }
    }

    /** Fills {@code t} in place with {@code value}. */
    public static void constantInPlace(Tensor t, double value) {
        try (NoGradGuard ng = new NoGradGuard(); Scalar s = new Scalar(value)) {
            t.fill_(s);
        }
    }

    private static double normCdf(double x) {
        return (1 + erf(x / Math.sqrt(2))) / 2;
    }

    /** erf with absolute error below 1.5e-7 (Abramowitz and Stegun 7.1.26); enough for truncation bounds. */
    private static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
                * Math.exp(-x * x);
        return Math.signum(x) * y;
    }
}
