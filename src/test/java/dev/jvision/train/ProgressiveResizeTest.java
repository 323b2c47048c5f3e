package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.optim.WarmupCosine;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Progressive resize: {@code data.img_size} as an epoch schedule trains each epoch's batches at
 * its size, validates and checkpoints at the final size, and a resumed fit picks the size of the
 * epoch it resumes at.
 */
class ProgressiveResizeTest extends NativeTestFixture {
    private static Experiment exp() {
        return TrainerTest.exp("data.img_size=[[0, 16], [1, 24], [2, 32]]");
    }

    @Test
    void schedule_batchesFollowTheEpochsSize_validationAtTheFinalSize() throws IOException {
        TrainerTest.Recorder rec = new TrainerTest.Recorder();
        Path dir = tmp.resolve("ckpt");
        Trainer trainer = Trainer.builder(exp()).device(Device.CPU).checkpoints(dir).callback(rec).build();
        TorchSettings.seed(1);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            trainer.fit(model, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of(16, 24, 32), rec.epochs.stream().map(Callback.Epoch::imgSize).toList(),
                "the side of each epoch's training batches");
        String best = Files.readString(dir.resolve("best.json"));
        assertTrue(best.replace(" ", "").contains("\"imgSize\":32"), "checkpoints record the final size: " + best);
    }

    @Test
    void resume_picksTheSizeOfTheEpochItResumesAt() throws IOException {
        Path dir = tmp.resolve("resume");
        Callback killer = new Callback() {
            @Override
            public void onEpochStart(FitContext fit) {
                if (fit.epoch() == 3) {
                    throw new IllegalStateException("killed before epoch 2");
                }
            }
        };
        Trainer first = Trainer.builder(exp()).device(Device.CPU).checkpoints(dir).callback(killer).build();
        TorchSettings.seed(3);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            assertThrows(IllegalStateException.class,
                    () -> first.fit(model, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2)));
        }
        TrainerTest.Recorder rec = new TrainerTest.Recorder();
        Trainer again = Trainer.builder(exp()).device(Device.CPU).checkpoints(dir).resume(true).callback(rec).build();
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            again.fit(model, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of("epoch 3"), rec.events.stream().filter(e -> e.startsWith("epoch ")).toList());
        assertEquals(List.of(32), rec.epochs.stream().map(Callback.Epoch::imgSize).toList());
    }

    /** Steps seen per epoch (and each step's learning rate), and the images of each step's batch. */
    private static final class StepLog implements Callback {
        final List<List<Double>> lrs = new ArrayList<>();
        final int crashAt;
        int started;

        StepLog(int crashAt) {
            this.crashAt = crashAt;
        }

        @Override
        public void onEpochStart(FitContext fit) {
            while (lrs.size() < fit.epoch()) lrs.add(new ArrayList<>());
        }

        @Override
        public void onStepStart(FitContext fit) {
            if (started++ == crashAt) throw new IllegalStateException("killed before step " + crashAt);
        }

        @Override
        public void onStepEnd(FitContext fit, Step step) {
            lrs.get(step.epoch() - 1).add(step.lr());
        }
    }

    private static Experiment follow(String... more) {
        List<String> sets = new ArrayList<>(List.of("data.img_size=[[0, 16], [2, 32]]", "train.batch_size=4",
                "train.epochs=4", "train.min_lr=0.0001", "train.checkpoint_every_steps=1"));
        sets.addAll(List.of(more));
        return TrainerTest.exp(sets.toArray(new String[0]));
    }

    /**
     * 48 images, batch 4 at the final 32 px: the 16 px stage trains batches of 16 (4 x (32/16)^2),
     * 3 per epoch, then 12 per epoch; the cosine runs on epoch progress, so the first step of the
     * final stage reads it at half of the fit whatever the stages' step counts.
     */
    @Test
    void batchFollowsSize_stagesTrainTheirBatches_scheduleFollowsEpochProgress() throws IOException {
        Experiment exp = follow();
        StepLog log = new StepLog(-1);
        TorchSettings.seed(5);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            Trainer.builder(exp).device(Device.CPU).callback(log).build().fit(model, TrainerTest.shapes(48, 1),
                    TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of(3, 3, 12, 12), log.lrs.stream().map(List::size).toList());
        WarmupCosine cos = new WarmupCosine(exp.train().optimizer().lr(), 1e-4, 0, 4 * 12);
        assertEquals(cos.at(0), log.lrs.get(0).get(0), 1e-12);
        assertEquals(cos.at(12), log.lrs.get(1).get(0), 1e-12, "epoch 2 starts at a quarter of the schedule");
        assertEquals(cos.at(4), log.lrs.get(0).get(1), 1e-12, "each 16 px step is 4 reference steps");
        assertEquals(cos.at(24), log.lrs.get(2).get(0), 1e-12, "the final stage starts at half of it");
        assertEquals(cos.at(47), log.lrs.get(3).get(11), 1e-12);

        StepLog fixed = new StepLog(-1);
        TorchSettings.seed(5);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            Trainer.builder(follow("data.batch_follows_size=false")).device(Device.CPU).callback(fixed).build()
                    .fit(model, TrainerTest.shapes(48, 1), TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of(12, 12, 12, 12), fixed.lrs.stream().map(List::size).toList());

        StepLog named = new StepLog(-1);
        TorchSettings.seed(5);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            Trainer.builder(follow("data.img_size=[[0, 16, 6], [2, 32]]")).device(Device.CPU).callback(named).build()
                    .fit(model, TrainerTest.shapes(48, 1), TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of(8, 8, 12, 12), named.lrs.stream().map(List::size).toList());
    }

    /** A kill inside the 16 px stage, resumed: the same steps, learning rates and result as without the kill. */
    @Test
    void batchFollowsSize_resumeInsideAStage_endsBitIdentical() throws IOException {
        Experiment exp = follow();
        Dataset train = TrainerTest.shapes(48, 1);
        Dataset val = TrainerTest.shapes(8, 2);
        StepLog whole = new StepLog(-1);
        FitResult uninterrupted;
        TorchSettings.seed(5);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            uninterrupted = Trainer.builder(exp).device(Device.CPU).callback(whole).checkpoints(tmp.resolve("whole"))
                    .build().fit(model, train, val);
        }
        Path dir = tmp.resolve("killed");
        StepLog first = new StepLog(4); // epoch 1's second step
        TorchSettings.seed(5);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            assertThrows(IllegalStateException.class, () -> Trainer.builder(exp).device(Device.CPU).callback(first)
                    .checkpoints(dir).build().fit(model, train, val));
        }
        StepLog second = new StepLog(-1);
        FitResult resumed;
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            resumed = Trainer.builder(exp).device(Device.CPU).callback(second).checkpoints(dir).resume(true).build()
                    .fit(model, train, val);
        }
        assertEquals(List.of(2, 12, 12), second.lrs.subList(1, 4).stream().map(List::size).toList());
        assertEquals(whole.lrs.get(1).subList(1, 3), second.lrs.get(1));
        assertEquals(whole.lrs.get(3), second.lrs.get(3));
        assertEquals(uninterrupted.best(), resumed.best());
        for (int i = 0; i < uninterrupted.bestLogits().length; i++) {
            assertArrayEquals(uninterrupted.bestLogits()[i], resumed.bestLogits()[i]);
        }
    }
}
