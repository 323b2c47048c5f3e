package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code detect-eval}, {@code demo-data --kind detection} and {@code validate-data --coco/--yolo} through {@link Main}. */
class DetectionCommandsTest {
    @TempDir Path dir;

    static Path fixture(String name) throws Exception {
        return Path.of(DetectionCommandsTest.class.getResource("/detection/" + name).toURI());
    }

    @Test
    void detectEval_printsPycocotoolsSummary_andWritesJson() throws Exception {
        Path out = dir.resolve("eval.json");
        MainTest.Result r = MainTest.run("detect-eval", "--gt", fixture("mixed_gt.json").toString(), "--detections",
                fixture("mixed_dt.json").toString(), "--json", out.toString(), "--per-class");
        assertEquals(0, r.code(), r.err());
        JsonNode expected = new ObjectMapper().readTree(fixture("mixed_expected.json").toFile());
        assertTrue(r.out().startsWith(expected.get("summary").textValue()), r.out());
        assertTrue(r.out().contains("(id 4) = -1 (no ground truth)"), r.out());
        JsonNode j = new ObjectMapper().readTree(out.toFile());
        assertEquals(expected.get("stats").get(1).doubleValue(), j.get("AP50").doubleValue(), 1e-9);
        assertEquals(0.0, j.get("per_class").get("3").doubleValue());

        MainTest.Result bad = MainTest.run("detect-eval", "--gt", fixture("mixed_gt.json").toString(), "--detections",
                fixture("mixed_gt.json").toString());
        assertEquals(2, bad.code());
        bad.assertNoStackTrace();
        assertTrue(bad.err().contains("mixed_gt.json: an object (expected: a JSON array of {image_id, category_id, bbox, "
                + "score})"), bad.err());
    }

    @Test
    void demoData_thenValidate_badAnnotationExitsTwo_badImageSkippable() throws Exception {
        Path data = dir.resolve("det");
        MainTest.Result gen = MainTest.run("demo-data", "--kind", "detection", "--images", "10", "--classes", "3",
                "--size", "64", "--out", data.toString(), "--seed", "5");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("wrote 10 train + 1 val + 1 test images"), gen.out());

        MainTest.Result ok = MainTest.run("validate-data", "--coco", data.resolve("annotations/instances_train.json")
                .toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("10 images (10 good)") && ok.out().contains("problems: none"), ok.out());

        Files.delete(data.resolve("images/train/000003.jpg"));
        MainTest.Result missing = MainTest.run("validate-data", "--yolo", data.toString(), "--split", "train");
        assertEquals(2, missing.code(), missing.out());
        assertTrue(missing.out().contains("bad images: 1\n    " + data.resolve("labels/train/000003.txt")
                + ": label file without an image"), missing.out());
        MainTest.Result skip = MainTest.run("validate-data", "--coco", data.resolve("annotations/instances_train.json")
                .toString(), "--on-bad-image", "skip");
        assertEquals(0, skip.code(), skip.out());
        assertTrue(skip.out().contains("images[2].file_name '000003.jpg': missing file under"), skip.out());

        Path lbl = data.resolve("labels/train/000001.txt");
        Files.writeString(lbl, Files.readString(lbl) + "0 0.5 0.5 -0.1 0.2\n");
        MainTest.Result bad = MainTest.run("validate-data", "--yolo", data.toString(), "--on-bad-image", "skip");
        assertEquals(2, bad.code(), bad.out());
        int line = Files.readAllLines(lbl).size();
        assertTrue(bad.out().contains(lbl + ":" + line + ": '0 0.5 0.5 -0.1 0.2' (expected: width and height > 0)"),
                bad.out());
    }
}
