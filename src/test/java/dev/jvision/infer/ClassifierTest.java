package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.runtime.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one {@link Classifier} call returns, from every kind of source and input. */
class ClassifierTest {
    @TempDir
    static Path shared;
    static Path run;
    static Path ckpt;
    static Path other;

    @TempDir
    Path dir;

    @BeforeAll
    static void checkpoints() throws IOException {
        run = shared.resolve("run");
        ckpt = ServingFixtures.checkpoint(run, 7);
        other = ServingFixtures.checkpoint(shared.resolve("other"), 8);
    }

    static ClassifierBuilder cpu() {
        return Classifier.builder().device(Device.CPU);
    }

    @Test
    void predict_pngBytes_bufferedImage_andFile_giveTheSameAnswer_withNamesAndTopK() throws IOException {
        BufferedImage img = ServingFixtures.picture(1, 45, 37, BufferedImage.TYPE_3BYTE_BGR);
        byte[] png = ServingFixtures.encode(img, "png");
        Path file = Files.write(dir.resolve("a.png"), png);
        try (Classifier c = cpu().checkpoints(List.of(ckpt)).topK(3).build()) {
            assertEquals(ServingFixtures.NAMES, c.classNames());
            assertEquals(List.of(ServingFixtures.SIZE), c.inputSizes());
            Prediction a = c.predict(png);
            Prediction b = c.predict(img);
            Prediction f = c.predict(file);
            assertArrayEquals(a.probabilities(), b.probabilities(), "PNG is lossless: same pixels, same answer");
            assertArrayEquals(a.probabilities(), f.probabilities());
            assertEquals(3, a.top().size());
            double sum = 0;
            for (float p : a.probabilities()) {
                sum += p;
            }
            assertEquals(1.0, sum, 1e-5);
            for (int j = 0; j < 3; j++) {
                Prediction.ClassScore s = a.top().get(j);
                assertEquals(ServingFixtures.NAMES.get(s.id()), s.name());
                assertEquals(a.probabilities()[s.id()], s.probability());
                if (j > 0) {
                    assertTrue(s.probability() <= a.top().get(j - 1).probability(), "best first");
                }
            }
            assertFalse(a.calibrated(), "no calibration.json in the run");
            assertTrue(a.best().probability() - a.top().get(2).probability() > 1e-3, "an informative model: " + a);
            Prediction other = c.predict(ServingFixtures.picture(2, 45, 37, BufferedImage.TYPE_3BYTE_BGR));
            assertTrue(ServingFixtures.maxDiff(a.probabilities(), other.probabilities()) > 1e-4, a + " vs " + other);
        }
    }

    @Test
    void predict_matchesBatchPredictionOfTheSameCheckpoint() throws IOException {
        List<Object> inputs = ServingFixtures.mixedInputs(6, 100);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            byte[] bytes = inputs.get(i) instanceof byte[] b ? b : ServingFixtures.encode((BufferedImage) inputs.get(i), "png");
            Path f = Files.write(dir.resolve(i + ".img"), bytes);
            samples.add(new Sample(f.getFileName().toString(), -1, f, null, i + 2));
        }
        float[][] batch;
        try (Predictor p = Predictor.load(List.of(ckpt), Device.CPU)) {
            batch = p.predict(samples, new ImageCache(p.imgSize(), null), 4, 1);
        }
        try (Classifier c = cpu().checkpoints(List.of(ckpt)).build()) {
            List<Prediction> got = c.predict(inputs);
            for (int i = 0; i < inputs.size(); i++) {
                assertTrue(ServingFixtures.maxDiff(batch[i], got.get(i).probabilities()) < 1e-5,
                        "image " + i + ": " + Arrays.toString(batch[i]) + " vs " + Arrays.toString(got.get(i).probabilities()));
            }
        }
    }

    @Test
    void runWithCalibration_dividesLogitsByItsTemperature() throws IOException {
        Path calibrated = Files.createDirectories(dir.resolve("calibrated/fold0"));
        Files.copy(ckpt, calibrated.resolve("best.safetensors"));
        Files.copy(CheckpointInfo.sidecarOf(ckpt), calibrated.resolve("best.json"));
        new TemperatureScaling.Fit(2.0, 10, 1, 0.9, 0.1, 0.05).write(calibrated.getParent().resolve(TemperatureScaling.FILE),
                "test");
        byte[] png = ServingFixtures.encode(ServingFixtures.picture(3, 40, 40, BufferedImage.TYPE_3BYTE_BGR), "png");
        Prediction raw;
        try (Classifier c = cpu().run(calibrated.getParent()).calibrated(false).build()) {
            raw = c.predict(png);
        }
        try (Classifier c = cpu().run(calibrated.getParent()).build()) {
            Prediction cal = c.predict(png);
            assertTrue(cal.calibrated());
            // softmax(z / 2) is proportional to sqrt(softmax(z))
            double norm = 0;
            for (float p : raw.probabilities()) {
                norm += Math.sqrt(p);
            }
            for (int k = 0; k < raw.probabilities().length; k++) {
                assertEquals(Math.sqrt(raw.probabilities()[k]) / norm, cal.probabilities()[k], 1e-5);
            }
        }
    }

    @Test
    void ensembleFile_isTheWeightedMeanOfItsMembers() throws IOException {
        Path yaml = dir.resolve("members.yaml");
        Files.writeString(yaml, "members:\n  - checkpoint: " + ckpt + "\n    weight: 3\n  - checkpoint: " + other
                + "\n    weight: 1\n");
        byte[] jpg = ServingFixtures.encode(ServingFixtures.picture(4, 50, 30, BufferedImage.TYPE_3BYTE_BGR), "jpg");
        float[] a;
        float[] b;
        try (Classifier c = cpu().checkpoints(List.of(ckpt)).build()) {
            a = c.predict(jpg).probabilities();
        }
        try (Classifier c = cpu().checkpoints(List.of(other)).build()) {
            b = c.predict(jpg).probabilities();
        }
        try (Classifier c = cpu().ensemble(yaml).build()) {
            float[] e = c.predict(jpg).probabilities();
            for (int k = 0; k < e.length; k++) {
                assertEquals(0.75 * a[k] + 0.25 * b[k], e[k], 1e-6);
            }
        }
    }

    @Test
    void tta_averagesTheViews() throws IOException {
        BufferedImage img = ServingFixtures.picture(5, 32, 32, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage flipped = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                flipped.setRGB(31 - x, y, img.getRGB(x, y));
            }
        }
        float[] p;
        float[] q;
        try (Classifier c = cpu().checkpoints(List.of(ckpt)).build()) {
            p = c.predict(img).probabilities();
            q = c.predict(flipped).probabilities();
        }
        try (Classifier c = cpu().checkpoints(List.of(ckpt)).tta(List.of("identity", "hflip")).build()) {
            float[] t = c.predict(img).probabilities();
            for (int k = 0; k < t.length; k++) {
                assertEquals((p[k] + q[k]) / 2, t[k], 1e-5);
            }
        }
    }

    @Test
    void bareWeights_loadByModelName() throws IOException {
        byte[] png = ServingFixtures.encode(ServingFixtures.picture(6, 40, 40, BufferedImage.TYPE_3BYTE_BGR), "png");
        try (Classifier a = cpu().checkpoints(List.of(ckpt)).build();
             Classifier b = cpu().weights("resnet18", 4, ckpt).imgSize(ServingFixtures.SIZE).build()) {
            assertEquals(List.of("0", "1", "2", "3"), b.classNames(), "no sidecar: ids as names");
            assertEquals(a.predict(png).best().id(), b.predict(png).best().id());
            assertTrue(ServingFixtures.maxDiff(a.predict(png).probabilities(), b.predict(png).probabilities()) < 1e-6);
        }
    }

    @Test
    void badInput_isNamed_andClosedClassifierRefusesCalls() throws IOException {
        Classifier c = cpu().checkpoints(List.of(ckpt)).build();
        var e = assertThrows(IllegalArgumentException.class, () -> c.predict(new byte[] {1, 2, 3, 4}));
        assertTrue(e.getMessage().contains("image bytes") && e.getMessage().contains("cannot decode"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.predict(List.of(new byte[0], "not an image")));
        assertTrue(e.getMessage().contains("images[0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.predict(List.of(ServingFixtures.picture(1, 8, 8,
                BufferedImage.TYPE_INT_RGB), "x.jpg")));
        assertTrue(e.getMessage().contains("images[1]") && e.getMessage().contains("java.lang.String"), e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> c.predict(dir.resolve("missing.png")));
        c.close();
        var s = assertThrows(IllegalStateException.class, () -> c.predict(ServingFixtures.picture(1, 8, 8,
                BufferedImage.TYPE_INT_RGB)));
        assertTrue(s.getMessage().contains("closed"), s.getMessage());
        c.close();
    }

    @Test
    void badCheckpoints_failTheBuild_namingTheFile() throws IOException {
        Path dirty = Files.createDirectories(dir.resolve("bad"));
        Path truncated = dirty.resolve("truncated.safetensors");
        byte[] all = Files.readAllBytes(ckpt);
        Files.write(truncated, Arrays.copyOf(all, all.length / 2));
        Files.copy(CheckpointInfo.sidecarOf(ckpt), CheckpointInfo.sidecarOf(truncated));
        var e = assertThrows(IllegalArgumentException.class, () -> cpu().checkpoints(List.of(truncated)).build());
        assertTrue(e.getMessage().contains(truncated.toString()), e.getMessage());

        Path wrongModel = dirty.resolve("wrong.safetensors");
        Files.copy(ckpt, wrongModel);
        CheckpointInfo i = CheckpointInfo.read(CheckpointInfo.sidecarOf(ckpt));
        new CheckpointInfo("resnet26", i.numClasses(), i.imgSize(), i.mean(), i.std(), 0, 1, 0, 0, 0, i.classNames(), null)
                .write(CheckpointInfo.sidecarOf(wrongModel));
        e = assertThrows(IllegalArgumentException.class, () -> cpu().checkpoints(List.of(wrongModel)).build());
        assertTrue(e.getMessage().contains(wrongModel.toString()) && e.getMessage().contains("do not fit model 'resnet26'"),
                e.getMessage());

        assertThrows(IllegalStateException.class, () -> cpu().build(), "no source");
        assertThrows(IllegalStateException.class, () -> cpu().run(run).checkpoints(List.of(ckpt)), "two sources");
        assertThrows(IllegalArgumentException.class, () -> cpu().checkpoints(List.of(ckpt)).maxBatchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> cpu().weights("resnet_nope", 3, ckpt));
    }
}
