package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelSpec;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The Trainer as a library: a user's own model trained on images produced in Java (no CSV, no
 * files), listeners, checkpoints and bad input.
 */
class TrainerTest extends NativeTestFixture {
    /** A user's own model: conv, ReLU, global pooling, linear head. */
    static final class TinyCnn extends ImageModel {
        final Conv2d conv = registerChild("conv", new Conv2d(3, 8, 3, 2, 1, true));
        final Linear fc = registerChild("fc", new Linear(8, 2));

        TinyCnn() {
            super(ModelSpec.custom("tiny_cnn"));
        }

        @Override
        public int numClasses() {
            return 2;
        }

        @Override
        public Tensor forwardFeatures(Tensor x) {
            return Ops.relu(conv.forward(x));
        }

        @Override
        public Tensor forwardHead(Tensor features) {
            return fc.forward(Ops.globalAvgPool(features));
        }

        @Override
        public void resetClassifier(int numClasses) {
            throw new UnsupportedOperationException("fixed head");
        }

        @Override
        public String classifierName() {
            return "fc";
        }
    }

    /** Class 0: a bright square in the middle; class 1: a bright bar across; on dark noise. */
    static byte[] shape(Random r, int label, int size) {
        byte[] px = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean on = label == 0 ? Math.abs(x - size / 2) < size / 4 && Math.abs(y - size / 2) < size / 4
                        : Math.abs(y - size / 2) < size / 8;
                int v = on ? 190 + r.nextInt(60) : r.nextInt(50);
                for (int c = 0; c < 3; c++) {
                    px[(y * size + x) * 3 + c] = (byte) v;
                }
            }
        }
        return px;
    }

    static byte[] png(byte[] rgb, int size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(awt(rgb, size), "png", out);
        return out.toByteArray();
    }

    static BufferedImage awt(byte[] rgb, int size) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < size * size; i++) {
            img.setRGB(i % size, i / size, (rgb[3 * i] & 0xff) << 16 | (rgb[3 * i + 1] & 0xff) << 8 | (rgb[3 * i + 2] & 0xff));
        }
        return img;
    }

    /**
     * {@code n} items in the three forms: decoded pixels at 20 px, PNG bytes at 24 px and AWT images
     * at 12 px (all brought to 16 px by the loader).
     */
    static Dataset shapes(int n, long seed) throws IOException {
        Random r = new Random(seed);
        List<Dataset.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            items.add(switch (i % 3) {
                case 0 -> Dataset.Item.rgb(shape(r, label, 20), 20, 20, label);
                case 1 -> Dataset.Item.encoded(png(shape(r, label, 24), 24), label);
                default -> Dataset.Item.image(awt(shape(r, label, 12), 12), label);
            });
        }
        return Dataset.of(items);
    }

    static Experiment exp(String... more) {
        List<String> sets = new ArrayList<>(List.of("data.img_size=16", "train.epochs=3", "train.batch_size=8",
                "train.lr=0.01", "train.warmup_epochs=0", "augment.policy=none", "infer.batch_size=16"));
        sets.addAll(List.of(more));
        return Experiment.defaults().with(sets.toArray(new String[0]));
    }

    /** Records event names and epoch summaries. */
    static final class Recorder implements Callback {
        final List<String> events = new ArrayList<>();
        final List<Epoch> epochs = new ArrayList<>();
        final List<Checkpoint> checkpoints = new ArrayList<>();

        @Override
        public void onFitStart(FitContext fit) {
            events.add("fit " + fit.modelName() + " " + fit.trainSize() + "/" + fit.valSize() + " x" + fit.batchesAt(fit.startEpoch()));
        }

        @Override
        public void onEpochStart(FitContext fit) {
            events.add("epoch " + fit.epoch());
        }

        @Override
        public void onStepStart(FitContext fit) {
            events.add("step " + fit.batch());
        }

        @Override
        public void onStepEnd(FitContext fit, Step step) {
            events.add("/step " + step.batch());
        }

        @Override
        public void onValidation(FitContext fit, Validation v) {
            events.add("val " + v.epoch());
        }

        @Override
        public void onEpochEnd(FitContext fit, Epoch e) {
            events.add("/epoch " + e.epoch());
            epochs.add(e);
        }

        @Override
        public void onCheckpoint(FitContext fit, Checkpoint c) {
            checkpoints.add(c);
        }

        @Override
        public void onFitEnd(FitContext fit, FitResult r) {
            events.add("/fit");
        }
    }

    @Test
    void fit_ownModelOnImagesMadeInJava_learnsAndCallsListenersInOrder() throws IOException {
        Recorder rec = new Recorder();
        Trainer trainer = Trainer.builder(exp()).device(Device.CPU).callback(rec).build();
        FitResult r;
        TorchSettings.seed(1);
        try (TinyCnn model = new TinyCnn()) {
            r = trainer.fit(model, shapes(32, 1), shapes(16, 2));
        }
        List<String> expected = new ArrayList<>(List.of("fit tiny_cnn 32/16 x4"));
        for (int e = 0; e < 3; e++) {
            expected.add("epoch " + (e + 1));
            for (int b = 0; b < 4; b++) {
                expected.add("step " + b);
                expected.add("/step " + (b + 1));
            }
            expected.add("val " + (e + 1));
            expected.add("/epoch " + (e + 1));
        }
        expected.add("/fit");
        assertEquals(expected, rec.events);
        assertTrue(rec.checkpoints.isEmpty(), "no checkpoint folder: no files");
        assertNull(r.bestCheckpoint());
        assertEquals("tiny_cnn", r.model());
        assertEquals(16, r.bestLogits().length);
        assertTrue(rec.epochs.get(2).trainLoss() < rec.epochs.get(0).trainLoss(), rec.epochs.toString());
        assertTrue(r.best().metric("val_acc") > 0.5, "better than chance on an easy task: " + r.best());
    }

    @Test
    void fit_sameSeedTwice_sameLogits() throws IOException {
        Dataset train = shapes(16, 3);
        Dataset val = shapes(8, 4);
        float[][][] logits = new float[2][][];
        for (int i = 0; i < 2; i++) {
            Trainer trainer = Trainer.builder(exp("train.epochs=1")).seed(5).build();
            TorchSettings.seed(9);
            try (TinyCnn model = new TinyCnn()) {
                logits[i] = trainer.fit(model, train, val).bestLogits();
            }
        }
        for (int k = 0; k < logits[0].length; k++) {
            assertArrayEquals(logits[0][k], logits[1][k]);
        }
    }

    @Test
    void fit_withCheckpointFolder_writesBestTopKAndLast() throws IOException {
        Recorder rec = new Recorder();
        Path dir = tmp.resolve("ckpt");
        Trainer trainer = Trainer.builder(exp("train.save_top_k=1")).checkpoints(dir).callback(rec).fold(2)
                .classNames(List.of("square", "bar")).build();
        TorchSettings.seed(2);
        FitResult r;
        try (TinyCnn model = new TinyCnn()) {
            r = trainer.fit(model, shapes(16, 5), shapes(8, 6));
        }
        assertEquals(dir.resolve("best.safetensors"), r.bestCheckpoint());
        assertTrue(Files.isRegularFile(dir.resolve("best.json")));
        assertTrue(Files.readString(dir.resolve("best.json")).contains("\"square\""));
        assertTrue(Files.isRegularFile(dir.resolve("last.safetensors")));
        assertEquals(3, rec.checkpoints.stream().filter(c -> c.kind() == Callback.Kind.LAST).count(),
                "one resumable state per epoch");
        try (var top = Files.list(dir.resolve("top"))) {
            assertEquals(2, top.count(), "save_top_k 1: one weights file and its sidecar");
        }
        assertTrue(rec.checkpoints.stream().anyMatch(c -> c.kind() == Callback.Kind.BEST
                && c.epoch() == r.best().epoch()));
        assertEquals(2, r.fold());
    }

    @Test
    void fit_labelOutsideTheModelsClasses_namesTheItem() throws IOException {
        Dataset bad = Dataset.of(List.of(Dataset.Item.rgb(new byte[16 * 16 * 3], 16, 16, 0),
                Dataset.Item.rgb(new byte[16 * 16 * 3], 16, 16, 5)));
        Trainer trainer = Trainer.builder(exp()).build();
        try (TinyCnn model = new TinyCnn()) {
            var e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(model, bad, shapes(4, 1)));
            assertEquals("training item 1: label 5 (expected: 0..1, the model's classes)", e.getMessage());
        }
    }

    @Test
    void item_needsExactlyOneImage_ofTheStatedSize() {
        var e = assertThrows(IllegalArgumentException.class, () -> Dataset.Item.rgb(new byte[10], 2, 2, 0));
        assertEquals("item pixels: 10 bytes (expected: 2 x 2 x 3, HWC RGB)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dataset.Item(null, null, 0));
    }
}
