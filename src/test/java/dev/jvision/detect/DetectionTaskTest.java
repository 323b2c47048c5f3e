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
    void train_collatesPackedRows_andWithoutAugmentationTheyAreTheGroundTruth() throws IOException {
        Experiment exp = exp().with("detect.fliplr=0", "detect.scale=0", "detect.translate=0", "detect.hsv_h=0",
                "detect.hsv_s=0", "detect.hsv_v=0", "detect.min_box_size=0", "detect.min_area_ratio=0");
        DetectionImages train = split("train");
        int[] idx = {5, 2, 7};
        byte[] px = new byte[idx.length * 64 * 64 * 3];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(train.get(idx[i]).decoded().pixels(), 0, px, i * 64 * 64 * 3, 64 * 64 * 3);
        }
        dev.jvision.data.Batch batch = new dev.jvision.data.Batch(px, new int[3], List.of("a", "b", "c"), 64, 64, 64, idx);
        DetectionTask task = new DetectionTask(exp.detect());
        try (DetectionModel model = DetectionModel.create("det_tiny", 2, 16);
             var session = task.open(model, Device.CPU);
             var scope = dev.jvision.runtime.Memory.step()) {
            var images = dev.jvision.runtime.Tensors.fromBytes(px, 3, 64, 64, 3);
            // epoch 2 of 3 with close_mosaic 1: no mosaic
            var plain = session.train(images, batch, train, 2, 3, 42L);
            List<Float> expected = new ArrayList<>();
            for (int i = 0; i < idx.length; i++) {
                for (float[] g : train.boxes(idx[i])) {
                    expected.add((float) i);
                    for (float v : g) expected.add(v);
                }
            }
            float[] got = dev.jvision.runtime.Tensors.toFloats(plain.targets());
            assertEquals(expected.size(), got.length, "rows [image, class, x1, y1, x2, y2]");
            for (int j = 0; j < got.length; j++) {
                assertEquals(expected.get(j), got[j], 1e-3f, "element " + j);
            }
            assertArrayEquals(new long[] {3, 3, 64, 64}, dev.jvision.runtime.Tensors.shape(plain.input()));
            // epoch 0: mosaic; rows still name images of the batch and lie inside the square
            float[] mosaic = dev.jvision.runtime.Tensors.toFloats(session.train(images, batch, train, 0, 3, 42L).targets());
            assertTrue(mosaic.length > 0);
            for (int j = 0; j < mosaic.length; j += 6) {
                assertTrue(mosaic[j] >= 0 && mosaic[j] < 3 && (mosaic[j + 1] == 0 || mosaic[j + 1] == 1));
                assertTrue(mosaic[j + 2] >= 0 && mosaic[j + 2] <= mosaic[j + 4] && mosaic[j + 4] <= 64, "x in the square");
            }
        }
    }

    @Test
    void rows_haveAFixedLength() {
        assertEquals(1 + 6 * 100, new DetectionTask(DetectConfig.defaults()).rowLength());
    }
}
