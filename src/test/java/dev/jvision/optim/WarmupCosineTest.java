package dev.jvision.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WarmupCosineTest {
    private static final double LR = 1e-3;
    private static final double MIN_LR = 1e-5;
    private final WarmupCosine s = new WarmupCosine(LR, MIN_LR, 4, 20);

    @Test
    void at_stepZeroIsLrOverWarmup() {
        assertEquals(LR / 4, s.at(0), 1e-15);
    }

    @Test
    void at_endOfWarmupIsLr() {
        assertEquals(LR, s.at(3), 1e-15);
        assertEquals(LR, s.at(4), 1e-15);
    }

    @Test
    void at_warmupIsLinear() {
        for (int k = 0; k < 4; k++) {
            assertEquals(LR * (k + 1) / 4, s.at(k), 1e-15);
        }
    }

    @Test
    void at_lastStepIsMinLr() {
        // the cosine reaches minLr at totalSteps and stays there
        assertEquals(MIN_LR, s.at(20), 1e-15);
        assertEquals(MIN_LR, s.at(1000), 1e-15);
        assertTrue(s.at(19) < MIN_LR + 0.02 * (LR - MIN_LR), "step 19: " + s.at(19));
    }

    @Test
    void at_decaysMonotonicallyAfterWarmup() {
        for (long k = 4; k < 25; k++) {
            assertTrue(s.at(k + 1) <= s.at(k), "step " + k + ": " + s.at(k) + " -> " + s.at(k + 1));
            assertTrue(s.at(k) >= MIN_LR - 1e-15, "step " + k + ": " + s.at(k));
        }
    }

    @Test
    void at_zeroWarmupStartsAtLr() {
        WarmupCosine noWarmup = new WarmupCosine(LR, MIN_LR, 0, 10);
        assertEquals(LR, noWarmup.at(0), 1e-15);
        assertEquals(MIN_LR, noWarmup.at(10), 1e-15);
    }

    @Test
    void at_singleStepScheduleIsFinite() {
        WarmupCosine one = new WarmupCosine(LR, MIN_LR, 1, 1);
        assertEquals(LR, one.at(0), 1e-15);
        assertTrue(Double.isFinite(one.at(1)));
    }

    @Test
    void clockedStep_followsTheLaterOfStepAndClock_andEndsAtMinLrWhenTheBudgetDoes() {
        assertEquals(3, LrSchedule.clockedStep(3, 20, 0.0), "clock behind: the step");
        assertEquals(10, LrSchedule.clockedStep(3, 20, 0.5), "clock ahead: half the schedule");
        assertEquals(12, LrSchedule.clockedStep(12, 20, 0.5));
        assertEquals(20, LrSchedule.clockedStep(3, 20, 1.0));
        assertEquals(20, LrSchedule.clockedStep(3, 20, 7.5), "past the budget: capped at the end");
        assertEquals(MIN_LR, s.at(LrSchedule.clockedStep(5, 20, 1.0)), 1e-15, "budget spent: the cosine's end");
        assertEquals(LR / 4 * 2, s.at(LrSchedule.clockedStep(0, 20, 0.05)), 1e-15,
                "warm-up is a fraction of the schedule: 5% of the budget is step 1 of 4");
        var e = assertThrows(IllegalArgumentException.class, () -> LrSchedule.clockedStep(0, 20, Double.NaN));
        assertTrue(e.getMessage().startsWith("timeFraction: NaN"), e.getMessage());
    }

    @Test
    void new_rejectsInvalidArguments() {
        var e = assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(LR, MIN_LR, 0, 0));
        assertTrue(e.getMessage().contains("totalSteps: 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WarmupCosine(LR, MIN_LR, -1, 10));
        assertTrue(e.getMessage().contains("warmupSteps: -1"), e.getMessage());
    }
}
