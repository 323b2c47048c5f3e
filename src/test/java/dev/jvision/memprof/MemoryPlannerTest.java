package dev.jvision.memprof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Experiment;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.StepEngine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The planner's arithmetic, and its prediction for resnet18 on the CPU against measured peaks. */
class MemoryPlannerTest {
    private static final long MIB = 1 << 20;

    private static MemoryProfile synthetic(int batch, long perImage, long constant, long reserved) {
        long act = perImage * batch;
        long peak = 400 * MIB + act + constant;
        return new MemoryProfile("m", 224, batch, "off", false, "train", "cuda:0", 100 * MIB, 100 * MIB, 150 * MIB,
                50 * MIB, act, constant, 0, peak, reserved < 0 ? peak : reserved, 300 * MIB, "synthetic");
    }

    @Test
    void fit_linearProfiles_recoversPerImageAndConstantAndLargestBatch() {
        MemoryPlanner.Fit f = MemoryPlanner.fit(synthetic(4, 50 * MIB, 20 * MIB, -1), synthetic(2, 50 * MIB, 20 * MIB, -1));
        assertEquals(50.0 * MIB, f.perImage(), 1e-6);
        assertEquals(20.0 * MIB, f.constant(), 1e-6);
        assertEquals(400 * MIB, f.fixed());
        assertEquals(400 * MIB + 20 * MIB + 10 * 50 * MIB, f.peak(10));
        // 1 GiB budget: (1024 - 300 ctx) - 400 - 20 = 304 MiB room -> 6 images of 50 MiB
        assertEquals(6, f.largestBatch(1L << 30));
        assertTrue(f.total(6) <= 1L << 30 && f.total(7) > 1L << 30);
        assertEquals(0, f.largestBatch(700 * MIB), "fixed parts and context alone exceed the budget");
    }

    @Test
    void fit_allocatorOverhead_scalesThePrediction() {
        MemoryProfile big = synthetic(4, 50 * MIB, 0, (long) ((400 * MIB + 200 * MIB) * 1.25));
        MemoryPlanner.Fit f = MemoryPlanner.fit(synthetic(2, 50 * MIB, 0, -1), big);
        assertEquals(1.25, f.overhead(), 1e-9);
        assertEquals(Math.round((400 * MIB + 8 * 50 * MIB) * 1.25) + 300 * MIB, f.total(8));
    }

    /** Small, noisy CPU probes are widened: the next probe grows the batch enough, within limits and the budget. */
    @Test
    void nextProbe_smallGrowth_widensWithinBoundsAndBudget() {
        // 2 MiB per image at batch 8 (16 MiB, 12 MiB over batch 4): ~64 images give the 128 MiB signal
        MemoryProfile small = synthetic(4, 2 * MIB, 0, -1);
        MemoryProfile large = synthetic(8, 2 * MIB, 0, -1);
        MemoryPlanner.Fit f = MemoryPlanner.fit(small, large);
        assertEquals(64, MemoryPlanner.nextProbe(small, large, f, 0), "8 times the batch at most");
        // a budget leaving 200 MiB above fixed and context: the probe stays inside 90% of it
        long budget = 300 * MIB + 400 * MIB + 200 * MIB;
        assertEquals(90, (int) Math.floor(200 * MIB * 0.9 / (2.0 * MIB)));
        assertEquals(64, MemoryPlanner.nextProbe(small, large, f, budget));
        assertEquals(45, MemoryPlanner.nextProbe(small, large, f, 300 * MIB + 400 * MIB + 100 * MIB));
        // noise made the larger probe read smaller than the smaller one: still at least twice the batch
        MemoryProfile noisy = synthetic(8, 0, -4 * MIB, -1);
        assertEquals(64, MemoryPlanner.nextProbe(small, noisy, MemoryPlanner.fit(small, noisy), 0));
        // big images per step: twice the batch is the least step
        MemoryProfile bigSmall = synthetic(4, 30 * MIB, 0, -1);
        MemoryProfile bigLarge = synthetic(8, 30 * MIB, 0, -1);
        assertEquals(16, MemoryPlanner.nextProbe(bigSmall, bigLarge, MemoryPlanner.fit(bigSmall, bigLarge), 0));
        // a budget too small for a larger probe: none runs
        assertTrue(MemoryPlanner.nextProbe(small, large, f, 300 * MIB + 400 * MIB + 10 * MIB) <= 8);
    }

    @Test
    void fit_sameBatchTwice_isRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> MemoryPlanner.fit(synthetic(4, MIB, 0, -1), synthetic(4, MIB, 0, -1)));
    }

    @Test
    void parseBytes_unitsAreBinary_badInputNamesKey() {
        assertEquals(8L << 30, MemoryPlanner.parseBytes("--fit", "8GB"));
        assertEquals(12L << 30, MemoryPlanner.parseBytes("--fit", "12g"));
        assertEquals(512L << 20, MemoryPlanner.parseBytes("--fit", "512MiB"));
        assertEquals(3L << 29, MemoryPlanner.parseBytes("--fit", "1.5GB"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MemoryPlanner.parseBytes("--fit", "eight"));
        assertTrue(e.getMessage().startsWith("--fit: 'eight' (expected: a size"), e.getMessage());
    }

    @Test
    void optionsOf_experiment_profilesTheTrainingStepItConfigures() {
        Experiment e = Experiment.defaults().with("model.name=convnext_tiny", "model.num_classes=5",
                "model.channels_last=true", "data.img_size=96", "train.amp=auto", "train.optimizer=sgd", "train.ema=true",
                "experiment.deterministic=false");
        MemoryProfiler.Options o = MemoryProfiler.Options.of(e, "resnet18", Device.CPU, 4);
        assertEquals(new MemoryProfiler.Options("resnet18", 96, 4, StepEngine.Amp.OFF, true, MemoryProfiler.Mode.TRAIN,
                Device.CPU, 5, true, "sgd", 1, 2, false), o);
        assertEquals(StepEngine.Amp.BF16, MemoryProfiler.Options.of(e, "resnet18", Device.cuda(0), 4).amp(),
                "train.amp auto is bf16 on CUDA, as in training");
        assertThrows(IllegalArgumentException.class, () -> MemoryPlanner.forTraining(8, 8));
    }

    /**
     * Fitted at batch 4 and 8 (memprof --fit's default probes), the prediction for resnet18 (224 px,
     * fp32, AdamW + EMA) on the CPU is within 15% of the peak measured at batch 12, 16 and 20.
     */
    @Test
    void predict_resnet18CpuFromBatch4And8_withinFifteenPercentOfMeasuredPeakAt12To20() {
        TorchSettings.setThreads(2);
        MemoryProfiler.Options base = MemoryProfiler.Options.train("resnet18", 224, 4, Device.CPU);
        MemoryPlanner.Fit f = MemoryPlanner.measure(base, 4, 8);
        StringBuilder report = new StringBuilder();
        for (int b : List.of(12, 16, 20)) {
            MemoryProfile measured = MemoryProfiler.profile(base.withBatch(b));
            double ratio = (double) f.peak(b) / measured.peak();
            report.append(String.format("batch %d: predicted %.1f MiB, measured %.1f MiB (ratio %.3f)%n", b,
                    f.peak(b) / (double) MIB, measured.peak() / (double) MIB, ratio));
            assertTrue(Math.abs(ratio - 1) <= 0.15, report.toString());
        }
        System.out.print(report);
    }
}
