package dev.jvision.optim;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class OneCycleTest {
    @Test
    void triangle_knownValues() {
        OneCycle s = new OneCycle(1.0, 0.2, 0.25, 0.0, 100);
        assertEquals(0.2, s.at(0), 1e-12);
        assertEquals(0.2 + 0.8 * 12 / 25.0, s.at(12), 1e-12, "on the way up");
        assertEquals(1.0, s.at(25), 1e-12, "peak");
        assertEquals(1.0 - (62 - 25) / 75.0, s.at(62), 1e-12);
        assertEquals(0.0, s.at(100), 1e-12, "end");
        assertEquals(0.0, s.at(150), 1e-12, "held after the end");
    }

    @Test
    void endsAtEndLr_andFollowsTheClock() {
        OneCycle s = new OneCycle(0.4, 0.0, 0.5, 0.04, 10);
        assertEquals(0.0, s.at(0), 1e-12);
        assertEquals(0.4, s.at(5), 1e-12);
        assertEquals(0.04, s.at(10), 1e-12);
        // with train.max_time half spent at step 1, the schedule is read at its middle: the peak
        assertEquals(0.4, s.at(LrSchedule.clockedStep(1, 10, 0.5)), 1e-12);
    }

    @Test
    void badArguments_nameTheKey() {
        var e = assertThrows(IllegalArgumentException.class, () -> new OneCycle(1, 1.5, 0.2, 0, 10));
        assertTrue(e.getMessage().startsWith("start_factor"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new OneCycle(1, 0.2, 1.0, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new OneCycle(1, 0.2, 0.2, 2, 10));
        assertThrows(IllegalArgumentException.class, () -> new OneCycle(1, 0.2, 0.2, 0, 0));
    }
}
