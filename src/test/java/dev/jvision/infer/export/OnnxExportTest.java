package dev.jvision.infer.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.cli.Main;
import dev.jvision.infer.onnx.OnnxModel;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.SeededModels;
import dev.jvision.models.Weights;
import dev.jvision.runtime.TorchSettings;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The export around the graphs: preprocessing inside the graph, metadata (temperature, class
 * names), a run's fold ensemble as one graph, the newest opset, the CLI ({@code jvision export},
 * {@code jvision infer --onnx}) and bad input. Small models at 64 px keep it fast.
 */
class OnnxExportTest {
    static final int SIZE = 64;

    @TempDir
    Path dir;

    @BeforeAll
    static void threads() {
        TorchSettings.setThreads(2);
    }

    private static ImageModel seeded(String name) throws Exception {
        ImageModel m = Models.create(name, ModelOptions.of(5));
        SeededModels.fill(m, OnnxParityTest.bnVarLog2(name));
        m.train(false);
        return m;
    }

    @Test
    void includePreprocessing_takesUint8Nhwc_andMatchesLibtorchOnNormalisedInput() throws Exception {
        Path file = dir.resolve("pre.onnx");
        float[][] expected;
        try (ImageModel m = seeded("resnet18")) {
            expected = OnnxParityTest.forward(m, SeededModels.images(m.spec(), SIZE, 2), 2, SIZE);
            OnnxExporter.write(OnnxExporter.build(List.of(OnnxExporter.Member.of(m)), List.of(),
                    OnnxExporter.Options.of(SIZE).withPreprocessing(true)), file);
        }
        try (OnnxModel onnx = OnnxModel.open(file, 2)) {
            assertTrue(onnx.takesPixels());
            assertEquals("uint8 NHWC RGB 0-255", onnx.metadata().get("jvision.input"));
            float[][] got = onnx.logitsOfPixels(SeededModels.pixelsNhwc(SIZE, 2), 2);
            double d = OnnxParityTest.maxAbsDiff(expected, got);
            assertTrue(d <= OnnxParityTest.TOLERANCE, "max |diff| " + d);
            assertThrows(IllegalArgumentException.class, () -> onnx.logits(new float[2 * 3 * SIZE * SIZE], 2),
                    "float input to a pixel graph");
        }
    }

    @Test
    void metadata_holdsTemperatureAndClassNames_andProbabilitiesAreCalibrated() throws Exception {
        Path file = dir.resolve("meta.onnx");
        List<String> names = List.of("cat", "dog", "bird, small", "fish", "\"quoted\"");
        try (ImageModel m = seeded("convnext_atto")) {
            ModelSpec s = m.spec();
            OnnxExporter.write(OnnxExporter.build(List.of(new OnnxExporter.Member(m, s.mean(), s.std(), 1.7, 1.0)), names,
                    OnnxExporter.Options.of(SIZE)), file);
        }
        try (OnnxModel onnx = OnnxModel.open(file, 2)) {
            assertEquals(names, onnx.classNames());
            assertEquals(1.7, onnx.temperature(), 0);
            assertEquals("convnext_atto", onnx.metadata().get("jvision.model"));
            assertEquals(String.valueOf(SIZE), onnx.metadata().get("jvision.img_size"));
            assertArrayEquals(ModelSpec.IMAGENET_MEAN, onnx.normalisation()[0], 0);
            float[] x = SeededModels.images(Models.spec("convnext_atto"), SIZE, 2);
            float[][] logits = onnx.logits(x, 2);
            float[][] probs = onnx.probabilities(x, 2);
            for (int i = 0; i < 2; i++) {
                double[] want = softmax(logits[i], 1.7);
                for (int c = 0; c < want.length; c++) {
                    assertEquals(want[c], probs[i][c], 1e-6, "row " + i + " class " + c);
                }
            }
        }
    }

    @Test
    void runExport_isOneGraphAveragingTheFoldsCalibratedProbabilities() throws Exception {
        Path run = dir.resolve("run");
        float[] x = SeededModels.images(Models.spec("resnet18"), SIZE, 3);
        double t = 2.5;
        double[][] want = new double[3][5];
        for (int fold = 0; fold < 2; fold++) {
            // fold 0: seeded weights; fold 1: the model's own random initialisation
            try (ImageModel m = fold == 0 ? seeded("resnet18") : Models.create("resnet18", ModelOptions.of(5))) {
                m.train(false);
                Path w = run.resolve("fold" + fold).resolve("best.safetensors");
                Files.createDirectories(w.getParent());
                Weights.save(m, w, Map.of());
                new CheckpointInfo("resnet18", 5, SIZE, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, fold, 3, 0.5, 0.5,
                        1.0, List.of("a", "b", "c", "d", "e"), null).write(CheckpointInfo.sidecarOf(w));
                float[][] logits = OnnxParityTest.forward(m, x, 3, SIZE);
                for (int i = 0; i < 3; i++) {
                    double[] p = softmax(logits[i], t);
                    for (int c = 0; c < 5; c++) {
                        want[i][c] += p[c] / 2;
                    }
                }
            }
        }
        Files.writeString(run.resolve("calibration.json"), "{\"temperature\": " + t + "}");
        Path out = dir.resolve("ensemble.onnx");
        ModelExport.Result r = ModelExport.run(run, out, ModelExport.Settings.defaults());
        assertEquals(2, r.models().size());
        assertEquals(t, r.temperature(), 0);
        try (OnnxModel onnx = OnnxModel.open(out, 2)) {
            assertEquals("2", onnx.metadata().get("jvision.members"));
            assertEquals(List.of("a", "b", "c", "d", "e"), onnx.classNames());
            assertThrows(UnsupportedOperationException.class, () -> onnx.logits(x, 3));
            float[][] got = onnx.probabilities(x, 3);
            for (int i = 0; i < 3; i++) {
                for (int c = 0; c < 5; c++) {
                    assertEquals(want[i][c], got[i][c], 1e-5, "row " + i + " class " + c);
                }
            }
        }
    }

    @Test
    void newestOpset_runsInOnnxRuntime_andMatches() throws Exception {
        for (String name : List.of("convnext_atto", "tf_efficientnetv2_b0")) {
            Path file = dir.resolve(name + "-opset.onnx");
            float[] x = SeededModels.images(Models.spec(name), SIZE, 2);
            float[][] expected;
            try (ImageModel m = seeded(name)) {
                expected = OnnxParityTest.forward(m, x, 2, SIZE);
                OnnxExporter.write(OnnxExporter.build(List.of(OnnxExporter.Member.of(m)), List.of(),
                        OnnxExporter.Options.of(SIZE).withOpset(OnnxExporter.MAX_OPSET).withFoldBatchNorm(false)), file);
            }
            try (OnnxModel onnx = OnnxModel.open(file, 2)) {
                double d = OnnxParityTest.maxAbsDiff(expected, onnx.logits(x, 2));
                assertTrue(d <= OnnxParityTest.TOLERANCE, name + " opset " + OnnxExporter.MAX_OPSET + ": max |diff| " + d);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.Options.of(SIZE).withOpset(OnnxExporter.MAX_OPSET + 1));
        assertThrows(IllegalArgumentException.class, () -> OnnxExporter.Options.of(SIZE).withOpset(16));
    }

    @Test
    void cli_exportsACheckpoint_andInferOnnxWritesTheFolderLogits() throws Exception {
        Path ck = dir.resolve("ck").resolve("best.safetensors");
        Files.createDirectories(ck.getParent());
        try (ImageModel m = seeded("resnet18")) {
            Weights.save(m, ck, Map.of());
            new CheckpointInfo("resnet18", 5, SIZE, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, 0, 1, 0.5, 0.5, 1.0,
                    List.of(), null).write(CheckpointInfo.sidecarOf(ck));
        }
        Path out = dir.resolve("cli.onnx");
        assertEquals(0, Main.execute("export", "--checkpoint", ck.toString(), "--out", out.toString(),
                "--include-preprocessing"));
        Path images = dir.resolve("images");
        Files.createDirectories(images);
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(80, 70, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 70; y++) {
                for (int x = 0; x < 80; x++) {
                    img.setRGB(x, y, (x * 3 + i * 40) << 16 | (y * 3) << 8 | ((x + y + i * 17) & 0xFF));
                }
            }
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
        }
        Path csv = dir.resolve("logits.csv");
        assertEquals(0, Main.execute("infer", "--onnx", out.toString(), "--images", images.toString(), "--save-logits",
                csv.toString(), "--threads", "2"));
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        assertEquals(4, lines.size());
        assertEquals("image,c0,c1,c2,c3,c4", lines.get(0));
        assertTrue(lines.get(1).startsWith("img0.png,"));
        assertFalse(lines.get(1).equals(lines.get(2).replace("img1", "img0")), "different images, different logits");
    }

    @Test
    void classifierFromOnnx_givesTheProbabilitiesOfTheLibtorchClassifier() throws Exception {
        Path ck = dir.resolve("c").resolve("best.safetensors");
        Files.createDirectories(ck.getParent());
        try (ImageModel m = seeded("tf_efficientnetv2_b0")) {
            Weights.save(m, ck, Map.of());
            new CheckpointInfo("tf_efficientnetv2_b0", 5, SIZE, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, 0, 1, 0.5,
                    0.5, 1.0, List.of("a", "b", "c", "d", "e"), null).write(CheckpointInfo.sidecarOf(ck));
        }
        Path out = dir.resolve("classifier.onnx");
        ModelExport.checkpoint(ck, out, ModelExport.Settings.defaults()); // float input: normalised in Java
        BufferedImage img = new BufferedImage(90, 75, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 75; y++) {
            for (int x = 0; x < 90; x++) {
                img.setRGB(x, y, (x * 2) << 16 | (y * 3) << 8 | ((x * y) & 0xFF));
            }
        }
        dev.jvision.infer.Prediction want;
        try (var c = dev.jvision.infer.Classifier.fromCheckpoint(ck)) {
            want = c.predict(img);
        }
        try (var c = dev.jvision.infer.Classifier.fromOnnx(out)) {
            dev.jvision.infer.Prediction got = c.predict(img);
            assertEquals(want.best().id(), got.best().id());
            assertEquals(want.best().name(), got.best().name());
            for (int k = 0; k < 5; k++) {
                assertEquals(want.probabilities()[k], got.probabilities()[k], 1e-4, "class " + k);
            }
        }
    }

    @Test
    void badInput_unknownModel_otherModelsCheckpoint_unwritableOutput() throws Exception {
        Path w = dir.resolve("resnet18.safetensors");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(5))) {
            Weights.save(m, w, Map.of());
        }
        Path out = dir.resolve("m.onnx");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ModelExport.weights("resnet5000", 5, w, out, ModelExport.Settings.defaults()));
        assertTrue(unknown.getMessage().contains("resnet5000"), unknown.getMessage());

        Files.writeString(out, "previous export");
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> ModelExport.weights("resnet34", 5, w, out, ModelExport.Settings.defaults()));
        assertTrue(other.getMessage().contains(w.toString()), other.getMessage());
        assertEquals("previous export", Files.readString(out), "a failed export leaves the old file as it was");

        Path blocked = dir.resolve("a-file");
        Files.writeString(blocked, "x");
        IllegalArgumentException unwritable = assertThrows(IllegalArgumentException.class,
                () -> ModelExport.weights("resnet18", 5, w, blocked.resolve("m.onnx"), ModelExport.Settings.defaults()));
        assertTrue(unwritable.getMessage().contains("a-file"), unwritable.getMessage());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }

        assertEquals(Main.BAD_INPUT, Main.execute("export", "--model", "resnet5000", "--weights", w.toString(), "--out",
                out.toString()));
        assertEquals(Main.BAD_INPUT, Main.execute("export", "--model", "resnet34", "--weights", w.toString(),
                "--num-classes", "5", "--out", out.toString()));
        assertEquals(Main.BAD_INPUT, Main.execute("export", "--model", "resnet18", "--weights", w.toString(),
                "--num-classes", "5", "--out", out.toString(), "--opset", "99"));
        assertThrows(IllegalArgumentException.class, () -> new ModelExport.Settings(17, 0, false, true,
                OptionalDouble.of(-1)));
        assertEquals("previous export", Files.readString(out));
    }

    static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] / t - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
