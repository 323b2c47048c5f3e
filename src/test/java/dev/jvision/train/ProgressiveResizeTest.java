package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Experiment;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Trainer trainer = Trainer.builder(exp()).device(Device.CPU).checkpoints(dir).listener(rec).build();
        TorchSettings.seed(1);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            trainer.fit(model, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of(16, 24, 32), rec.epochs.stream().map(TrainListener.Epoch::imgSize).toList(),
                "the side of each epoch's training batches");
        String best = Files.readString(dir.resolve("best.json"));
        assertTrue(best.replace(" ", "").contains("\"imgSize\":32"), "checkpoints record the final size: " + best);
    }

    @Test
    void resume_picksTheSizeOfTheEpochItResumesAt() throws IOException {
        Path dir = tmp.resolve("resume");
        TrainListener killer = new TrainListener() {
            @Override
            public void onEpochStart(Fit fit, int epoch, int firstBatch) {
                if (epoch == 2) {
                    throw new IllegalStateException("killed before epoch 2");
                }
            }
        };
        Trainer first = Trainer.builder(exp()).device(Device.CPU).checkpoints(dir).listener(killer).build();
        TorchSettings.seed(3);
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            assertThrows(IllegalStateException.class,
                    () -> first.fit(model, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2)));
        }
        TrainerTest.Recorder rec = new TrainerTest.Recorder();
        Trainer again = Trainer.builder(exp()).device(Device.CPU).checkpoints(dir).resume(true).listener(rec).build();
        try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
            again.fit(model, TrainerTest.shapes(16, 1), TrainerTest.shapes(8, 2));
        }
        assertEquals(List.of("epoch 2"), rec.events.stream().filter(e -> e.startsWith("epoch ")).toList());
        assertEquals(List.of(32), rec.epochs.stream().map(TrainListener.Epoch::imgSize).toList());
    }
}
