package dev.jvision.data.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.data.DataException;
import dev.jvision.data.ManifestValidator;
import dev.jvision.data.demo.DetectionDemoData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DetectionValidator} and {@link DetectionDataset#load}: one exact line per bad annotation or image. */
class DetectionValidatorTest {
    @TempDir Path dir;
    Path json;

    @BeforeEach
    void data() throws IOException {
        DetectionDemoData.generate(dir, 6, 0, 0, 4, 64, 11, 1);
        json = dir.resolve("annotations/instances_train.json");
    }

    @Test
    void coco_everyKindOfBadAnnotation_oneLineWithJsonPath() throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = (ObjectNode) om.readTree(json.toFile());
        ArrayNode anns = (ArrayNode) root.get("annotations");
        ArrayNode images = (ArrayNode) root.get("images");
        anns.add(ann(om, 901, 1, 1, 60, 10, 10, 10));  // outside: x + w = 70 > 64
        anns.add(ann(om, 902, 1, 1, 5, 5, 0, 10));    // zero width
        anns.add(ann(om, 903, 1, 99, 5, 5, 10, 10));  // unknown category
        anns.add(ann(om, 904, 77, 1, 5, 5, 10, 10));  // unknown image
        ((ObjectNode) anns.get(anns.size() - 1)).put("bbox", "oops");
        images.add(om.createObjectNode().put("id", 2).put("file_name", "000003.jpg").put("width", 64).put("height", 64));
        om.writeValue(json.toFile(), root);
        int n = anns.size();

        DetectionValidator.Report r = DetectionValidator.validate(DetectionSource.coco(dir, "train"),
                ManifestValidator.Check.HEADER);

        assertEquals(List.of(
                "instances_train.json: annotations[" + (n - 1) + "].bbox: \"oops\" (expected: [x, y, width, height], 4 numbers)",
                "instances_train.json: images[6].id: 2 (expected: unique; images[1] has it too)",
                "instances_train.json: annotations[" + (n - 4) + "].bbox: [60, 10, 10, 10] (expected: inside the 64x64 "
                        + "image 1: x >= 0, y >= 0, x + w <= 64, y + h <= 64)",
                "instances_train.json: annotations[" + (n - 3) + "].bbox: [5, 5, 0, 10] (expected: width and height > 0)",
                "instances_train.json: annotations[" + (n - 2) + "].category_id: 99 (expected: one of [1, 2, 3, 4])"),
                r.annotationProblems());
        assertEquals(List.of(), r.imageProblems());
        assertEquals(6, r.dataset().items().size());
        assertThrows(DataException.class, () -> DetectionDataset.load(DetectionSource.coco(dir, "train"), true));
    }

    @Test
    void badImages_failUnlessSkipped() throws IOException {
        Files.delete(dir.resolve("images/train/000002.jpg"));
        Path corrupt = dir.resolve("images/train/000004.jpg");
        byte[] b = Files.readAllBytes(corrupt);
        Files.write(corrupt, java.util.Arrays.copyOf(b, b.length / 2));
        DetectionSource src = DetectionSource.coco(dir, "train");

        DetectionValidator.Report r = DetectionValidator.validate(src, ManifestValidator.Check.HEADER);
        assertEquals(List.of(), r.annotationProblems());
        assertEquals(List.of(
                "instances_train.json: images[1].file_name '000002.jpg': missing file under " + dir.resolve("images/train"),
                "instances_train.json: images[3].file_name '000004.jpg': cannot decode image (truncated JPEG: no end marker)"),
                r.imageProblems());
        DataException e = assertThrows(DataException.class, () -> DetectionDataset.load(src, false));
        assertEquals(2, e.problems().size());
        DetectionDataset ds = DetectionDataset.load(src, true);
        assertEquals(List.of(1L, 3L, 5L, 6L), ds.items().stream().map(DetectionDataset.Item::imageId).toList());
        assertEquals(2, ds.skipped().size());
    }

    @Test
    void yolo_badLines_reportedAsFileAndLine() throws IOException {
        Path lbl = dir.resolve("labels/train/000001.txt");
        List<String> lines = new ArrayList<>(Files.readAllLines(lbl));
        lines.add("7 0.5 0.5 0.1 0.1");
        lines.add("1 0.95 0.5 0.2 0.1");
        lines.add("2 0.5 0.5 0 0.1");
        lines.add("2 0.5 0.5");
        lines.add("x 0.5 0.5 0.1 0.1");
        Files.write(lbl, lines);
        Files.writeString(dir.resolve("labels/train/999999.txt"), "0 0.5 0.5 0.1 0.1\n");
        int k = lines.size();

        DetectionValidator.Report r = DetectionValidator.validate(DetectionSource.yoloLayout(dir, "train", null),
                ManifestValidator.Check.HEADER);

        assertEquals(List.of(dir.resolve("labels/train/999999.txt") + ": label file without an image (expected: "
                + dir.resolve("images/train/999999") + ".jpg or another image type)"), r.imageProblems());
        assertEquals(List.of(
                lbl + ":" + (k - 1) + ": '2 0.5 0.5' (expected: 5 fields 'class cx cy w h', got 3)",
                lbl + ":" + k + ": 'x 0.5 0.5 0.1 0.1' (expected: an integer class and 4 numbers)",
                lbl + ":" + (k - 4) + ": '7 0.5 0.5 0.1 0.1' class 7 (expected: 0..3, the 4 classes of classes.txt)",
                lbl + ":" + (k - 3) + ": '1 0.95 0.5 0.2 0.1' box [0.85, 0.45, 1.05, 0.55] (expected: inside the image, "
                        + "cx -/+ w/2 and cy -/+ h/2 in [0, 1])",
                lbl + ":" + (k - 2) + ": '2 0.5 0.5 0 0.1' (expected: width and height > 0)"),
                r.annotationProblems());
    }

    @Test
    void yoloList_duplicatesAndLabelPaths() throws IOException {
        Path list = Files.writeString(dir.resolve("train.txt"), "image_path\nimages/train/000001.jpg\n"
                + "images/train/000002.jpg\nimages/train/000001.jpg\n");
        Files.copy(dir.resolve("classes.txt"), dir.resolve("classes.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        DetectionValidator.Report r = DetectionValidator.validate(DetectionSource.yoloManifest(list, null),
                ManifestValidator.Check.HEADER);
        assertEquals(List.of(list + ":4: 'images/train/000001.jpg' (expected: each image once; line 2 names it too)"),
                r.annotationProblems());
        assertEquals(2, r.dataset().items().size());
        DetectionValidator.Report coco = DetectionValidator.validate(DetectionSource.coco(dir, "train"),
                ManifestValidator.Check.NONE);
        assertEquals(coco.dataset().items().get(1).boxes().size(), r.dataset().items().get(1).boxes().size());
        assertEquals(dir.resolve("labels/x/a.txt").toAbsolutePath(),
                DetectionValidator.labelFor(dir.resolve("images/x/a.jpg")));
    }

    @Test
    void writeCoco_fromYolo_roundTripsThroughTheCocoReader() throws IOException {
        DetectionDataset y = DetectionDataset.load(DetectionSource.yoloLayout(dir, "train", null), false);
        Path out = dir.resolve("from_yolo.json");
        y.writeCoco(out, dir.resolve("images/train"));
        DetectionDataset c = DetectionDataset.load(DetectionSource.coco(out, dir.resolve("images/train")), false);
        assertEquals(y.items().size(), c.items().size());
        assertEquals(y.boxCount(), c.boxCount());
        assertEquals(y.classNames(), c.classNames());
        assertTrue(c.items().get(0).image().endsWith("000001.jpg"));
    }

    private static ObjectNode ann(ObjectMapper om, int id, int image, int cat, double x, double y, double w, double h) {
        ObjectNode a = om.createObjectNode().put("id", id).put("image_id", image).put("category_id", cat);
        a.putArray("bbox").add(x).add(y).add(w).add(h);
        return a.put("area", w * h).put("iscrowd", 0);
    }
}
