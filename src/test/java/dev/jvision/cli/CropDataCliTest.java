package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.data.Images;
import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.data.detection.CocoInstances;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvision crop-data} on tiny demo detection data: one crop per annotation (crowd and tiny
 * boxes skipped), COCO category names in meta.csv, the right targets, a crop's pixels equal to its
 * source region (margin grown, floor/ceil, clipped), the test split's CSVs; bad inputs (missing
 * image, box outside the image, unknown category) exit 2 with one line naming file and JSON path.
 */
class CropDataCliTest {
    private static final int CLASSES = 3;

    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void fixtures() throws IOException {
        data = tmp.resolve("data");
        DetectionDemoData.generate(data, 3, 2, 0, CLASSES, 128, 5, 1);
        // one crowd box and one 2-pixel box on image 1: both must be skipped
        Path json = data.resolve("annotations/instances_train.json");
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = (ObjectNode) om.readTree(json.toFile());
        ArrayNode anns = (ArrayNode) root.get("annotations");
        anns.add(ann(om, 901, 1, 2, 10, 10, 20, 20).put("iscrowd", 1));
        anns.add(ann(om, 902, 1, 1, 30, 30, 2, 9));
        om.writeValue(json.toFile(), root);
    }

    private static ObjectNode ann(ObjectMapper om, int id, int image, int cat, double... bbox) {
        ObjectNode a = om.createObjectNode().put("id", id).put("image_id", image).put("category_id", cat)
                .put("area", bbox[2] * bbox[3]).put("iscrowd", 0);
        ArrayNode b = a.putArray("bbox");
        for (double v : bbox) b.add(v);
        return a;
    }

    private static boolean small(CocoInstances.Annotation a) {
        return a.w() < 4 || a.h() < 4;
    }

    private static Map<String, String> csv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        assertEquals("ID,target", lines.get(0).replace("target,class_name", "ID,target"), file.toString());
        Map<String, String> m = new HashMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] p = l.split(",");
            m.put(p[0], p[1]);
        }
        return m;
    }

    @Test
    void cropsEveryBox_namesAndLabels_pixelsOfTheSourceRegion() throws Exception {
        Path out = tmp.resolve("crops");
        double margin = 0.1;
        MainTest.Result r = MainTest.run("crop-data", "--coco", data.resolve("annotations/instances_train.json").toString(),
                "--images", data.resolve("images/train").toString(),
                "--test-coco", data.resolve("annotations/instances_val.json").toString(),
                "--test-images", data.resolve("images/val").toString(), "--out", out.toString(),
                "--margin", String.valueOf(margin));
        assertEquals(0, r.code(), r.out() + r.err());
        CocoInstances train = CocoInstances.read(data.resolve("annotations/instances_train.json"));
        CocoInstances val = CocoInstances.read(data.resolve("annotations/instances_val.json"));
        int tiny = (int) train.annotations().stream().filter(a -> !a.crowd() && small(a)).count()
                + (int) val.annotations().stream().filter(CropDataCliTest::small).count();
        assertTrue(tiny >= 1, "the added 2-pixel box");
        assertTrue(r.out().contains("skipped 1 crowd, " + tiny + " under 4.0 px"), r.out());

        Map<String, String> meta = csv(out.resolve("meta.csv"));
        assertEquals(CLASSES, meta.size());
        for (int c = 0; c < CLASSES; c++) assertEquals(DetectionDemoData.className(c), meta.get(String.valueOf(c)));

        Map<String, String> trainCsv = csv(out.resolve("train.csv"));
        assertEquals(train.annotations().stream().filter(a -> !a.crowd() && !small(a)).count(), trainCsv.size(),
                "one crop per box, crowd and tiny skipped");
        assertFalse(trainCsv.containsKey("000001_901.png"), "crowd box skipped");
        assertFalse(trainCsv.containsKey("000001_902.png"), "tiny box skipped");
        for (CocoInstances.Annotation a : train.annotations()) {
            if (a.crowd() || small(a)) continue;
            String id = String.format("%06d_%d.png", a.imageId(), a.id());
            assertEquals(String.valueOf(a.categoryId() - 1), trainCsv.get(id), id);
            assertTrue(Files.isRegularFile(out.resolve("train").resolve(id)), id);
        }

        // the first kept box's crop, pixel for pixel, against the source region cut here by hand
        CocoInstances.Annotation a = train.annotations().stream().filter(b -> !small(b)).findFirst().orElseThrow();
        Images.Rgb src = Images.decode(data.resolve("images/train").resolve(String.format("%06d.jpg", a.imageId())));
        Images.Rgb crop = Images.decode(out.resolve("train").resolve(String.format("%06d_%d.png", a.imageId(), a.id())));
        int x1 = (int) Math.max(0, Math.floor(a.x() - margin * a.w()));
        int y1 = (int) Math.max(0, Math.floor(a.y() - margin * a.h()));
        int x2 = (int) Math.min(src.w(), Math.ceil(a.x() + a.w() + margin * a.w()));
        int y2 = (int) Math.min(src.h(), Math.ceil(a.y() + a.h() + margin * a.h()));
        assertEquals(x2 - x1, crop.w());
        assertEquals(y2 - y1, crop.h());
        byte[] expected = new byte[crop.w() * crop.h() * 3];
        for (int y = 0; y < crop.h(); y++) {
            System.arraycopy(src.pixels(), ((y1 + y) * src.w() + x1) * 3, expected, y * crop.w() * 3, crop.w() * 3);
        }
        assertArrayEquals(expected, crop.pixels(), "crop = source region");

        Map<String, String> labels = csv(out.resolve("test_labels.csv"));
        Map<String, String> sample = csv(out.resolve("sample_submission.csv"));
        assertEquals(val.annotations().stream().filter(b -> !small(b)).count(), labels.size());
        assertEquals(labels.keySet(), sample.keySet());
        assertTrue(sample.values().stream().allMatch("0"::equals));
        for (String id : labels.keySet()) assertTrue(Files.isRegularFile(out.resolve("test").resolve(id)), id);
    }

    @Test
    void sizeResizesEveryCrop() throws Exception {
        Path out = tmp.resolve("sized");
        MainTest.Result r = MainTest.run("crop-data", "--coco", data.resolve("annotations/instances_val.json").toString(),
                "--images", data.resolve("images/val").toString(), "--out", out.toString(), "--size", "24");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(Files.exists(out.resolve("test_labels.csv")), "no test split asked for");
        List<Path> crops;
        try (var s = Files.list(out.resolve("train"))) {
            crops = new ArrayList<>(s.toList());
        }
        assertEquals(csv(out.resolve("train.csv")).size(), crops.size());
        for (Path p : crops) {
            Images.Rgb img = Images.decode(p);
            assertEquals(24, img.w(), p.toString());
            assertEquals(24, img.h(), p.toString());
        }
    }

    @Test
    void badInputs_oneLineNamingFileAndPath_exitTwo() throws Exception {
        String[][] cases = {
                // {edit, expected message part}
                {"outside", "instances_bad.json: annotations[0].bbox: [120.0, 10.0, 10.0, 10.0] (expected: inside its image"},
                {"category", "instances_bad.json: annotations[0].category_id: 99 (expected: an id of categories)"},
                {"missing", "instances_bad.json: images[0].file_name: 'nope.jpg':"},
        };
        for (String[] c : cases) {
            ObjectMapper om = new ObjectMapper();
            ObjectNode root = (ObjectNode) om.readTree(data.resolve("annotations/instances_val.json").toFile());
            ArrayNode anns = (ArrayNode) root.get("annotations");
            long img = anns.get(0).get("image_id").asLong();
            switch (c[0]) {
                case "outside" -> anns.set(0, ann(om, 9001, (int) img, 1, 120, 10, 10, 10));
                case "category" -> ((ObjectNode) anns.get(0)).put("category_id", 99);
                default -> {
                    for (var im : root.get("images")) {
                        if (im.get("id").asLong() == img) ((ObjectNode) im).put("file_name", "nope.jpg");
                    }
                    ((ObjectNode) anns.get(0)).putArray("bbox").add(10).add(10).add(20).add(20);
                }
            }
            Path json = tmp.resolve("bad-" + c[0]).resolve("instances_bad.json");
            Files.createDirectories(json.getParent());
            om.writeValue(json.toFile(), root);
            MainTest.Result r = MainTest.run("crop-data", "--coco", json.toString(),
                    "--images", data.resolve("images/val").toString(), "--out", tmp.resolve("out-" + c[0]).toString());
            assertEquals(2, r.code(), c[0] + ": " + r.out() + r.err());
            String line = r.err().lines().filter(l -> l.contains(c[1])).findFirst().orElse(null);
            assertTrue(line != null, c[0] + " names file and path: " + c[1] + "\n" + r.err());
            assertFalse(Files.exists(tmp.resolve("out-" + c[0]).resolve("train.csv")), c[0] + ": no train.csv");
        }
    }
}
