package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.SizeSchedule;
import dev.jvision.optim.WarmupCosine;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batch size and steps per epoch under a progressive-resize schedule, and the schedule-step mapping. */
class EpochPlanTest {
    private static SizeSchedule sched(int[]... entries) {
        return SizeSchedule.of(List.of(entries)).check("img_size");
    }

    @Test
    void fixedSize_everyEpochTheSame_scheduleStepIsTheIdentity() {
        EpochPlan p = EpochPlan.of(SizeSchedule.fixed(224), true, 32, 5, 1, 1000, 1);
        assertTrue(p.uniform());
        for (int e = 0; e < 5; e++) {
            assertEquals(224, p.imgSize(e));
            assertEquals(32, p.batchSize(e));
            assertEquals(31, p.batches(e), "1000 / 32, the short batch dropped");
        }
        assertEquals(31, p.referenceStepsPerEpoch());
        assertEquals(155, p.totalSteps());
        for (long s = 0; s < 200; s++) assertEquals(s, p.scheduleStep(s));
    }

    @Test
    void follow_batchScalesWithTheArea_namedBatchWins_cappedAtTheData() {
        EpochPlan p = EpochPlan.of(sched(new int[] {0, 112}, new int[] {2, 160}, new int[] {4, 224}), true, 32, 6, 1,
                10_000, 1);
        assertEquals(List.of(128, 128, 62, 62, 32, 32), List.of(p.batchSize(0), p.batchSize(1), p.batchSize(2),
                p.batchSize(3), p.batchSize(4), p.batchSize(5)), "32 x (224/112)^2 = 128; 32 x (224/160)^2 = 62.72");
        assertEquals(10_000 / 128, p.batches(0));
        assertEquals(10_000 / 62, p.batches(2));
        assertEquals(10_000 / 32, p.batches(5));
        assertEquals(2L * (78 + 161 + 312), p.totalSteps());
        assertEquals(312, p.referenceStepsPerEpoch());

        EpochPlan off = EpochPlan.of(sched(new int[] {0, 112}, new int[] {4, 224}), false, 32, 6, 1, 10_000, 1);
        assertEquals(32, off.batchSize(0), "batch_follows_size false: train.batch_size everywhere");
        assertTrue(off.uniform());

        EpochPlan named = EpochPlan.of(sched(new int[] {0, 112, 100}, new int[] {4, 224}), true, 32, 6, 1, 10_000, 1);
        assertEquals(100, named.batchSize(0));
        assertEquals(32, named.batchSize(4));

        EpochPlan small = EpochPlan.of(sched(new int[] {0, 16}, new int[] {1, 64}), true, 8, 2, 1, 50, 2);
        assertEquals(25, small.batchSize(0), "8 x 16 = 128, capped at a rank's 25 images");
        assertEquals(1, small.batches(0));
        assertEquals(3, small.batches(1), "25 / 8");
        assertTrue(small.dropLast(50, 2, 1));
        assertTrue(!small.dropLast(50, 2, 0), "a single batch of the whole share is kept");
    }

    @Test
    void accumulation_stepsRoundUpPerEpoch() {
        EpochPlan p = EpochPlan.of(sched(new int[] {0, 32}, new int[] {1, 64}), true, 4, 2, 3, 100, 1);
        assertEquals(16, p.batchSize(0));
        assertEquals(6, p.batches(0));
        assertEquals(2, p.steps(0));
        assertEquals(25, p.batches(1));
        assertEquals(9, p.steps(1));
        assertEquals(2, p.stepOffset(1));
        assertEquals(11, p.totalSteps());
    }

    @Test
    void scheduleStep_mapsProgress_epochBoundariesExact_monotone_cosineEndsAtMinLr() {
        EpochPlan p = EpochPlan.of(sched(new int[] {0, 112}, new int[] {2, 160}, new int[] {4, 224}), true, 32, 6, 1,
                10_000, 1);
        long ref = p.referenceStepsPerEpoch();
        for (int e = 0; e <= 6; e++) {
            assertEquals(e * ref, p.scheduleStep(p.stepOffset(e)), "epoch " + e + " starts at its reference step");
        }
        long prev = -1;
        for (long s = 0; s < p.totalSteps(); s++) {
            long v = p.scheduleStep(s);
            assertTrue(v >= prev && v < 6 * ref, "step " + s + " -> " + v);
            prev = v;
        }
        // the schedule a fit builds: cosine over epochs x reference steps, warm-up of one epoch
        WarmupCosine cos = new WarmupCosine(0.1, 1e-5, ref, 6 * ref);
        assertEquals(1e-5, cos.at(p.scheduleStep(p.totalSteps())), 1e-12);
        double warmEnd = cos.at(p.scheduleStep(p.stepOffset(1)));
        assertEquals(0.1, warmEnd, 1e-3, "the warm-up ends after the first epoch, whatever its steps");
        assertEquals("epochs 1-2: 112 px, batch 128, 78 steps; epochs 3-4: 160 px, batch 62, 161 steps; "
                + "epochs 5-6: 224 px, batch 32, 312 steps", p.describe());
    }
}
