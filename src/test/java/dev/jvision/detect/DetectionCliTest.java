package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.cli.Main;
import dev.jvision.config.ConfigException;
import dev.jvision.config.Configs;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.data.detection.CocoResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A detection run as a user makes it: {@code jvision train} on a {@code task: detection} config
 * (metrics.csv with mAP, TensorBoard, classes.json), {@code jvision infer --run --draw} writing
 * detections.json and drawings, {@code jvision detect-eval} scoring it; and a bad detect key.
 */
class DetectionCliTest {
    @TempDir
    Path tmp;

    private Path config(Path data) throws IOException {
        String yaml = """
                task: detection
                experiment: {name: det, seed: 7, output_dir: '%s', threads: 1, deterministic: true, device: cpu}
                data: {root: '%s', img_size: 64, prefetch: 1}
                model: {name: det_tiny, num_classes: 2}
                detect: {close_mosaic: 1, val_max_det: 20, conf: 0.001}
                train: {epochs: 1, batch_size: 4, lr: 2.0e-3, warmup_epochs: 0.5, n_folds: 1}
                infer: {batch_size: 4}
                """.formatted(tmp.resolve("runs"), data);
        Path f = tmp.resolve("det.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void trainInferDetectEval_throughTheCli() throws IOException {
        Path data = tmp.resolve("data");
        DetectionDemoData.generate(data, 8, 4, 3, 2, 64, 9, 1);
        assertEquals(0, Main.execute("train", "--config", config(data).toString()));
        Path run;
        try (Stream<Path> s = Files.list(tmp.resolve("runs"))) {
            run = s.findFirst().orElseThrow();
        }
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        assertEquals(String.join(",", DetectionMetricsCsv.COLUMNS), metrics.get(0));
        assertEquals(2, metrics.size(), "one epoch row: " + metrics);
        assertTrue(Files.isDirectory(run.resolve("tensorboard")));
        assertEquals(List.of("class_0", "class_1").size(), RunClasses.read(run).names().size());
        JsonNode result = new ObjectMapper().readTree(run.resolve("result.json").toFile());
        assertTrue(result.has("val_map50_95"), result.toString());

        assertEquals(0, Main.execute("infer", "--run", run.toString(), "--draw"));
        Path dets = run.resolve("detections.json");
        List<CocoResults.Entry> entries = CocoResults.read(dets);
        assertFalse(entries.isEmpty(), "conf 0.001 keeps boxes");
        try (Stream<Path> s = Files.list(run.resolve("draw"))) {
            assertEquals(3, s.count(), "one drawing per test image");
        }
        Path eval = tmp.resolve("eval.json");
        assertEquals(0, Main.execute("detect-eval", "--gt", data.resolve("annotations/instances_test.json").toString(),
                "--detections", dets.toString(), "--json", eval.toString()));
        double ap = new ObjectMapper().readTree(eval.toFile()).get("AP").asDouble();
        assertTrue(ap >= 0 && ap <= 1, "AP " + ap);

        // the Java API: the same boxes from a Path, bytes, a BufferedImage and from four threads at once
        List<Path> tests;
        try (Stream<Path> s = Files.list(data.resolve("images/test"))) {
            tests = s.sorted().toList();
        }
        try (dev.jvision.infer.Detector d = dev.jvision.infer.Detector.fromRun(run)) {
            List<List<dev.jvision.infer.Detector.Box>> one = new java.util.ArrayList<>();
            for (Path p : tests) {
                one.add(d.detect(p));
            }
            assertTrue(one.stream().anyMatch(l -> !l.isEmpty()), "conf 0.001 finds boxes");
            assertEquals(one.get(0), d.detect(Files.readAllBytes(tests.get(0))));
            assertEquals(one.get(1), d.detect(javax.imageio.ImageIO.read(tests.get(1).toFile())));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<List<dev.jvision.infer.Detector.Box>>> fs = new java.util.ArrayList<>();
                for (int k = 0; k < 12; k++) {
                    Path p = tests.get(k % tests.size());
                    fs.add(pool.submit(() -> d.detect(p)));
                }
                for (int k = 0; k < fs.size(); k++) {
                    List<dev.jvision.infer.Detector.Box> got = fs.get(k).get();
                    List<dev.jvision.infer.Detector.Box> want = one.get(k % tests.size());
                    assertEquals(want.size(), got.size(), "boxes of request " + k);
                    for (int j = 0; j < got.size(); j++) {
                        assertEquals(want.get(j).classId(), got.get(j).classId());
                        assertEquals(want.get(j).x1(), got.get(j).x1(), 1e-3f, "batched kernels round alike");
                        assertEquals(want.get(j).score(), got.get(j).score(), 1e-4f);
                    }
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            } finally {
                pool.shutdown();
            }
        }

        // two stages: every detected box named by a (random, 3-class) classifier with its top classes
        Path clsWeights = tmp.resolve("cls.safetensors");
        try (dev.jvision.models.ImageModel m = dev.jvision.models.Models.create("resnet18",
                dev.jvision.models.ModelOptions.of(3))) {
            dev.jvision.models.Weights.save(m, clsWeights, java.util.Map.of());
        }
        try (dev.jvision.infer.Recognizer r = new dev.jvision.infer.Recognizer(dev.jvision.infer.Detector.fromRun(run),
                dev.jvision.infer.Classifier.fromWeights("resnet18", 3, clsWeights), 0.1);
             dev.jvision.infer.Detector d = dev.jvision.infer.Detector.fromRun(run)) {
            List<dev.jvision.infer.Recognizer.Recognition> found = r.recognize(tests.get(0));
            List<dev.jvision.infer.Detector.Box> boxes = d.detect(tests.get(0));
            assertEquals(boxes.size(), found.size(), "one recognition per detected box");
            for (int j = 0; j < found.size(); j++) {
                assertEquals(boxes.get(j).classId(), found.get(j).box().classId());
                assertEquals(3, found.get(j).prediction().top().size(), "top classes of the crop");
            }
        }

        Path folderOut = tmp.resolve("folder");
        assertEquals(0, Main.execute("infer", "--run", run.toString(), "--images", data.resolve("images/test").toString(),
                "--out", folderOut.toString()));
        assertEquals(4, Files.readAllLines(folderOut.resolve("images.txt")).size(), "header + 3 images");
        assertTrue(Files.isRegularFile(folderOut.resolve("detections.json")));
    }

    @Test
    void unknownDetectKey_isAnErrorWithFileAndLine() throws IOException {
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(f, "task: detection\ndetect:\n  close_mosiac: 2\n");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> Configs.load(f, List.of()));
        assertTrue(e.getMessage().contains("bad.yaml:3") && e.getMessage().contains("close_mosiac"), e.getMessage());
        Files.writeString(f, "task: detect\n");
        e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> Configs.load(f, List.of()));
        assertTrue(e.getMessage().contains("bad.yaml:1") && e.getMessage().contains("classification, detection"),
                e.getMessage());
    }
}
