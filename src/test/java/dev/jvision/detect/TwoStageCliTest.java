package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.cli.Main;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.infer.LatencyBenchmark;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-stage pipeline as a user runs it, on tiny demo data with randomly initialised models
 * saved as runs (a det_tiny detection run, a resnet18 classifier checkpoint named with the demo's
 * classes): {@code jvision infer --two-stage CONFIG --input DIR --gt GT} writes valid
 * recognitions.json and the end-to-end score; {@code --benchmark} times each stage; bad config
 * files give one clear line.
 */
class TwoStageCliTest {
    private static final int CLASSES = 2;

    @TempDir
    static Path tmp;
    static Path data;
    static Path detRun;
    static Path clsCheckpoint;

    @BeforeAll
    static void fixtures() throws IOException {
        NativeRuntime.init();
        TorchSettings.setThreads(2);
        TorchSettings.seed(3);
        data = tmp.resolve("data");
        DetectionDemoData.generate(data, 1, 0, 3, CLASSES, 64, 9, 1);
        detRun = Files.createDirectories(tmp.resolve("runs/det"));
        Files.writeString(detRun.resolve("config.yaml"), """
                task: detection
                experiment: {name: det, seed: 7, output_dir: '%s', threads: 2, device: cpu}
                data: {root: '%s', img_size: 64}
                model: {name: det_tiny, num_classes: %d}
                detect: {conf: 0.001, max_det: 4}
                """.formatted(tmp.resolve("runs"), data, CLASSES));
        List<String> names = new ArrayList<>();
        long[] ids = new long[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            names.add(DetectionDemoData.className(c));
            ids[c] = c + 1;
        }
        new RunClasses(names, ids).write(detRun);
        Path w = Files.createDirectories(detRun.resolve("fold0")).resolve("best.safetensors");
        try (DetectionModel m = DetectionModel.create("det_tiny", CLASSES, 16)) {
            Weights.save(m, w, Map.of());
        }
        clsCheckpoint = Files.createDirectories(tmp.resolve("cls")).resolve("best.safetensors");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(CLASSES)); NoGradGuard ng = new NoGradGuard()) {
            Weights.save(m, clsCheckpoint, Map.of("format", "test"));
            ModelSpec s = m.spec();
            new CheckpointInfo("resnet18", CLASSES, 32, s.mean(), s.std(), 0, 1, 0.5, 0.5, 1.0, names,
                    "2026-01-01T00:00:00Z").write(CheckpointInfo.sidecarOf(clsCheckpoint));
        }
    }

    private static Path config(String name, String body) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, body);
        return f;
    }

    private static Path goodConfig() throws IOException {
        return config("two-stage.yaml", """
                detector: {run: runs/det}
                classifier: {checkpoint: cls/best.safetensors}
                crop_margin: 0.1
                conf: 0.001
                max_det: 3
                top_k: 5
                device: cpu
                threads: 2
                """);
    }

    @Test
    void twoStage_writesRecognitionsAndScore() throws IOException {
        Path out = tmp.resolve("out");
        Path gt = data.resolve("annotations/instances_test.json");
        assertEquals(0, Main.execute("infer", "--two-stage", goodConfig().toString(), "--input",
                data.resolve("images/test").toString(), "--out", out.toString(), "--gt", gt.toString()));

        JsonNode root = TwoStageInference.read(out.resolve(TwoStageInference.FILE));
        assertEquals(5, root.get("top_k").asInt());
        JsonNode images = root.get("images");
        CocoInstances truth = CocoInstances.read(gt);
        assertEquals(truth.images().size(), images.size());
        Set<String> files = new HashSet<>();
        truth.images().forEach(i -> files.add(i.fileName()));
        int objects = 0;
        for (JsonNode img : images) {
            assertTrue(files.contains(img.get("file").asText()), img.get("file").asText());
            assertTrue(img.get("objects").size() <= 3, "max_det 3");
            for (JsonNode o : img.get("objects")) {
                objects++;
                JsonNode box = o.get("bbox");
                assertEquals(4, box.size());
                assertTrue(box.get(0).asDouble() >= 0 && box.get(0).asDouble() + box.get(2).asDouble()
                        <= img.get("width").asDouble() + 0.01, box.toString());
                JsonNode top = o.get("top");
                assertEquals(CLASSES, top.size(), "top_k 5 of a 2-class classifier");
                double sum = 0;
                for (JsonNode c : top) {
                    assertTrue(c.get("name").asText().equals(DetectionDemoData.className(c.get("id").asInt())));
                    sum += c.get("probability").asDouble();
                }
                assertEquals(1.0, sum, 1e-4, "all classes' probabilities");
                assertTrue(top.get(0).get("probability").asDouble() >= top.get(1).get("probability").asDouble());
            }
        }
        assertTrue(objects > 0, "conf 0.001 keeps boxes of a random detector");

        JsonNode score = new ObjectMapper().readTree(out.resolve("two_stage_score.json").toFile());
        int gtBoxes = (int) truth.annotations().stream().filter(a -> !a.crowd()).count();
        assertEquals(gtBoxes, score.get("gt_boxes").asInt());
        assertEquals(objects, score.get("predicted_boxes").asInt());
        for (String k : List.of("top1", "top5")) {
            JsonNode c = score.get(k);
            assertEquals(gtBoxes, c.get("tp").asInt() + c.get("fn").asInt(), k);
            assertEquals(objects, c.get("tp").asInt() + c.get("fp").asInt(), k + " (no crowd regions in the demo data)");
        }
        assertTrue(score.get("top5").get("tp").asInt() >= score.get("top1").get("tp").asInt());
        assertTrue(score.get("detector").has("map50_95"));

        // the same images listed in a CSV: the same objects
        Path csv = tmp.resolve("list.csv");
        List<String> lines = new ArrayList<>(List.of("image"));
        try (Stream<Path> s = Files.list(data.resolve("images/test"))) {
            s.sorted().forEach(p -> lines.add("data/images/test/" + p.getFileName()));
        }
        Files.write(csv, lines);
        Path out2 = tmp.resolve("out-csv");
        assertEquals(0, Main.execute("infer", "--two-stage", goodConfig().toString(), "--input", csv.toString(), "--out",
                out2.toString()));
        JsonNode again = TwoStageInference.read(out2.resolve(TwoStageInference.FILE)).get("images");
        for (int i = 0; i < images.size(); i++) {
            assertEquals(images.get(i).get("objects"), again.get(i).get("objects"));
        }
    }

    @Test
    void benchmark_printsEveryStage() throws IOException {
        String twoStage = capture(() -> Main.execute("infer", "--two-stage", goodConfig().toString(), "--benchmark",
                "--input", data.resolve("images/test").toString(), "--warmup", "1", "--iterations", "3"));
        for (String row : List.of("decode+letterbox", "detector forward", "nms", "crop+classify", "total",
                "recognizer (end to end)", "input 64 x 64 px", "crops per image")) {
            assertTrue(twoStage.contains(row), row + " in\n" + twoStage);
        }
        String det = capture(() -> Main.execute("infer", "--run", detRun.toString(), "--benchmark", "--warmup", "0",
                "--iterations", "2"));
        assertTrue(det.contains("detector forward") && det.contains("boxes per image") && !det.contains("crop+classify"),
                det);

        try (DetectionModel m = DetectionModel.load("det_tiny", CLASSES, 16, detRun.resolve("fold0/best.safetensors"),
                Device.CPU)) {
            List<byte[]> imgs = List.of(Files.readAllBytes(firstTestImage()));
            LatencyBenchmark.PipelineResult r = LatencyBenchmark.detection(m, DetectionDecoder.Options.defaults().withConf(0.001)
                    .withMaxDet(2), 64, imgs, null, 0.1, 0, 4, Device.CPU);
            assertEquals(4, r.iterations());
            assertEquals(2.0, r.cropsPerImage(), 1e-9, "max_det 2 of a random detector at conf 0.001");
            double parts = r.stage("decode+letterbox").meanMs() + r.stage("detector forward").meanMs()
                    + r.stage("nms").meanMs();
            assertEquals(r.stage("total").meanMs(), parts, 1e-6, "the total is the sum of the stages");
        }
    }

    @Test
    void badConfig_oneClearLine() throws IOException {
        Path typo = config("typo.yaml", "detector: {run: runs/det}\nclassifier: {checkpoint: cls/best.safetensors}\n"
                + "crop_marign: 0.1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TwoStageConfig.read(typo));
        assertTrue(e.getMessage().contains("typo.yaml") && e.getMessage().contains("crop_marign"), e.getMessage());
        Path margin = config("margin.yaml", "detector: {run: runs/det}\nclassifier: {checkpoint: cls/best.safetensors}\n"
                + "crop_margin: 1.5\n");
        e = assertThrows(IllegalArgumentException.class, () -> TwoStageConfig.read(margin));
        assertTrue(e.getMessage().contains("crop_margin: 1.5") && e.getMessage().contains("[0, 1]"), e.getMessage());
        Path both = config("both.yaml", "detector: {run: runs/det}\nclassifier: {run: runs/det, checkpoint: x}\n");
        e = assertThrows(IllegalArgumentException.class, () -> TwoStageConfig.read(both));
        assertTrue(e.getMessage().contains("exactly one of"), e.getMessage());
        Path notDet = config("notdet.yaml", "detector: {run: cls}\nclassifier: {checkpoint: cls/best.safetensors}\n");
        e = assertThrows(IllegalArgumentException.class, () -> TwoStageConfig.read(notDet));
        assertTrue(e.getMessage().contains("detection run folder"), e.getMessage());
        assertEquals(2, Main.execute("infer", "--two-stage", typo.toString(), "--input", data.toString()));
        assertEquals(2, Main.execute("infer", "--two-stage", goodConfig().toString()), "no --input");
    }

    private static Path firstTestImage() throws IOException {
        try (Stream<Path> s = Files.list(data.resolve("images/test"))) {
            return s.sorted().findFirst().orElseThrow();
        }
    }

    private interface Cli {
        int run() throws IOException;
    }

    private static String capture(Cli cli) throws IOException {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, cli.run());
        } finally {
            System.setOut(old);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        assertFalse(s.isBlank());
        return s;
    }
}
