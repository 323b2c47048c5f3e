package dev.jvision.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.runtime.Memory;
import dev.jvision.track.OofLogits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Temperature scaling (Guo et al. 2017): one scalar {@code T > 0} dividing the logits, fitted
 * by minimising the negative log-likelihood of held-out (out-of-fold) logits with a bracketed
 * golden-section search on {@code log T}. The NLL of {@code logits / T} is convex in
 * {@code 1 / T}, so the bracketed search finds the global minimum. NLL and the expected
 * calibration error come from {@link ProbabilityMetrics}. Stateless and thread-safe.
 */
public final class TemperatureScaling {
    /** Search bracket for T. */
    public static final double T_MIN = 0.05;
    public static final double T_MAX = 20.0;
    /** Bins of the expected calibration error. */
    public static final int ECE_BINS = 15;

    private static final ObjectMapper JSON = new ObjectMapper();

    private TemperatureScaling() {}

    /**
     * A fitted temperature and what it bought on the data it was fitted on.
     *
     * @param temperature the fitted T (divide logits by it)
     * @param samples     how many logit rows it was fitted on
     * @param nllBefore   mean NLL at T = 1
     * @param nllAfter    mean NLL at the fitted T
     * @param eceBefore   expected calibration error (15 bins) at T = 1
     * @param eceAfter    expected calibration error at the fitted T
     */
    public record Fit(double temperature, int samples, double nllBefore, double nllAfter, double eceBefore,
                      double eceAfter) {
        /** A neutral fit (T = 1) for when there is nothing to fit on. */
        public static Fit identity() {
            return new Fit(1.0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }

        /** Writes {@code calibration.json} atomically. */
        public void write(Path file, String source) throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("temperature", temperature);
            m.put("method", "golden-section search on log T, NLL");
            m.put("source", source);
            m.put("samples", samples);
            m.put("nll_before", nllBefore);
            m.put("nll_after", nllAfter);
            m.put("ece_before", eceBefore);
            m.put("ece_after", eceAfter);
            m.put("ece_bins", ECE_BINS);
            m.put("created", Instant.now().toString());
            Submission.writeInfo(file, m);
        }

        /** Reads a {@code calibration.json}, with a message naming the file when it is malformed. */
        public static Fit read(Path file) throws IOException {
            try {
                var n = JSON.readTree(file.toFile());
                double t = n.path("temperature").asDouble(Double.NaN);
                if (!(t > 0) || !Double.isFinite(t)) {
                    throw new IllegalArgumentException(file + ": temperature " + n.path("temperature")
                            + " (expected: a number > 0)");
                }
                return new Fit(t, n.path("samples").asInt(0), n.path("nll_before").asDouble(Double.NaN),
                        n.path("nll_after").asDouble(Double.NaN), n.path("ece_before").asDouble(Double.NaN),
                        n.path("ece_after").asDouble(Double.NaN));
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new IllegalArgumentException(file + ": malformed calibration file: " + e.getOriginalMessage(), e);
            }
        }
    }

    /** The calibration file inside a run folder. */
    public static final String FILE = "calibration.json";

    /**
     * The temperature of a run folder: its {@code calibration.json} when present, else fitted on
     * its {@code oof_logits.csv} (and written to {@code calibration.json}), else empty.
     */
    public static java.util.Optional<Fit> forRun(Path runDir) throws IOException {
        return forRun(runDir, true);
    }

    /**
     * As {@link #forRun(Path)}; a temperature fitted on {@code oof_logits.csv} is written to
     * {@code calibration.json} only when {@code writeFit} (a service reading a run folder leaves
     * it untouched).
     */
    public static java.util.Optional<Fit> forRun(Path runDir, boolean writeFit) throws IOException {
        Path cal = runDir.resolve(FILE);
        if (Files.isRegularFile(cal)) {
            return java.util.Optional.of(Fit.read(cal));
        }
        Path oof = runDir.resolve(OofLogits.FILE);
        if (!Files.isRegularFile(oof)) {
            return java.util.Optional.empty();
        }
        OofLogits o = OofLogits.read(oof);
        Fit f = fit(o.logits(), o.targets());
        if (writeFit) {
            f.write(cal, OofLogits.FILE);
        }
        return java.util.Optional.of(f);
    }

    /** Fits T on {@code logits} with integer {@code targets} (NLL and ECE from {@link ProbabilityMetrics}). */
    public static Fit fit(float[][] logits, int[] targets) {
        if (logits.length != targets.length) {
            throw new IllegalArgumentException(logits.length + " logit rows for " + targets.length
                    + " targets (expected: one row per target)");
        }
        if (logits.length == 0) {
            throw new IllegalArgumentException("no out-of-fold logits to fit a temperature on");
        }
        try (var scope = Memory.step()) {
            Tensor z = ProbabilityMetrics.matrix(logits).to(torch.ScalarType.Double);
            Tensor y = ProbabilityMetrics.labels(targets);
            double lo = Math.log(T_MIN);
            double hi = Math.log(T_MAX);
            double g = (Math.sqrt(5) - 1) / 2;
            double a = hi - g * (hi - lo);
            double b = lo + g * (hi - lo);
            double fa = ProbabilityMetrics.nll(z, y, Math.exp(a));
            double fb = ProbabilityMetrics.nll(z, y, Math.exp(b));
            for (int it = 0; it < 100 && hi - lo > 1e-6; it++) {
                if (fa <= fb) {
                    hi = b;
                    b = a;
                    fb = fa;
                    a = hi - g * (hi - lo);
                    fa = ProbabilityMetrics.nll(z, y, Math.exp(a));
                } else {
                    lo = a;
                    a = b;
                    fa = fb;
                    b = lo + g * (hi - lo);
                    fb = ProbabilityMetrics.nll(z, y, Math.exp(b));
                }
            }
            double t = Math.exp((lo + hi) / 2);
            double before = ProbabilityMetrics.nll(z, y, 1.0);
            double after = ProbabilityMetrics.nll(z, y, t);
            if (after > before) {
                // cannot happen for a convex objective with T = 1 inside the bracket; keep T = 1 if it does
                t = 1.0;
                after = before;
            }
            // ECE of float32 probabilities, as the probabilities that inference writes
            Tensor p1 = ProbabilityMetrics.softmax(z, 1.0).to(torch.ScalarType.Float);
            Tensor pt = ProbabilityMetrics.softmax(z, t).to(torch.ScalarType.Float);
            return new Fit(t, logits.length, before, after, ProbabilityMetrics.ece(p1, y, ECE_BINS),
                    ProbabilityMetrics.ece(pt, y, ECE_BINS));
        }
    }
}
