package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jvision's TPE against Optuna's on Branin, Hartmann-6 and a mixed categorical/log-float/int
 * function: mean (over 40 seeds for jvision, 20 for Optuna) of the best value after 30 and 60 trials. The Optuna numbers
 * (mean and standard deviation over its seeds) come from {@code scripts/tune_reference.py}
 * ({@code src/test/resources/tune/optuna_reference.json}); the functions here are the same.
 *
 * <p>Best-after-30 means over 20 seeds are noisy (on Branin the jvision mean moves from 1.06
 * to 1.50 when the seeds change), so "at least as good" is tested as:
 * <ol>
 *   <li>on average over the six (function, budget) cells, jvision's default TPE closes at least
 *       {@value #MIN_MEAN_SHARE} of the gap between random search and Optuna's default TPE
 *       (1.0 = as good as Optuna; the slack is 5%);</li>
 *   <li>in no cell is it worse than Optuna by more than three standard errors of the difference
 *       of the two means (with 40 independent seeds, Branin at 60 trials sits 2.2 standard errors
 *       behind Optuna: 0.644 against 0.527, a known gap of the multivariate TPE; with 20 seeds
 *       that drew shifted copies of one stream it had looked level);</li>
 *   <li>in every cell it closes at least half of that gap (clearly better than random).</li>
 * </ol>
 * Deterministic: seeds 0..39 for jvision.
 */
class SamplerQualityTest {
    /**
     * jvision's seeds: 40, so that its side of a cell's standard error is small. (Before
     * {@code Sampler.random} hashed its seed, consecutive seeds drew shifted copies of one
     * stream and 20 of them were far from 20 independent runs.)
     */
    static final int SEEDS = 40;
    static final int[] BUDGETS = {30, 60};
    static final double MIN_MEAN_SHARE = 0.95;

    static JsonNode reference;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = SamplerQualityTest.class.getResourceAsStream("/tune/optuna_reference.json")) {
            reference = new ObjectMapper().readTree(in);
        }
    }

    static final double[][] H6_A = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14}, {3, 3.5, 1.7, 10, 17, 8},
        {17, 8, 0.05, 10, 0.1, 14}};
    static final double[] H6_C = {1.0, 1.2, 3.0, 3.2};
    static final double[][] H6_P = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
        {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991}, {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
        {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};

    static double branin(Trial t) {
        double x = t.suggestFloat("x", -5, 10);
        double y = t.suggestFloat("y", 0, 15);
        double b = 5.1 / (4 * Math.PI * Math.PI);
        double c = 5 / Math.PI;
        double r = 1 / (8 * Math.PI);
        return Math.pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - r) * Math.cos(x) + 10;
    }

    static double hartmann6(Trial t) {
        double[] x = new double[6];
        for (int i = 0; i < 6; i++) {
            x[i] = t.suggestFloat("x" + i, 0, 1);
        }
        double total = 0;
        for (int i = 0; i < 4; i++) {
            double inner = 0;
            for (int j = 0; j < 6; j++) {
                inner += H6_A[i][j] * Math.pow(x[j] - H6_P[i][j], 2);
            }
            total += H6_C[i] * Math.exp(-inner);
        }
        return -total;
    }

    static double mixed(Trial t) {
        String kind = t.suggestCategorical("kind", List.of("a", "b", "c", "d"));
        double lr = t.suggestFloat("lr", 1e-5, 1e-1, true);
        double wd = t.suggestFloat("wd", 1e-6, 1e-2, true);
        int depth = t.suggestInt("depth", 1, 8);
        double offset = Map.of("a", 0.6, "b", 0.0, "c", 0.3, "d", 0.9).get(kind);
        return offset + Math.pow(Math.log10(lr) + 2.5, 2) / 4 + Math.pow(Math.log10(wd) + 4, 2) / 8
                + Math.pow(depth - 5, 2) / 16.0;
    }

    static final Map<String, Objective> FUNCTIONS = new LinkedHashMap<>();

    static {
        FUNCTIONS.put("branin", SamplerQualityTest::branin);
        FUNCTIONS.put("hartmann6", SamplerQualityTest::hartmann6);
        FUNCTIONS.put("mixed", SamplerQualityTest::mixed);
    }

    /** Mean and sample standard deviation of the best value after each budget over the seeds: {@code [2][budgets]}. */
    static double[][] bestStats(Objective f, LongFunction<Sampler> sampler) {
        int max = BUDGETS[BUDGETS.length - 1];
        double[][] best = new double[BUDGETS.length][SEEDS];
        for (int seed = 0; seed < SEEDS; seed++) {
            Study s = Study.builder("q").sampler(sampler.apply(seed)).build();
            s.optimize(f, max);
            List<FrozenTrial> trials = s.trials();
            for (int b = 0; b < BUDGETS.length; b++) {
                double m = Double.POSITIVE_INFINITY;
                for (int i = 0; i < BUDGETS[b]; i++) {
                    m = Math.min(m, trials.get(i).value());
                }
                best[b][seed] = m;
            }
        }
        double[][] out = new double[2][BUDGETS.length];
        for (int b = 0; b < BUDGETS.length; b++) {
            double mean = 0;
            for (double v : best[b]) {
                mean += v / SEEDS;
            }
            double ss = 0;
            for (double v : best[b]) {
                ss += (v - mean) * (v - mean);
            }
            out[0][b] = mean;
            out[1][b] = Math.sqrt(ss / (SEEDS - 1));
        }
        return out;
    }

    @Test
    void tpe_isAsGoodAsOptunasTpe_andClearlyBetterThanRandom() {
        List<String> failures = new ArrayList<>();
        StringBuilder table = new StringBuilder(String.format("%-10s %6s %12s %12s %12s %12s %12s %7s%n", "function",
                "trials", "jvision_tpe", "jv_indep", "optuna_tpe", "optuna_indep", "random", "share"));
        double shares = 0;
        int cells = 0;
        for (Map.Entry<String, Objective> f : FUNCTIONS.entrySet()) {
            double[][] jv = bestStats(f.getValue(), seed -> TpeSampler.builder().seed(seed).build());
            double[][] jvIndep = bestStats(f.getValue(), seed -> TpeSampler.builder().seed(seed).multivariate(false).build());
            JsonNode ref = reference.get("results").get(f.getKey());
            for (int b = 0; b < BUDGETS.length; b++) {
                String key = String.valueOf(BUDGETS[b]);
                double optuna = ref.get("optuna_tpe").get("mean").get(key).asDouble();
                double optunaSd = ref.get("optuna_tpe").get("sd").get(key).asDouble();
                double optunaIndep = ref.get("optuna_tpe_independent").get("mean").get(key).asDouble();
                double random = ref.get("optuna_random").get("mean").get(key).asDouble();
                double gap = random - optuna;
                double share = (random - jv[0][b]) / gap;
                shares += share;
                cells++;
                table.append(String.format("%-10s %6d %12.4f %12.4f %12.4f %12.4f %12.4f %7.2f%n", f.getKey(), BUDGETS[b],
                        jv[0][b], jvIndep[0][b], optuna, optunaIndep, random, share));
                double se = Math.sqrt(jv[1][b] * jv[1][b] / SEEDS + optunaSd * optunaSd / reference.get("seeds").asInt());
                if (jv[0][b] > optuna + 3 * se) {
                    failures.add(f.getKey() + "@" + key + ": jvision " + jv[0][b] + " worse than optuna " + optuna
                            + " by more than 3 standard errors (" + se + ")");
                }
                if (share < 0.5) {
                    failures.add(f.getKey() + "@" + key + ": jvision " + jv[0][b] + " not clearly better than random " + random);
                }
            }
        }
        double meanShare = shares / cells;
        table.append(String.format("mean share of Optuna's gain over random: %.3f (required: >= %.2f)%n", meanShare,
                MIN_MEAN_SHARE));
        if (meanShare < MIN_MEAN_SHARE) {
            failures.add("mean share " + meanShare + " < " + MIN_MEAN_SHARE);
        }
        System.out.print(table);
        assertTrue(failures.isEmpty(), failures + "\n" + table);
    }
}
