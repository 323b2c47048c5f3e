package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.data.demo.DetectionDemoData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad detection annotations through the CLI: {@code jvision train} on a detection config and
 * {@code jvision validate-data --coco} on its training split exit 2 with one line per problem
 * (JSON path, the value, what was expected): a box outside the image, a zero-size box, an unknown
 * category, a duplicate image id and a missing image file; nothing is trained.
 */
class DetectionBadDataCliTest {
    @TempDir
    Path tmp;

    private static ObjectNode ann(ObjectMapper om, int id, int image, int cat, double... bbox) {
        ObjectNode a = om.createObjectNode().put("id", id).put("image_id", image).put("category_id", cat)
                .put("area", bbox[2] * bbox[3]).put("iscrowd", 0);
        ArrayNode b = a.putArray("bbox");
        for (double v : bbox) b.add(v);
        return a;
    }

    @Test
    void badAnnotations_oneLineEach_exitTwo() throws Exception {
        Path data = tmp.resolve("data");
        DetectionDemoData.generate(data, 6, 2, 1, 3, 64, 11, 1);
        Path json = data.resolve("annotations/instances_train.json");
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = (ObjectNode) om.readTree(json.toFile());
        ArrayNode anns = (ArrayNode) root.get("annotations");
        ArrayNode images = (ArrayNode) root.get("images");
        anns.add(ann(om, 901, 1, 1, 60, 10, 10, 10));   // outside: x + w = 70 > 64
        anns.add(ann(om, 902, 1, 1, 5, 5, 0, 10));      // zero width
        anns.add(ann(om, 903, 1, 99, 5, 5, 10, 10));    // unknown category
        images.add(om.createObjectNode().put("id", 2).put("file_name", "000004.jpg").put("width", 64).put("height", 64));
        om.writeValue(json.toFile(), root);
        int n = anns.size();
        String missing = images.get(4).get("file_name").asText();
        Files.delete(data.resolve("images/train").resolve(missing));
        List<String> expected = List.of(
                "instances_train.json: images[6].id: 2 (expected: unique; images[1] has it too)",
                "instances_train.json: annotations[" + (n - 3) + "].bbox: [60, 10, 10, 10] (expected: inside the 64x64 "
                        + "image 1: x >= 0, y >= 0, x + w <= 64, y + h <= 64)",
                "instances_train.json: annotations[" + (n - 2) + "].bbox: [5, 5, 0, 10] (expected: width and height > 0)",
                "instances_train.json: annotations[" + (n - 1) + "].category_id: 99 (expected: one of [1, 2, 3])",
                "images[4].file_name '" + missing + "': missing file under");

        MainTest.Result v = MainTest.run("validate-data", "--coco", json.toString());
        assertEquals(2, v.code(), v.out() + v.err());
        for (String line : expected) {
            assertTrue(v.out().contains(line), "validate-data names: " + line + "\n" + v.out());
        }

        Path cfg = tmp.resolve("det.yaml");
        Files.writeString(cfg, """
                task: detection
                experiment: {name: bad, seed: 1, output_dir: '%s', threads: 1, device: cpu}
                data: {root: '%s', img_size: 64}
                model: {name: det_tiny, num_classes: 3}
                train: {epochs: 1, batch_size: 4, n_folds: 1}
                """.formatted(tmp.resolve("runs"), data));
        MainTest.Result t = MainTest.run("train", "--config", cfg.toString());
        assertEquals(2, t.code(), t.out() + t.err());
        List<String> lines = t.err().lines().toList();
        for (String line : expected) {
            assertEquals(1, lines.stream().filter(l -> l.contains(line)).count(),
                    "jvision train names, on one line: " + line + "\n" + t.err());
        }
        assertFalse(Files.exists(tmp.resolve("runs")) && Files.list(tmp.resolve("runs")).findAny().isPresent(),
                "no run folder for bad data");
    }
}
