package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StudyTest {

    @Test
    void distributions_roundTripJson_andValidate() {
        List<Distribution> ds = List.of(Distribution.FloatRange.uniform(-1, 2), Distribution.FloatRange.logUniform(1e-5, 1e-1),
                new Distribution.FloatRange(0, 1, false, 0.25), new Distribution.IntRange(2, 64, true, 1),
                new Distribution.IntRange(16, 70, false, 16), Distribution.Categorical.of("a", 3, true, null, 2.5));
        for (Distribution d : ds) {
            assertEquals(d, Distribution.fromJson(d.toJson()), d.toJson());
        }
        assertEquals(64, new Distribution.IntRange(16, 70, false, 16).high());
        assertEquals(0.75, new Distribution.FloatRange(0, 0.8, false, 0.25).high(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Distribution.FloatRange.logUniform(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Distribution.FloatRange(1, 2, true, 0.1));
        assertThrows(IllegalArgumentException.class, () -> Distribution.IntRange.of(3, 2));
        assertThrows(IllegalArgumentException.class, () -> Distribution.Categorical.of("a", "a"));
        assertThrows(IllegalArgumentException.class, () -> Distribution.Categorical.of("a").toInternal("b"));
        assertEquals(1.0, Distribution.Categorical.of(1, 2).toInternal(2L));
    }

    @Test
    void optimize_runsExactlyNTrials_withValuesInsideTheirRanges() {
        Study study = Study.builder("s").sampler(TpeSampler.builder().seed(3).build()).build();
        int ran = study.optimize(t -> {
            double x = t.suggestFloat("x", -2, 3);
            double lr = t.suggestFloat("lr", 1e-5, 1e-1, true);
            int k = t.suggestInt("k", 16, 70, 16);
            double q = t.suggestFloat("q", 0, 1, 0.25);
            String m = t.suggestCategorical("m", List.of("a", "b", "c"));
            assertTrue(x >= -2 && x <= 3);
            assertTrue(lr >= 1e-5 && lr <= 1e-1);
            assertTrue(k == 16 || k == 32 || k == 48 || k == 64, "k " + k);
            assertEquals(0, (q / 0.25) % 1, 1e-9);
            return x * x + (m.equals("b") ? 0 : 1) + Math.abs(Math.log10(lr) + 3);
        }, 25);
        assertEquals(25, ran);
        List<FrozenTrial> trials = study.trials();
        assertEquals(25, trials.size());
        for (int i = 0; i < 25; i++) {
            assertEquals(i, trials.get(i).number());
            assertEquals(TrialState.COMPLETE, trials.get(i).state());
        }
        // re-running with the same budget does nothing; a larger one continues the study
        assertEquals(0, study.optimize(t -> t.suggestFloat("x", -2, 3), 25));
        assertEquals(5, study.optimize(t -> t.suggestFloat("x", -2, 3), 30));
    }

    @Test
    void suggest_sameNameTwice_sameValue_otherDistributionRejected() {
        Study study = Study.builder("s").build();
        study.optimize(t -> {
            double a = t.suggestFloat("x", 0, 1);
            assertEquals(a, t.suggestFloat("x", 0, 1));
            assertThrows(IllegalArgumentException.class, () -> t.suggestFloat("x", 0, 2));
            return a;
        }, 1);
        assertEquals(TrialState.COMPLETE, study.trials().get(0).state());
    }

    @Test
    void sameSeed_sameParameters() {
        List<Object> a = new ArrayList<>();
        List<Object> b = new ArrayList<>();
        for (List<Object> out : List.of(a, b)) {
            Study s = Study.builder("s").sampler(TpeSampler.builder().seed(9).nStartupTrials(3).build()).build();
            s.optimize(t -> {
                double x = t.suggestFloat("x", -1, 1);
                out.add(x);
                out.add(t.suggestCategorical("c", List.of(1, 2, 3)));
                return x * x;
            }, 12);
        }
        assertEquals(a, b);
    }

    @Test
    void tpe_conditionalParameters_findTheBetterBranch() {
        Study study = Study.builder("cond").sampler(TpeSampler.builder().seed(1).build()).build();
        study.optimize(t -> {
            String model = t.suggestCategorical("model", List.of("small", "big"));
            if (model.equals("small")) {
                double lr = t.suggestFloat("lr_small", 1e-4, 1e-1, true);
                return 1 + Math.pow(Math.log10(lr) + 2, 2);
            }
            double lr = t.suggestFloat("lr_big", 1e-5, 1e-2, true);
            return Math.pow(Math.log10(lr) + 4, 2);
        }, 60);
        FrozenTrial best = study.bestTrial().orElseThrow();
        assertEquals("big", best.param("model"));
        assertNull(best.param("lr_small"));
        assertTrue(best.value() < 0.1, "best " + best.value());
        long bigLater = study.trials().stream().skip(30).filter(t -> "big".equals(t.param("model"))).count();
        assertTrue(bigLater >= 20, "TPE kept sampling the worse branch: " + bigLater + "/30 big");
    }

    @Test
    void tpe_multivariate_beatsRandom_onAQuadratic() {
        double tpe = 0;
        double random = 0;
        for (int seed = 0; seed < 5; seed++) {
            tpe += bestOf(TpeSampler.builder().seed(seed).multivariate(true).build(), 40);
            random += bestOf(new RandomSampler(seed), 40);
        }
        assertTrue(tpe < random / 3, "tpe " + tpe / 5 + " random " + random / 5);
    }

    private static double bestOf(Sampler sampler, int n) {
        Study s = Study.builder("q").sampler(sampler).build();
        s.optimize(t -> {
            double x = t.suggestFloat("x", -5, 5);
            double y = t.suggestFloat("y", -5, 5);
            return (x - 1) * (x - 1) + (y + 2) * (y + 2);
        }, n);
        return s.bestTrial().orElseThrow().value();
    }

    @Test
    void grid_visitsEveryPointOnce_thenStops() {
        GridSampler g = GridSampler.of(Map.of("a", Distribution.IntRange.of(0, 2)), 2);
        Map<String, List<Object>> grid = new LinkedHashMap<>();
        grid.put("a", List.of(0, 1, 2));
        grid.put("b", List.of("x", "y"));
        Study study = Study.builder("g").sampler(new GridSampler(grid)).build();
        Set<String> seen = new HashSet<>();
        int ran = study.optimize(t -> {
            assertTrue(seen.add(t.suggestInt("a", 0, 2) + t.suggestCategorical("b", List.of("x", "y"))));
            return 0;
        }, 100);
        assertEquals(6, ran);
        assertEquals(6, seen.size());
        assertEquals(3, g.maxTrials());
        assertEquals(List.of(1e-3, 1e-2, 1e-1), roundAll(GridSampler.values(Distribution.FloatRange.logUniform(1e-3, 1e-1), 3)));
    }

    private static List<Object> roundAll(List<Object> v) {
        List<Object> out = new ArrayList<>();
        for (Object o : v) {
            out.add(Math.round((Double) o * 1e9) / 1e9);
        }
        return out;
    }

    @Test
    void enqueued_parametersAreUsed() {
        Study study = Study.builder("e").sampler(new RandomSampler(0)).build();
        study.enqueue(Map.of("x", 0.125, "c", "b"));
        study.optimize(t -> t.suggestFloat("x", 0, 1) + (t.suggestCategorical("c", List.of("a", "b")).equals("b") ? 1 : 0), 2);
        FrozenTrial first = study.trials().get(0);
        assertEquals(0.125, first.param("x"));
        assertEquals("b", first.param("c"));
        assertEquals(1.125, first.value(), 1e-12);
    }

    @Test
    void pruned_andFailedTrials_areRecorded() {
        Study study = Study.builder("p").direction(Direction.MAXIMIZE).sampler(new RandomSampler(1))
                .pruner(new MedianPruner(2, 1, 1)).maxConsecutiveFailures(3).build();
        study.optimize(t -> {
            double q = t.suggestFloat("q", 0, 1);
            if (t.number() == 2) {
                throw new IllegalStateException("boom");
            }
            // trials 0 and 1 are good; later ones are worse at every step and get pruned at step 1
            double quality = t.number() < 2 ? 10 : q;
            for (int step = 0; step < 5; step++) {
                t.report(quality + step, step);
                if (t.shouldPrune()) {
                    throw new TrialPruned("step " + step);
                }
            }
            return quality + 5;
        }, 6);
        List<FrozenTrial> trials = study.trials();
        assertEquals(TrialState.COMPLETE, trials.get(0).state());
        assertEquals(TrialState.FAIL, trials.get(2).state());
        for (int i = 3; i < 6; i++) {
            assertEquals(TrialState.PRUNED, trials.get(i).state());
            assertEquals(1, trials.get(i).lastStep(), "warm-up ends at step 1");
            assertEquals(trials.get(i).intermediate().get(1), trials.get(i).value());
        }
        Study failing = Study.builder("f").maxConsecutiveFailures(3).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> failing.optimize(t -> {
            throw new java.io.IOException("disk");
        }, 10));
        assertTrue(e.getMessage().contains("3 trials failed in a row"), e.getMessage());
        assertEquals(3, failing.trials().size());
    }

    @Test
    void medianPruner_comparesBestSoFarWithTheMedianAtTheStep() {
        List<FrozenTrial> history = List.of(done(0, 1, 2, 3), done(1, 2, 3, 4), done(2, 3, 4, 5));
        MedianPruner p = new MedianPruner(3, 0, 1);
        assertTrue(p.prune(Direction.MAXIMIZE, history, running(9, 1, 1.5)), "1.5 < median 3 at step 1");
        assertFalse(p.prune(Direction.MAXIMIZE, history, running(9, 1, 3.5)));
        assertFalse(p.prune(Direction.MINIMIZE, history, running(9, 1, 1.5)));
        assertFalse(new MedianPruner(4, 0, 1).prune(Direction.MAXIMIZE, history, running(9, 1, 1.5)), "startup");
        assertFalse(new MedianPruner(3, 2, 1).prune(Direction.MAXIMIZE, history, running(9, 1, 1.5)), "warm-up");
    }

    @Test
    void successiveHalving_promotesTheTopThird_atRungs() {
        SuccessiveHalvingPruner sh = new SuccessiveHalvingPruner(1, 3, 0);
        assertEquals(List.of(1, 3, 9), sh.rungs(10));
        List<FrozenTrial> history = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            history.add(done(i, 0.0, i * 1.0));  // value i at step 1
        }
        // 6 competitors at step 1 (0..4 and itself): only the best 2 go on
        assertTrue(sh.prune(Direction.MAXIMIZE, history, running(9, 0.0, 2.5)));
        assertFalse(sh.prune(Direction.MAXIMIZE, history, running(9, 0.0, 3.5)));
        assertFalse(sh.prune(Direction.MINIMIZE, history, running(9, 0.0, 0.5)));
        assertFalse(sh.prune(Direction.MAXIMIZE, history, running(9, 0.0)), "step 0 is no rung");
        assertFalse(sh.prune(Direction.MAXIMIZE, history, running(9, 0.0, 3.5, 0.0)), "step 2 is no rung");
        HyperbandPruner hb = new HyperbandPruner(1, 27, 3);
        assertEquals(4, hb.brackets());
        Set<Integer> used = new HashSet<>();
        for (int n = 0; n < 200; n++) {
            used.add(hb.bracket(n));
        }
        assertEquals(Set.of(0, 1, 2, 3), used);
    }

    @Test
    void staleTrial_isFailed_andRequeuedWithItsParameters() {
        InMemoryStorage storage = new InMemoryStorage();
        long id = storage.openStudy("h", Direction.MINIMIZE);
        StudyStorage.Claim c = storage.claim(id, 2, "w1").orElseThrow();
        storage.setParam(c.trialId(), "x", Distribution.FloatRange.uniform(0, 1), 0.5);
        assertEquals(List.of(), storage.failStale(id, Duration.ofHours(1), true));
        assertEquals(List.of(0), storage.failStale(id, Duration.ofMillis(-1), true));
        assertFalse(storage.finish(c.trialId(), TrialState.COMPLETE, 1.0), "a failed trial cannot complete");
        StudyStorage.Claim again = storage.claim(id, 2, "w2").orElseThrow();
        assertEquals(1, again.number());
        assertEquals(Map.of("x", 0.5), again.fixed());
        assertTrue(storage.claim(id, 2, "w2").isPresent(), "the re-queued failure does not count");
        assertTrue(storage.claim(id, 2, "w2").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> storage.openStudy("h", Direction.MAXIMIZE));
    }

    @Test
    void constantLiar_steersAwayFromPointsOtherWorkersAreRunning() {
        Distribution d = Distribution.FloatRange.uniform(0, 1);
        List<FrozenTrial> history = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            double x = i / 11.0;
            history.add(withX(i, TrialState.COMPLETE, x, (x - 0.3) * (x - 0.3), d));
        }
        for (int i = 12; i < 17; i++) {
            history.add(withX(i, TrialState.RUNNING, 0.3, null, d));
        }
        double[] meanDistance = new double[2];
        for (int liar = 0; liar < 2; liar++) {
            TpeSampler s = TpeSampler.builder().seed(5).multivariate(false).constantLiar(liar == 1).build();
            for (int n = 100; n < 140; n++) {
                double x = s.sampleIndependent(new Sampler.Context(Direction.MINIMIZE, history, n, Map.of()), "x", d);
                meanDistance[liar] += Math.abs(x - 0.3) / 40;
            }
        }
        assertTrue(meanDistance[1] > 1.5 * meanDistance[0], "with liar " + meanDistance[1] + ", without " + meanDistance[0]);
    }

    private static FrozenTrial withX(int number, TrialState state, double x, Double value, Distribution d) {
        return new FrozenTrial(number, number, state, value, Map.of("x", x), Map.of("x", d), new java.util.TreeMap<>(),
                Map.of(), "w", 1, 2);
    }

    static FrozenTrial done(int number, double... values) {
        return trial(number, TrialState.COMPLETE, values);
    }

    static FrozenTrial running(int number, double... values) {
        return trial(number, TrialState.RUNNING, values);
    }

    private static FrozenTrial trial(int number, TrialState state, double... values) {
        java.util.TreeMap<Integer, Double> m = new java.util.TreeMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(i, values[i]);
        }
        return new FrozenTrial(number, number, state, state == TrialState.COMPLETE ? values[values.length - 1] : null,
                Map.of(), Map.of(), m, Map.of(), "w", 1, 2);
    }
}
