package dev.jvision.data.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.ManifestValidator;
import dev.jvision.data.detection.BoxLabel;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.DetectionDataset;
import dev.jvision.data.detection.DetectionSource;
import dev.jvision.data.detection.DetectionValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DetectionDemoData}: deterministic bytes, consistent COCO and YOLO labels, boxes on the objects. */
class DetectionDemoDataTest {
    @TempDir Path dir;

    @Test
    void sameSeed_identicalBytes_whateverTheThreads_otherSeedDiffers() throws IOException {
        DetectionDemoData.generate(dir.resolve("a"), 10, 2, 2, 5, 96, 42, 1);
        DetectionDemoData.generate(dir.resolve("b"), 10, 2, 2, 5, 96, 42, 3);
        DetectionDemoData.generate(dir.resolve("c"), 10, 2, 2, 5, 96, 43, 2);
        TreeMap<String, String> a = hashes(dir.resolve("a"));
        assertEquals(14 * 2 + 3 + 1, a.size(), a.keySet().toString()); // images + labels, 3 JSON, classes.txt
        assertEquals(a, hashes(dir.resolve("b")));
        assertNotEquals(a.get("images/train/000001.jpg"), hashes(dir.resolve("c")).get("images/train/000001.jpg"));
    }

    @Test
    void cocoAndYolo_describeTheSameBoxes_insideTheImage() throws IOException {
        Path out = dir.resolve("d");
        DetectionDemoData.Summary s = DetectionDemoData.generate(out, 30, 3, 3, 20, 128, 7, 2);
        assertArrayEquals(new int[] {30, 3, 3}, s.images());
        assertTrue(s.objects()[0] >= 30, "about 6 objects per image: " + s.objects()[0]);
        DetectionValidator.Report coco = DetectionValidator.validate(DetectionSource.coco(out, "train"),
                ManifestValidator.Check.DECODE);
        DetectionValidator.Report yolo = DetectionValidator.validate(DetectionSource.yoloLayout(out, "train", null),
                ManifestValidator.Check.HEADER);
        assertEquals(List.of(), coco.annotationProblems());
        assertEquals(List.of(), coco.imageProblems());
        assertEquals(List.of(), yolo.annotationProblems());
        assertEquals(s.objects()[0], coco.boxes());
        assertEquals(DetectionDemoData.className(2), coco.dataset().classNames().get(2));
        assertEquals(coco.dataset().classNames(), yolo.dataset().classNames());
        List<DetectionDataset.Item> ci = coco.dataset().items();
        List<DetectionDataset.Item> yi = yolo.dataset().items();
        assertEquals(30, ci.size());
        for (int i = 0; i < ci.size(); i++) {
            assertTrue(ci.get(i).boxes().size() <= 12);
            assertEquals(ci.get(i).boxes().size(), yi.get(i).boxes().size());
            for (int j = 0; j < ci.get(i).boxes().size(); j++) {
                BoxLabel c = ci.get(i).boxes().get(j);
                BoxLabel y = yi.get(i).boxes().get(j);
                assertEquals(c.classId(), y.classId());
                assertEquals(c.x1(), y.x1(), 0.02);
                assertEquals(c.y2(), y.y2(), 0.02);
                assertTrue(c.x1() >= 0 && c.y1() >= 0 && c.x2() <= 128 && c.y2() <= 128 && c.width() > 1);
            }
        }
        assertEquals(30 + 1, CocoInstances.read(out.resolve("annotations/instances_val.json")).images().get(0).id());
    }

    @Test
    void boxes_insideTheImage_andOutlineBoundsAreTight() {
        java.util.Random r = new java.util.Random(5);
        for (int trial = 0; trial < 20; trial++) {
            TrayRenderer.Rendered img = TrayRenderer.render(160, 160, 8, new java.util.Random(r.nextLong()));
            for (TrayRenderer.Placed p : img.objects()) {
                assertTrue(p.x1() >= 0 && p.y1() >= 0 && p.x2() <= 160 && p.y2() <= 160, p.toString());
                assertTrue(p.x2() - p.x1() >= 3 && p.y2() - p.y1() >= 3, p.toString());
            }
        }
        double[] b = TrayRenderer.flatBounds(new java.awt.geom.Ellipse2D.Double(10, 20, 30, 40));
        assertArrayEquals(new double[] {10, 20, 40, 60}, b, 1e-9);
        java.awt.Shape rotated = java.awt.geom.AffineTransform.getRotateInstance(Math.PI / 4)
                .createTransformedShape(new java.awt.geom.Ellipse2D.Double(-20, -20, 40, 40));
        assertArrayEquals(new double[] {-20, -20, 20, 20}, TrayRenderer.flatBounds(rotated), 0.05);
    }

    @Test
    void badArguments_nameTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DetectionDemoData.generate(dir, 10, 1, 1, 0, 96, 1, 1));
        assertEquals("classes: 0 (expected: in [1, 400])", e.getMessage());
    }

    private static TreeMap<String, String> hashes(Path root) throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                m.put(root.relativize(p).toString().replace('\\', '/'), sha(Files.readAllBytes(p)));
            }
        }
        return m;
    }

    private static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
