package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.detect.DetectionModel;
import dev.jvision.detect.RunClasses;
import dev.jvision.infer.export.DetectorFixtures;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.SeededModels;
import dev.jvision.models.Weights;
import dev.jvision.runtime.TorchSettings;
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
 * {@code jvision infer --onnx} against the libtorch path on the same run, through the CLI: a
 * classification run's fold ensemble and one of its checkpoints (with preprocessing in the
 * graph) write the same submission.csv (same columns, same ID order) and probs.csv within 1e-4
 * on the demo data; a detection run's export writes the detections.json of {@code infer --run}
 * (the config's test split, and an image folder with its images.txt). The runs are built from
 * seeded weights (no training) to keep the test short.
 */
class InferOnnxCliTest {
    static final double TOLERANCE = 1e-4;
    /** detections.json rounds boxes to 0.01 px: one rounding step apart, plus float noise. */
    static final double BOX_TOLERANCE = 0.0101;

    @TempDir
    Path tmp;

    @BeforeAll
    static void threads() {
        TorchSettings.setThreads(2);
    }

    /** A two-fold resnet18 run of 17 classes at 32 px on generated demo data, with its config.yaml. */
    private Path classificationRun() throws Exception {
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.yaml"), """
                experiment: {name: onnx, seed: 7, output_dir: '%s', threads: 2}
                data: {root: '%s', generate_demo: true, demo_train: 34, demo_test: 17, img_size: 32}
                model: {name: resnet18, num_classes: 17}
                train: {epochs: 1, batch_size: 8, n_folds: 2}
                infer: {batch_size: 8}
                """.formatted(tmp.resolve("runs"), tmp.resolve("data")));
        for (int fold = 0; fold < 2; fold++) {
            try (ImageModel m = Models.create("resnet18", ModelOptions.of(17))) {
                if (fold == 0) {
                    SeededModels.fill(m, Map.of());
                }
                m.train(false);
                Path w = run.resolve("fold" + fold).resolve("best.safetensors");
                Files.createDirectories(w.getParent());
                Weights.save(m, w, Map.of());
                new CheckpointInfo("resnet18", 17, 32, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, fold, 1, 0.5, 0.5,
                        1.0, List.of(), null).write(CheckpointInfo.sidecarOf(w));
            }
        }
        return run;
    }

    @Test
    void classification_onnxSubmission_equalsLibtorchSubmission() throws Exception {
        Path run = classificationRun();
        Path cfg = run.resolve("config.yaml");
        Path torchOut = tmp.resolve("torch");
        Path onnxOut = tmp.resolve("onnx");
        assertEquals(0, Main.execute("infer", "--run", run.toString(), "--out", torchOut.toString(), "--save-probs"));
        Path ensemble = tmp.resolve("ensemble.onnx");
        assertEquals(0, Main.execute("export", "--run", run.toString(), "--out", ensemble.toString()));
        assertEquals(0, Main.execute("infer", "--onnx", ensemble.toString(), "-c", cfg.toString(), "--out",
                onnxOut.toString(), "--save-probs", "--threads", "2"));
        assertSameSubmission(torchOut, onnxOut);

        // one checkpoint, uint8 pixels normalised inside the graph: the logits path (softmax in Java)
        Path fold0 = run.resolve("fold0/best.safetensors");
        Path torchOne = tmp.resolve("torch1");
        Path onnxOne = tmp.resolve("onnx1");
        assertEquals(0, Main.execute("infer", "--checkpoint", fold0.toString(), "-c", cfg.toString(), "--out",
                torchOne.toString(), "--save-probs"));
        Path single = tmp.resolve("fold0.onnx");
        assertEquals(0, Main.execute("export", "--checkpoint", fold0.toString(), "--out", single.toString(),
                "--include-preprocessing"));
        assertEquals(0, Main.execute("infer", "--onnx", single.toString(), "-c", cfg.toString(), "--out",
                onnxOne.toString(), "--save-probs"));
        assertSameSubmission(torchOne, onnxOne);
        assertTrue(Files.readString(onnxOne.resolve("submission_info.json")).contains("onnxruntime"));

        assertEquals(Main.BAD_INPUT, Main.execute("infer", "--onnx", single.toString(), "-c", cfg.toString(), "--tta"));
    }

    private static void assertSameSubmission(Path want, Path got) throws IOException {
        assertEquals(Files.readAllLines(want.resolve("submission.csv")), Files.readAllLines(got.resolve("submission.csv")),
                "submission.csv: same header, IDs, order and classes");
        List<String> a = Files.readAllLines(want.resolve("probs.csv"));
        List<String> b = Files.readAllLines(got.resolve("probs.csv"));
        assertEquals(a.size(), b.size());
        assertEquals(a.get(0), b.get(0), "probs.csv header");
        double max = 0;
        for (int i = 1; i < a.size(); i++) {
            String[] x = a.get(i).split(",");
            String[] y = b.get(i).split(",");
            assertEquals(x[0], y[0], "row " + i + " ID");
            assertEquals(x.length, y.length);
            for (int k = 1; k < x.length; k++) {
                max = Math.max(max, Math.abs(Double.parseDouble(x[k]) - Double.parseDouble(y[k])));
            }
        }
        System.out.printf("%s vs %s: max |probability diff| %.2e over %d rows%n", want.getFileName(), got.getFileName(), max,
                a.size() - 1);
        assertTrue(max <= TOLERANCE, "probabilities: max |diff| " + max + " (expected: <= " + TOLERANCE + ")");
        assertTrue(max > 0 || a.size() > 1, "rows compared");
    }

    @Test
    void detection_onnxDetections_equalInferRun() throws Exception {
        Path data = tmp.resolve("detdata");
        DetectionDemoData.generate(data, 8, 4, 3, 2, 64, 9, 1);
        Path run = tmp.resolve("detrun");
        Files.createDirectories(run.resolve("fold0"));
        Files.writeString(run.resolve("config.yaml"), """
                task: detection
                experiment: {name: det, seed: 7, output_dir: '%s', threads: 2, device: cpu}
                data: {root: '%s', img_size: 64}
                model: {name: det_tiny, num_classes: 2}
                detect: {conf: 0.3, iou: 0.6, max_det: 50}
                train: {epochs: 1, batch_size: 4, n_folds: 1}
                infer: {batch_size: 2}
                """.formatted(tmp.resolve("runs"), data));
        new RunClasses(List.of("class_0", "class_1"), new long[] {1, 2}).write(run);
        try (DetectionModel m = DetectionModel.create("det_tiny", 2, 16)) {
            DetectorFixtures.seed(m.detector(), DetectorFixtures.images(4, 64, 3), 4, 64);
            Path w = run.resolve("fold0/best.safetensors");
            Weights.save(m, w, Map.of());
            new CheckpointInfo("det_tiny", 2, 64, new double[3], new double[] {1, 1, 1}, 0, 1, 0, 0, 1, List.of("class_0",
                    "class_1"), null).write(CheckpointInfo.sidecarOf(w));
        }
        Path onnx = tmp.resolve("det.onnx");
        assertEquals(0, Main.execute("export", "--run", run.toString(), "--out", onnx.toString()));

        Path torchSplit = tmp.resolve("torch-split");
        Path onnxSplit = tmp.resolve("onnx-split");
        assertEquals(0, Main.execute("infer", "--run", run.toString(), "--out", torchSplit.toString()));
        assertEquals(0, Main.execute("infer", "--onnx", onnx.toString(), "-c", run.resolve("config.yaml").toString(),
                "--out", onnxSplit.toString()));
        int boxes = assertSameDetections(torchSplit.resolve("detections.json"), onnxSplit.resolve("detections.json"));
        assertTrue(boxes > 0, "the seeded detector finds boxes at conf 0.3");

        // a folder, thresholds from the export's metadata (the run's detect: section)
        Path images = data.resolve("images/test");
        Path torchDir = tmp.resolve("torch-folder");
        Path onnxDir = tmp.resolve("onnx-folder");
        assertEquals(0, Main.execute("infer", "--run", run.toString(), "--images", images.toString(), "--out",
                torchDir.toString()));
        assertEquals(0, Main.execute("infer", "--onnx", onnx.toString(), "--images", images.toString(), "--out",
                onnxDir.toString()));
        assertEquals(Files.readAllLines(torchDir.resolve("images.txt")), Files.readAllLines(onnxDir.resolve("images.txt")));
        assertSameDetections(torchDir.resolve("detections.json"), onnxDir.resolve("detections.json"));

        // the same from the checkpoint alone (its sidecar names the detector)
        Path fromCk = tmp.resolve("ck.onnx");
        assertEquals(0, Main.execute("export", "--checkpoint", run.resolve("fold0/best.safetensors").toString(), "--out",
                fromCk.toString(), "--include-preprocessing"));
        Path ckDir = tmp.resolve("onnx-ck");
        assertEquals(0, Main.execute("infer", "--onnx", fromCk.toString(), "-c", run.resolve("config.yaml").toString(),
                "--out", ckDir.toString()));
        assertSameDetections(torchSplit.resolve("detections.json"), ckDir.resolve("detections.json"));
    }

    /** Every detection of {@code want} has one in {@code got} (same image, category; box and score within tolerance). */
    private static int assertSameDetections(Path want, Path got) throws IOException {
        List<CocoResults.Entry> a = CocoResults.read(want);
        List<CocoResults.Entry> b = new ArrayList<>(CocoResults.read(got));
        assertEquals(a.size(), b.size(), "detections in " + want + " and " + got);
        double maxBox = 0;
        double maxScore = 0;
        for (CocoResults.Entry e : a) {
            CocoResults.Entry match = null;
            for (CocoResults.Entry f : b) {
                if (f.imageId() == e.imageId() && f.categoryId() == e.categoryId() && Math.abs(f.score() - e.score()) <= TOLERANCE
                        && Math.abs(f.x() - e.x()) <= BOX_TOLERANCE && Math.abs(f.y() - e.y()) <= BOX_TOLERANCE
                        && Math.abs(f.w() - e.w()) <= BOX_TOLERANCE && Math.abs(f.h() - e.h()) <= BOX_TOLERANCE) {
                    match = f;
                    break;
                }
            }
            assertTrue(match != null, "no ONNX detection for " + e + " in " + got);
            b.remove(match);
            maxBox = Math.max(maxBox, Math.max(Math.abs(match.x() - e.x()), Math.abs(match.w() - e.w())));
            maxScore = Math.max(maxScore, Math.abs(match.score() - e.score()));
        }
        System.out.printf("%s: %d detections matched, max |diff| box %.2e px, score %.2e%n", got, a.size(), maxBox, maxScore);
        return a.size();
    }
}
