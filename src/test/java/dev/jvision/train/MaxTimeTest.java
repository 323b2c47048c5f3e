package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.optim.LrSchedule;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code train.max_time} on a fake clock that advances one second whenever a training step
 * starts (its forward and backward "take" a second; validation takes none): 32 images in batches
 * of 8 are 4 steps per epoch, 12 for 3 epochs, and a 6 s budget ends after step 6.
 */
class MaxTimeTest extends NativeTestFixture {
    private static final long SECOND = 1_000_000_000L;

    /** The clock, advanced by training steps; optionally fails the step after {@code crashAfter} steps. */
    static final class StepClock implements Callback {
        long now;
        int started;
        final int crashAfter;
        final List<Step> steps = new ArrayList<>();

        StepClock(long start, int crashAfter) {
            this.now = start;
            this.crashAfter = crashAfter;
        }

        long nanos() {
            return now;
        }

        @Override
        public void onStepStart(FitContext fit) {
            if (started == crashAfter) {
                throw new IllegalStateException("simulated crash before step " + started);
            }
            started++;
            now += SECOND;
        }

        @Override
        public void onStepEnd(FitContext fit, Step step) {
            steps.add(step);
        }
    }

    private final Dataset train = TrainerTest.shapes(32, 1);
    private final Dataset val = TrainerTest.shapes(16, 2);

    MaxTimeTest() throws IOException {}

    private static Experiment exp(String... more) {
        List<String> sets = new ArrayList<>(List.of("train.max_time=6s", "train.checkpoint_every_steps=1",
                "train.min_lr=0.0001"));
        sets.addAll(List.of(more));
        return TrainerTest.exp(sets.toArray(new String[0]));
    }

    private FitResult fit(Trainer trainer) throws IOException {
        TorchSettings.seed(3);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            return trainer.fit(model, train, val);
        }
    }

    @Test
    void maxTime_stopsAtTheBudget_validatesThePartialEpoch_andTheCosineEndsWithIt() throws IOException {
        Experiment exp = exp();
        StepClock clock = new StepClock(777 * SECOND, -1);
        TrainerTest.Recorder rec = new TrainerTest.Recorder();
        Path dir = tmp.resolve("ckpt");
        FitResult r = fit(Trainer.builder(exp).clock(clock::nanos).callback(clock).callback(rec).checkpoints(dir)
                .build());

        // (a) 6 steps of 1 s: epoch 1 whole, then 2 of epoch 2's 4 batches, validated as epoch 2
        List<String> expected = new ArrayList<>(List.of("fit tiny_cnn 32/16 x4", "epoch 1"));
        for (int b = 0; b < 4; b++) {
            expected.addAll(List.of("step " + b, "/step " + (b + 1)));
        }
        expected.addAll(List.of("val 1", "/epoch 1", "epoch 2", "step 0", "/step 1", "step 1", "/step 2", "val 2",
                "/epoch 2", "/fit"));
        assertEquals(expected, rec.events);
        assertEquals(2, rec.epochs.size());
        assertFalse(rec.epochs.get(1).stopping(), "not an early stop");
        assertTrue(r.best().epoch() >= 1 && r.best().epoch() <= 2, r.best().toString());
        assertEquals(16, r.bestLogits().length);

        // (b) the schedule follows the clock: step k runs at (k+1) s of 6, i.e. at step 2(k+1) of 12,
        // and the last step, at 6 s, uses the cosine's end value
        LrSchedule schedule = Trainer.buildSchedule(exp.train(), 4);
        List<Double> lrs = clock.steps.stream().map(Callback.Step::lr).toList();
        List<Double> want = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            want.add(schedule.at(2L * (k + 1)));
        }
        assertEquals(want, lrs);
        assertEquals(1e-4, lrs.get(5), 1e-15, "min_lr when the budget ends");
        assertTrue(lrs.get(0) < schedule.at(0), "ahead of the step count");

        // the spent time is in the resumable state
        assertTrue(Files.readString(dir.resolve("last.json")).contains("\"trainNanos\" : 6000000000"),
                Files.readString(dir.resolve("last.json")));
    }

    @Test
    void resume_continuesTheRemainingBudget_toTheUninterruptedResult() throws IOException {
        Experiment exp = exp();
        StepClock whole = new StepClock(0, -1);
        FitResult uninterrupted = fit(Trainer.builder(exp).clock(whole::nanos).callback(whole)
                .checkpoints(tmp.resolve("whole")).build());

        Path dir = tmp.resolve("resumed");
        StepClock first = new StepClock(0, 3);
        assertThrows(IllegalStateException.class,
                () -> fit(Trainer.builder(exp).clock(first::nanos).callback(first).checkpoints(dir).build()));
        assertTrue(Files.readString(dir.resolve("last.json")).contains("\"trainNanos\" : 3000000000"));

        // a new process: its clock reads anything; 3 s of the 6 s are left, so 3 more steps
        StepClock second = new StepClock(-5_000 * SECOND, -1);
        TrainerTest.Recorder rec = new TrainerTest.Recorder();
        FitResult resumed = fit(Trainer.builder(exp).clock(second::nanos).callback(second).callback(rec)
                .checkpoints(dir).resume(true).build());
        assertEquals(List.of("fit tiny_cnn 32/16 x4", "epoch 1", "step 3", "/step 4", "val 1", "/epoch 1", "epoch 2",
                "step 0", "/step 1", "step 1", "/step 2", "val 2", "/epoch 2", "/fit"), rec.events);
        assertEquals(whole.steps.subList(3, 6).stream().map(Callback.Step::lr).toList(),
                second.steps.stream().map(Callback.Step::lr).toList());
        assertEquals(uninterrupted.best(), resumed.best());
        for (int i = 0; i < uninterrupted.bestLogits().length; i++) {
            assertArrayEquals(uninterrupted.bestLogits()[i], resumed.bestLogits()[i]);
        }

        // resuming a fit whose budget is spent trains nothing more
        StepClock third = new StepClock(0, 0);
        FitResult again = fit(Trainer.builder(exp).clock(third::nanos).callback(third).checkpoints(dir).resume(true)
                .build());
        assertEquals(0, third.started);
        assertEquals(resumed.best(), again.best());
    }

    @Test
    void withoutMaxTime_theClockIsNeverRead_andTheStateHasNoTrainTime() throws IOException {
        Experiment exp = TrainerTest.exp("train.epochs=1");
        Path dir = tmp.resolve("plain");
        fit(Trainer.builder(exp).clock(() -> {
            throw new AssertionError("clock read without train.max_time");
        }).checkpoints(dir).build());
        assertFalse(Files.readString(dir.resolve("last.json")).contains("trainNanos"));
    }
}
