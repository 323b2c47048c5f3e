package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.cli.Main;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.track.TensorBoardReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvision pipeline} on a detection config over tiny demo photos: one run folder with the
 * training's files, the best epoch's validation evaluation and the test split's
 * ({@code eval_val.json}, {@code eval_test.json}: 12 COCO numbers, per-class AP, PR curves at IoU
 * 0.5 whose all-class mean is AP50), the test split's {@code detections.json} exactly as
 * {@code jvision infer --run} writes it, TensorBoard mAP scalars and a report with the mAP, AP
 * per class and PR charts; {@code --resume-run} reuses the trained run.
 */
class DetectionPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void pipeline_trainsScoresPredictsAndReports() throws IOException {
        Path data = tmp.resolve("data");
        DetectionDemoData.generate(data, 8, 4, 3, 2, 64, 9, 1);
        String yaml = """
                task: detection
                experiment: {name: detpipe, seed: 7, output_dir: '%s', threads: 1, deterministic: true, device: cpu}
                data: {root: '%s', img_size: 64, prefetch: 1}
                model: {name: det_tiny, num_classes: 2}
                detect: {close_mosaic: 1, val_max_det: 20, conf: 0.01}
                train: {epochs: 2, batch_size: 4, lr: 2.0e-3, warmup_epochs: 0.5, n_folds: 1}
                infer: {batch_size: 4}
                """.formatted(tmp.resolve("runs"), data);
        Path cfg = tmp.resolve("det.yaml");
        Files.writeString(cfg, yaml);
        assertEquals(0, Main.execute("pipeline", "--config", cfg.toString()));
        Path run;
        try (Stream<Path> s = Files.list(tmp.resolve("runs"))) {
            run = s.findFirst().orElseThrow();
        }
        for (String f : List.of("metrics.csv", "result.json", "classes.json", "fold0/best.safetensors", "detections.json",
                "eval_val.json", "eval_test.json", "report.html", "plots/map.png", "plots/pr_val.png", "plots/pr_test.png",
                "plots/ap_per_class_test.png")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        ObjectMapper om = new ObjectMapper();
        JsonNode val = om.readTree(run.resolve("eval_val.json").toFile());
        JsonNode result = om.readTree(run.resolve("result.json").toFile());
        assertEquals(result.get("val_map50").asDouble(), val.get("AP50").asDouble(), 1e-9, "eval_val.json is the best epoch's");
        assertEquals(result.get("best_epoch").asInt(), val.get("epoch").asInt());
        for (JsonNode e : List.of(val, om.readTree(run.resolve("eval_test.json").toFile()))) {
            JsonNode pr = e.get("pr_iou50");
            assertEquals(101, pr.get("recall").size());
            assertEquals(101, pr.get("all").size());
            double area = 0;
            for (JsonNode v : pr.get("all")) area += v.asDouble();
            assertEquals(e.get("AP50").asDouble(), area / 101, 1e-9, "the all-class curve's mean is AP50: " + e.get("split"));
            assertEquals(2, e.get("per_class").size());
            assertEquals(RunClasses.read(run).names().get(0), e.get("per_class").get(0).get("name").asText());
        }

        // detections.json is what `jvision infer --run` writes
        Path again = tmp.resolve("again");
        assertEquals(0, Main.execute("infer", "--run", run.toString(), "--out", again.toString()));
        assertArrayEquals(Files.readAllBytes(again.resolve("detections.json")), Files.readAllBytes(run.resolve("detections.json")));

        String html = Files.readString(run.resolve("report.html"));
        for (String s : List.of("Evaluation on the val split", "Evaluation on the test split", "AP per class",
                "Precision-recall at IoU 0.50", "mAP50-95")) {
            assertTrue(html.contains(s), s);
        }
        Path events;
        try (Stream<Path> s = Files.list(run.resolve("tensorboard"))) {
            events = s.filter(p -> p.getFileName().toString().startsWith("events")).findFirst().orElseThrow();
        }
        Set<String> tags = TensorBoardReader.read(events).scalars().stream().map(TensorBoardReader.Scalar::tag)
                .collect(Collectors.toSet());
        assertTrue(tags.containsAll(List.of("fold0/val_map50", "fold0/val_map50_95")), "TensorBoard tags " + tags);

        // a trained run: no training, the same detections
        byte[] before = Files.readAllBytes(run.resolve("detections.json"));
        assertEquals(0, Main.execute("pipeline", "--config", cfg.toString(), "--resume-run", run.toString()));
        try (Stream<Path> s = Files.list(tmp.resolve("runs"))) {
            assertEquals(1, s.count(), "no new run folder");
        }
        assertArrayEquals(before, Files.readAllBytes(run.resolve("detections.json")));
        assertEquals(2, Main.execute("pipeline", "--config", cfg.toString(), "--resume-run", tmp.toString()),
                "a folder that is not a trained detection run");
    }
}
