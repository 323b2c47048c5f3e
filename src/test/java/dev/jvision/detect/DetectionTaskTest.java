package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.DetectConfig;
import dev.jvision.config.Experiment;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.data.detection.DetectionDataset;
import dev.jvision.data.detection.DetectionSource;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import dev.jvision.train.FitResult;
import dev.jvision.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Detection as the trainer's second task, end to end on tiny demo photos (64 px, 2 classes):
 * a fit through {@link Trainer} logs mAP every epoch and checkpoints; a fit crashed mid-epoch and
 * resumed ends bit-identical to an uninterrupted one; box augmentation keeps boxes on the pixels.
 */
class DetectionTaskTest {
    @TempDir
    static Path data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void natives() throws IOException {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
        DetectionDemoData.generate(data, 8, 4, 2, 2, 64, 5, 1);
    }

    private static Experiment exp() {
        return Experiment.defaults().with("task=detection", "experiment.seed=3", "experiment.deterministic=true",
                "data.img_size=64", "data.prefetch=1", "model.name=det_tiny", "model.num_classes=2",
                "train.epochs=3", "train.batch_size=4", "train.lr=2.0e-3", "train.warmup_epochs=0.5",
                "train.ema=true", "train.ema_decay=0.9", "train.checkpoint_every_steps=1", "train.tensorboard=false",
                "detect.close_mosaic=1", "detect.val_max_det=20");
    }

    private static DetectionImages split(String name) throws IOException {
        return new DetectionImages(DetectionDataset.load(DetectionSource.coco(data, name), false), 64);
    }

    /** Records each epoch's metrics; throws at a chosen step (a crash between two checkpoints). */
    static final class Recorder implements Callback {
        final List<Map<String, Double>> epochs = new ArrayList<>();
        final long crashAt;

        Recorder(long crashAt) {
            this.crashAt = crashAt;
        }

        @Override
        public void onStepEnd(FitContext fit, Step step) {
            if (fit.step() == crashAt) {
                throw new IllegalStateException("simulated crash at step " + crashAt);
            }
        }

        @Override
        public void onEpochEnd(FitContext fit, Epoch e) {
            epochs.add(e.validation().metrics());
        }
    }

    private FitResult fit(Experiment exp, Path dir, boolean resume, Recorder rec) throws IOException {
        Trainer t = Trainer.builder(exp).device(Device.CPU).task(new DetectionTask(exp.detect())).checkpoints(dir)
                .resume(resume).callback(rec).build();
        return t.fit(DetectionTraining.factory(exp, Device.CPU), split("train"), split("val"));
    }

    @Test
    void fit_detection_logsMapEveryEpoch_andResumesAfterACrashBitIdentical() throws IOException {
        Experiment exp = exp();
        Recorder whole = new Recorder(-1);
        FitResult a = fit(exp, tmp.resolve("a"), false, whole);
        assertEquals(3, whole.epochs.size());
        for (Map<String, Double> m : whole.epochs) {
            assertEquals(List.of("val_map50", "val_map50_95", "val_map75"), List.copyOf(m.keySet()));
            for (double v : m.values()) {
                assertTrue(v >= 0 && v <= 1, "mAP in [0, 1]: " + m);
            }
        }
        assertTrue(a.best().epoch() >= 1);
        assertNotNull(a.bestCheckpoint());
        assertTrue(Files.isRegularFile(a.bestCheckpoint()));
        assertEquals(4, a.bestLogits().length, "best rows: one per validation image");
        assertEquals(1 + 6 * 20, a.bestLogits()[0].length);

        // crash in the middle of epoch 2 (step 3 of 6), then resume from last.safetensors
        Path dir = tmp.resolve("b");
        Recorder crashed = new Recorder(3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> fit(exp, dir, false, crashed));
        assertTrue(e.getMessage().contains("simulated crash"), e.getMessage());
        Recorder resumed = new Recorder(-1);
        FitResult b = fit(exp, dir, true, resumed);
        assertEquals(whole.epochs.subList(whole.epochs.size() - resumed.epochs.size(), whole.epochs.size()),
                resumed.epochs, "metrics of the resumed epochs");
        assertEquals(a.best().epoch(), b.best().epoch());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve("last.safetensors")),
                Files.readAllBytes(dir.resolve("last.safetensors")), "final weights and state, bit for bit");
        for (int i = 0; i < a.bestLogits().length; i++) {
            assertArrayEquals(a.bestLogits()[i], b.bestLogits()[i], "best-epoch detections of image " + i);
        }
    }

    @Test
    void check_refusesAClassCountThatIsNotTheData() throws IOException {
        Experiment exp = exp().with("model.num_classes=3");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fit(exp, tmp.resolve("c"), false, new Recorder(-1)));
        assertTrue(e.getMessage().startsWith("model.num_classes: 3 (expected: 2"), e.getMessage());
    }

    @Test
    void place_shiftsScalesClipsAndDropsBoxesMostlyOutside() {
        float[] box = {1, 10, 20, 30, 40};
        assertArrayEquals(new float[] {1, 5, 10, 15, 20}, BoxAugment.place(box, 0, 0, 0.5, 64, 2), 1e-6f);
        // shifted left by 25: x from -15 to 5 → clipped to [0, 5], a quarter of the box stays: kept
        assertArrayEquals(new float[] {1, 0, 20, 5, 40}, BoxAugment.place(box, -25, 0, 1, 64, 2), 1e-6f);
        // shifted left by 28: 2 of 20 px remain (10%): dropped
        assertEquals(null, BoxAugment.place(box, -28, 0, 1, 64, 2));
        // too small after scaling
        assertEquals(null, BoxAugment.place(new float[] {0, 0, 0, 3, 3}, 0, 0, 0.5, 64, 2));
    }

    @Test
    void letterbox_mapsBoxesBothWays() {
        Letterbox lb = Letterbox.of(200, 100, 64);
        assertEquals(0.32, lb.scale(), 1e-12);
        assertEquals(0, lb.padX());
        assertEquals(16, lb.padY());
        assertEquals(16f, lb.toSquareY(0), 1e-6f);
        assertEquals(50f, lb.toImageY(lb.toSquareY(50)), 1e-4f);
        assertEquals(200f, lb.toImageX(64), 1e-4f);
        assertFalse(lb.toImageX(-3) < 0);
    }

    @Test
    void rows_haveAFixedLength() {
        assertEquals(1 + 6 * 100, new DetectionTask(DetectConfig.defaults()).rowLength());
    }
}
