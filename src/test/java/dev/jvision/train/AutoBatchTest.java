package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.config.ConfigException;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.runtime.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train.auto_batch_size} without a GPU: the search against a fake "fits(batch)" oracle and
 * a fake planner, and the decisions for CPU and (simulated) CUDA devices.
 */
class AutoBatchTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    /** Fits up to {@code max} images; records every batch it is asked about. */
    private static final class Oracle implements IntPredicate {
        final int max;
        final List<Integer> asked = new ArrayList<>();

        Oracle(int max) {
            this.max = max;
        }

        @Override
        public boolean test(int b) {
            assertTrue(b >= 1, "probed batch " + b);
            asked.add(b);
            return b <= max;
        }
    }

    private static void assertNearEdge(int trueMax, AutoBatch.Search s) {
        assertTrue(s.largest() <= trueMax, "found " + s.largest() + " > true max " + trueMax);
        assertTrue(s.largest() >= trueMax * 8 / 9, "found " + s.largest() + ", true max " + trueMax + ": " + s.probes());
    }

    @Test
    void guided_exactPrediction_confirmsWithThreeProbes_fewerThanBlindDoubling() {
        Oracle o = new Oracle(200);
        AutoBatch.Search s = AutoBatch.guided(200, o, AutoBatch.MAX);
        assertEquals(200, s.largest());
        assertEquals(List.of(200, 230, 215), o.asked, "the prediction, +15%, then one bisection step");
        assertEquals(o.asked.size(), s.probes().size());
        Oracle blind = new Oracle(200);
        AutoBatch.Search b = AutoBatch.blind(32, blind, AutoBatch.MAX);
        assertNearEdge(200, b);
        assertEquals(List.of(32, 64, 128, 256, 192, 224, 208), blind.asked);
        assertTrue(s.probes().size() * 2 <= b.probes().size(), s.probes() + " vs blind " + b.probes());
    }

    @Test
    void guided_predictionTooHigh_stepsDownOnOomThenBisects() {
        Oracle o = new Oracle(60);
        AutoBatch.Search s = AutoBatch.guided(200, o, AutoBatch.MAX);
        assertNearEdge(60, s);
        assertEquals(List.of(200, 173), o.asked.subList(0, 2), "first below the prediction by its error bound");
        assertFalse(s.probes().get(0).fits());
        assertTrue(o.asked.size() <= 8, o.asked.toString());
    }

    @Test
    void guided_predictionTooLow_growsPastIt() {
        Oracle o = new Oracle(600);
        AutoBatch.Search s = AutoBatch.guided(200, o, AutoBatch.MAX);
        assertNearEdge(600, s);
        assertEquals(List.of(200, 230, 460, 920), o.asked.subList(0, 4), "+15%, then doubling");
        assertTrue(o.asked.size() <= 8, o.asked.toString());
    }

    @Test
    void guided_slightlyHighPrediction_threeProbes() {
        Oracle o = new Oracle(180);
        AutoBatch.Search s = AutoBatch.guided(200, o, AutoBatch.MAX);
        assertNearEdge(180, s);
        assertEquals(3, o.asked.size(), o.asked.toString());
    }

    @Test
    void guided_nothingFits_returnsZeroAfterReachingBatchOne() {
        Oracle o = new Oracle(0);
        AutoBatch.Search s = AutoBatch.guided(64, o, AutoBatch.MAX);
        assertEquals(0, s.largest());
        assertEquals(1, o.asked.get(o.asked.size() - 1));
        assertTrue(s.probes().stream().noneMatch(AutoBatch.Probe::fits));
        assertTrue(o.asked.size() <= 8, "halving, not counting down: " + o.asked);
    }

    @Test
    void guided_neverProbesAboveMax() {
        Oracle o = new Oracle(1000);
        AutoBatch.Search s = AutoBatch.guided(100, o, 100);
        assertEquals(100, s.largest());
        assertEquals(List.of(100), o.asked);
        Oracle small = new Oracle(1);
        assertEquals(1, AutoBatch.guided(1, small, AutoBatch.MAX).largest());
        assertEquals(List.of(1, 2), small.asked);
    }

    @Test
    void headroom_ninetyPercentAtLeastOne() {
        assertEquals(180, AutoBatch.headroom(200));
        assertEquals(1, AutoBatch.headroom(1));
        assertEquals(4, AutoBatch.headroom(5));
    }

    // ---------------------------------------------------------------- decisions

    private static Experiment exp(String... extra) {
        List<String> o = new ArrayList<>(List.of("model.name=resnet18", "model.num_classes=10", "data.img_size=64",
                "train.batch_size=32", "train.auto_batch_size=true"));
        o.addAll(List.of(extra));
        return Configs.fromYaml("{}", "auto.yaml", o);
    }

    private static final IntPredicate NO_TRIALS = b -> fail("no trial step expected, asked for batch " + b);

    private static final BatchSizePlanner NO_PLANNER = (e, a, d, budget) -> fail("the planner should not be asked");

    private static AutoBatch.Decision decide(Experiment e, Device d, BatchSizePlanner p, IntPredicate trial) {
        return AutoBatch.decide("resnet18", e, e.train(), d, p, trial, () -> 80 * GIB);
    }

    @Test
    void decide_cpuWithoutBudget_keepsBatchSize() {
        AutoBatch.Decision d = decide(exp(), Device.CPU, NO_PLANNER, NO_TRIALS);
        assertEquals("kept", d.method());
        assertEquals(32, d.chosen());
        assertTrue(d.planner().contains("train.memory_budget"), d.planner());
    }

    @Test
    void decide_cpuWithBudget_usesThePlannerOnly() {
        long[] asked = new long[1];
        BatchSizePlanner p = (e, arch, dev, budget) -> {
            asked[0] = budget;
            assertEquals("resnet18", arch);
            return new BatchSizePlanner.Prediction(100, "fake");
        };
        AutoBatch.Decision d = decide(exp("train.memory_budget=6GB"), Device.CPU, p, NO_TRIALS);
        assertEquals(6 * GIB, asked[0]);
        assertEquals("planner", d.method());
        assertEquals(100, d.predicted());
        assertEquals(90, d.chosen());
        assertTrue(d.probes().isEmpty());
    }

    @Test
    void decide_budgetTooSmall_namesTheKey() {
        BatchSizePlanner p = (e, a, dev, budget) -> new BatchSizePlanner.Prediction(0, "fixed 900 MiB");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> decide(exp("train.memory_budget=1GB"), Device.CPU, p, NO_TRIALS));
        assertTrue(e.getMessage().startsWith("train.memory_budget: 1GB (expected: room for at least one image of resnet18 "
                + "at 64 px; planner: fixed 900 MiB)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> decide(exp("train.memory_budget=1GB"), Device.cuda(0), p,
                NO_TRIALS), "an explicit CUDA budget that holds nothing is a config error too");
    }

    @Test
    void decide_cudaDefaultBudget_isTheDevice_predictionConfirmedByProbes() {
        long[] asked = new long[1];
        BatchSizePlanner p = (e, a, dev, budget) -> {
            asked[0] = budget;
            return new BatchSizePlanner.Prediction(240, "fake");
        };
        Oracle o = new Oracle(250);
        AutoBatch.Decision d = decide(exp(), Device.cuda(0), p, o);
        assertEquals(80 * GIB, asked[0], "default CUDA budget: the device's total memory");
        assertEquals("device total", d.budget());
        assertEquals("planner+probes", d.method());
        assertEquals(List.of(240, 276, 258), o.asked);
        assertEquals(240, d.largestFit());
        assertEquals(216, d.chosen());
    }

    @Test
    void decide_cudaExplicitBudget_neverProbesAboveThePrediction() {
        BatchSizePlanner p = (e, a, dev, budget) -> new BatchSizePlanner.Prediction(120, "fake");
        Oracle o = new Oracle(1000);
        AutoBatch.Decision d = decide(exp("train.memory_budget=8GB"), Device.cuda(0), p, o);
        assertEquals(List.of(120), o.asked, "the device would hold more than 8 GB: only the prediction is confirmed");
        assertEquals(108, d.chosen());
        Oracle tight = new Oracle(100);
        AutoBatch.Decision t = decide(exp("train.memory_budget=8GB"), Device.cuda(0), p, tight);
        assertTrue(t.largestFit() <= 100 && t.largestFit() >= 88, t.probes().toString());
    }

    @Test
    void decide_cudaNothingFits_clearError() {
        BatchSizePlanner p = (e, a, dev, budget) -> new BatchSizePlanner.Prediction(16, "fake");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> decide(exp(), Device.cuda(0), p, new Oracle(0)));
        assertTrue(e.getMessage().startsWith("train.auto_batch_size: even batch size 1 does not fit on cuda:0 for "
                + "resnet18 at 64 px (planner predicted 16; probes: [16 OOM, 13 OOM, 6 OOM, 3 OOM, 1 OOM])"), e.getMessage());
    }

    @Test
    void decide_cudaPlannerOutOfMemory_searchesUpFromOne() {
        BatchSizePlanner p = (e, a, dev, budget) -> {
            throw new dev.jvision.runtime.DeviceOutOfMemoryException("batch 4: out of memory", "cuda:0", 4, null);
        };
        Oracle o = new Oracle(3);
        AutoBatch.Decision d = decide(exp(), Device.cuda(0), p, o);
        assertEquals(3, d.largestFit());
        assertEquals(1, o.asked.get(0));
        assertTrue(d.planner().contains("ran out of memory"), d.planner());
    }

    @Test
    void decide_cudaWithoutPlanner_blindSearchFromBatchSize() {
        Oracle o = new Oracle(200);
        AutoBatch.Decision d = decide(exp(), Device.cuda(0), null, o);
        assertEquals("probes", d.method());
        assertEquals(32, o.asked.get(0));
        assertEquals(-1, d.predicted());
    }

    @Test
    void resolve_cpuWithBudget_recordsChosenSizeWithAutoOff_andWritesTheSearch() throws Exception {
        Experiment e = exp("train.memory_budget=6GB", "train.lr=0.002");
        BatchSizePlanner p = (x, a, dev, budget) -> new BatchSizePlanner.Prediction(50, "fake fit");
        AutoBatch.Resolved r = AutoBatch.resolve(e, Device.CPU, p, null);
        assertEquals(45, r.experiment().train().batch().size());
        assertFalse(r.experiment().train().batch().auto(), "config.yaml records the size, so a resume reuses it");
        assertEquals(0.002, r.experiment().train().optimizer().lr(), "the learning rate is not scaled");
        assertEquals(dev.jvision.config.ByteSize.of("6GB"), r.experiment().train().batch().memoryBudget());
        assertEquals(e.model(), r.experiment().model());
        r.write(tmp);
        JsonNode j = new ObjectMapper().readTree(tmp.resolve(AutoBatch.FILE).toFile());
        assertEquals(32, j.get("requested_batch_size").asInt());
        assertEquals(45, j.get("batch_size").asInt());
        assertFalse(j.get("lr_scaled_with_batch_size").asBoolean());
        assertEquals("planner", j.get("models").get(0).get("method").asText());
        assertEquals(50, j.get("models").get(0).get("predicted").asInt());
        assertEquals(6L << 30, j.get("models").get(0).get("budget_bytes").asLong());
        assertEquals(0, j.get("models").get(0).get("probes").size());
        Experiment back = Configs.fromYaml(Configs.toYaml(r.experiment()), "back.yaml", List.of());
        assertEquals(r.experiment(), back);
    }

    @Test
    void resolve_foldModels_smallestSizeOfTheArchitectures() throws Exception {
        Experiment e = exp("train.memory_budget=6GB", "model.fold_models=[resnet18, resnet50]", "train.n_folds=2");
        BatchSizePlanner p = (x, a, dev, budget) -> new BatchSizePlanner.Prediction(a.equals("resnet50") ? 20 : 100, a);
        AutoBatch.Resolved r = AutoBatch.resolve(e, Device.CPU, p, null);
        assertEquals(2, r.decisions().size());
        assertEquals(18, r.experiment().train().batch().size());
    }

    @Test
    void resolve_autoOff_returnsTheExperimentUnchanged() throws Exception {
        Experiment e = exp("train.auto_batch_size=false");
        AutoBatch.Resolved r = AutoBatch.resolve(e, Device.CPU, NO_PLANNER, null);
        assertEquals(e, r.experiment());
        assertTrue(r.decisions().isEmpty());
        r.write(tmp);
        assertFalse(tmp.resolve(AutoBatch.FILE).toFile().exists());
    }

    @Test
    void memoryBudget_badValue_fileLineAndKey() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Configs.fromYaml("train:\n  memory_budget: lots\n", "t.yaml", List.of()));
        assertTrue(e.getMessage().contains("t.yaml:2") && e.getMessage().contains("train.memory_budget: 'lots' (expected: "
                + "a size such as 8GB"), e.getMessage());
        assertEquals(12L << 30, exp("train.memory_budget=12GB").train().batch().memoryBudget().bytes());
        assertNull(exp().train().batch().memoryBudget());
    }
}
