package dev.jvision.apitest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.config.Experiment;
import dev.jvision.data.Batch;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelSpec;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import dev.jvision.train.FitResult;
import dev.jvision.train.Trainer;
import dev.jvision.train.task.Losses;
import dev.jvision.train.task.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second task written only against jvision's public API: multi-label classification (each
 * image may show any of three colours; sigmoid outputs, BCE loss, mean average precision as the
 * monitor) on tiny synthetic images, trained through {@link Trainer} with a user
 * {@link Callback} that stops the fit early.
 */
class MultiLabelTaskTest {
    private static final int LABELS = 3;
    private static final int SIZE = 16;

    @TempDir
    Path tmp;

    @BeforeAll
    static void natives() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    /** Images with any subset of three labels: label k is a bright square in colour channel k. */
    static final class ColourSquares implements Dataset {
        final List<byte[]> pixels = new ArrayList<>();
        final List<float[]> targets = new ArrayList<>();

        ColourSquares(int n, long seed) {
            Random r = new Random(seed);
            for (int i = 0; i < n; i++) {
                float[] t = new float[LABELS];
                byte[] px = new byte[SIZE * SIZE * 3];
                for (int p = 0; p < px.length; p++) {
                    px[p] = (byte) r.nextInt(40);
                }
                for (int k = 0; k < LABELS; k++) {
                    if (r.nextBoolean()) {
                        t[k] = 1;
                        int x0 = r.nextInt(SIZE / 2);
                        int y0 = r.nextInt(SIZE / 2);
                        for (int y = y0; y < y0 + SIZE / 2; y++) {
                            for (int x = x0; x < x0 + SIZE / 2; x++) {
                                px[(y * SIZE + x) * 3 + k] = (byte) (200 + r.nextInt(50));
                            }
                        }
                    }
                }
                pixels.add(px);
                targets.add(t);
            }
        }

        @Override
        public int size() {
            return pixels.size();
        }

        @Override
        public Item get(int index) {
            return Item.rgb(pixels.get(index), SIZE, SIZE, 0);
        }

        @Override
        public boolean threadSafe() {
            return true;
        }
    }

    /** Multi-label classification: multi-hot targets, BCE, val_map (maximised) and val_loss. */
    static final class MultiLabelTask implements Task {
        @Override
        public String name() {
            return "multi_label";
        }

        @Override
        public Monitor monitor() {
            return new Monitor("val_map", false);
        }

        @Override
        public void check(ImageModel model, Dataset train, Dataset validation) {
            for (Dataset d : List.of(train, validation)) {
                if (!(d instanceof ColourSquares)) {
                    throw new IllegalArgumentException("multi-label data: " + d.getClass().getSimpleName()
                            + " (expected: ColourSquares, which has targets)");
                }
            }
            if (model.numClasses() != LABELS) {
                throw new IllegalArgumentException("model outputs: " + model.numClasses() + " (expected: " + LABELS + ")");
            }
        }

        @Override
        public Session open(ImageModel model, Device device) {
            BatchTransform transform = new BatchTransform(AugmentConfig.defaults(), model.spec().mean(),
                    model.spec().std(), device, false);
            return new Session() {
                @Override
                public Example train(Tensor images, Batch batch, Dataset data, int epoch, int epochs, long seed) {
                    ColourSquares d = (ColourSquares) data;
                    float[] flat = new float[batch.size() * LABELS];
                    for (int i = 0; i < batch.size(); i++) {
                        System.arraycopy(d.targets.get(batch.indices()[i]), 0, flat, i * LABELS, LABELS);
                    }
                    Tensor y = Tensors.fromFloats(flat, batch.size(), LABELS).to(device.toNative(),
                            torch.ScalarType.Float);
                    return new Example(transform.eval(images), y);
                }

                @Override
                public Tensor evalInput(Tensor images) {
                    return transform.eval(images);
                }

                @Override
                public Tensor loss(List<Tensor> outputs, Tensor targets) {
                    return Losses.binaryCrossEntropy(outputs.get(0), targets, 0.0, null);
                }

                @Override
                public float[][] predict(List<Tensor> outputs, int images) {
                    float[] flat = Tensors.toFloats(outputs.get(0));
                    float[][] rows = new float[images][];
                    for (int i = 0; i < images; i++) {
                        rows[i] = Arrays.copyOfRange(flat, i * LABELS, (i + 1) * LABELS);
                    }
                    return rows;
                }

                @Override
                public Map<String, Double> score(float[][] predictions, Dataset validation) {
                    ColourSquares d = (ColourSquares) validation;
                    double loss = 0;
                    double ap = 0;
                    for (int k = 0; k < LABELS; k++) {
                        double[] s = new double[predictions.length];
                        boolean[] pos = new boolean[predictions.length];
                        for (int i = 0; i < predictions.length; i++) {
                            double z = predictions[i][k];
                            pos[i] = d.targets.get(i)[k] > 0.5f;
                            s[i] = z;
                            // BCE with logits, stable form
                            loss += Math.max(z, 0) - (pos[i] ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
                        }
                        ap += averagePrecision(s, pos);
                    }
                    Map<String, Double> m = new LinkedHashMap<>();
                    m.put("val_loss", loss / (predictions.length * LABELS));
                    m.put("val_map", ap / LABELS);
                    return m;
                }

                @Override
                public void close() {
                    transform.close();
                }
            };
        }
    }

    /** Average precision of scores against positives: the mean precision at each positive, best scores first. */
    static double averagePrecision(double[] scores, boolean[] positive) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        int hits = 0;
        double sum = 0;
        for (int r = 0; r < order.length; r++) {
            if (positive[order[r]]) {
                hits++;
                sum += (double) hits / (r + 1);
            }
        }
        return hits == 0 ? 0 : sum / hits;
    }

    /** conv - relu - global pool - linear to three logits. */
    static final class TinyNet extends ImageModel {
        final Conv2d conv = registerChild("conv", new Conv2d(3, 16, 3, 2, 1, true));
        final Linear fc = registerChild("fc", new Linear(16, LABELS));

        TinyNet() {
            super(ModelSpec.custom("tiny_multilabel"));
        }

        @Override
        public int numClasses() {
            return LABELS;
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

    /** Records the events a user sees, and stops the fit when {@code stop} says so. */
    static class Recorder implements Callback {
        final List<Step> steps = new ArrayList<>();
        final List<Validation> validations = new ArrayList<>();
        final List<Epoch> epochs = new ArrayList<>();
        long stepsAtEnd = -1;
        String reason;

        @Override
        public void onStepEnd(FitContext fit, Step step) {
            steps.add(step);
        }

        @Override
        public void onValidation(FitContext fit, Validation v) {
            validations.add(v);
        }

        @Override
        public void onEpochEnd(FitContext fit, Epoch e) {
            epochs.add(e);
        }

        @Override
        public void onFitEnd(FitContext fit, FitResult r) {
            stepsAtEnd = fit.step();
            reason = fit.stopReason();
        }
    }

    static Experiment exp() {
        return Experiment.defaults().with("data.img_size=16", "train.epochs=6", "train.batch_size=8", "train.lr=0.02",
                "train.warmup_epochs=0", "augment.policy=none", "infer.batch_size=16");
    }

    private FitResult fit(Trainer trainer) throws IOException {
        TorchSettings.seed(7);
        try (TinyNet model = new TinyNet()) {
            return trainer.fit(model, new ColourSquares(48, 1), new ColourSquares(24, 2));
        }
    }

    @Test
    void fit_multiLabel_userCallbackStopsAfterValidationOfEpoch2() throws IOException {
        Recorder rec = new Recorder() {
            @Override
            public void onValidation(FitContext fit, Validation v) {
                super.onValidation(fit, v);
                assertEquals("multi_label", fit.task().name());
                if (fit.epoch() == 2) {
                    fit.requestStop("user: two epochs are enough");
                }
            }
        };
        Path dir = tmp.resolve("ckpt");
        FitResult r = fit(Trainer.builder(exp()).task(new MultiLabelTask()).callback(rec).checkpoints(dir).build());

        // 48 images / batch 8 = 6 steps per epoch; the fit ends after epoch 2 of 6
        assertEquals(List.of(1, 2), rec.epochs.stream().map(Callback.Epoch::epoch).toList());
        assertEquals(12, rec.steps.size());
        assertEquals(12, rec.stepsAtEnd);
        assertEquals(new Callback.Step(2, 6, 12, rec.steps.get(11).loss(), rec.steps.get(11).meanLoss(),
                rec.steps.get(11).lr(), rec.steps.get(11).imagesPerSecond()), rec.steps.get(11));
        assertTrue(rec.epochs.get(1).stopping(), "epoch 2 reports the stop");
        assertFalse(rec.epochs.get(0).stopping());
        assertEquals("user: two epochs are enough", rec.reason);
        // the task's metrics and monitor drive the best epoch
        assertEquals(List.of("val_loss", "val_map"), List.copyOf(rec.validations.get(1).metrics().keySet()));
        double best = Math.max(rec.validations.get(0).monitored(), rec.validations.get(1).monitored());
        assertEquals(best, r.best().metric("val_map"), 0.0);
        assertTrue(best > 0.7, "learns the colours (chance is about 0.5): " + rec.validations);
        assertEquals(24, r.bestLogits().length);
        assertEquals(LABELS, r.bestLogits()[0].length);
        assertTrue(Files.isRegularFile(dir.resolve("best.safetensors")));

        // the stop is part of the resumable state: resuming a stopped fit trains nothing more
        Recorder again = new Recorder();
        fit(Trainer.builder(exp()).task(new MultiLabelTask()).callback(again).checkpoints(dir).resume(true).build());
        assertTrue(again.steps.isEmpty(), "a stopped fit stays stopped: " + again.steps);
        assertEquals(12, again.stepsAtEnd);
    }

    @Test
    void fit_multiLabel_stopRequestedMidEpochEndsAfterThatStep() throws IOException {
        Recorder rec = new Recorder() {
            @Override
            public void onStepEnd(FitContext fit, Step step) {
                super.onStepEnd(fit, step);
                if (fit.step() == 9) {
                    fit.requestStop("user: step 9");
                }
            }
        };
        FitResult r = fit(Trainer.builder(exp()).task(new MultiLabelTask()).callback(rec).build());

        assertEquals(9, rec.steps.size());
        Callback.Step last = rec.steps.get(8);
        assertEquals(2, last.epoch());
        assertEquals(3, last.batch());
        assertEquals(9, last.step());
        // the partial epoch is validated, then the fit ends
        assertEquals(List.of(1, 2), rec.validations.stream().map(Callback.Validation::epoch).toList());
        assertEquals(9, rec.stepsAtEnd);
        assertTrue(r.best().epoch() >= 1);
    }

    @Test
    void fit_multiLabel_taskRejectsDataWithoutTargets() {
        Dataset plain = Dataset.of(List.of(Dataset.Item.rgb(new byte[SIZE * SIZE * 3], SIZE, SIZE, 0)));
        Trainer trainer = Trainer.builder(exp()).task(new MultiLabelTask()).build();
        try (TinyNet model = new TinyNet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> trainer.fit(model, plain, plain));
            assertTrue(e.getMessage().contains("expected: ColourSquares"), e.getMessage());
        }
    }
}
