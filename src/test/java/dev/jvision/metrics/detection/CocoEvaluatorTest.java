package dev.jvision.metrics.detection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.CocoResults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link CocoEvaluator} against pycocotools' numbers on the fixtures of scripts/make_coco_fixtures.py. */
class CocoEvaluatorTest {
    static Path fixture(String name) throws Exception {
        return Path.of(CocoEvaluatorTest.class.getResource("/detection/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixed", "ties", "crowd", "areas", "zero_id", "random"})
    void evaluate_equalsPycocotools(String name) throws Exception {
        CocoInstances gt = CocoInstances.read(fixture(name + "_gt.json"));
        List<CocoResults.Entry> dt = CocoResults.read(fixture(name + "_dt.json"));
        JsonNode expected = new ObjectMapper().readTree(fixture(name + "_expected.json").toFile());

        CocoEvalResult r = CocoEvaluator.evaluate(gt, dt);

        double[] stats = r.stats();
        for (int i = 0; i < 12; i++) {
            assertEquals(expected.get("stats").get(i).doubleValue(), stats[i], 1e-6,
                    name + ": " + CocoEvalResult.STAT_NAMES.get(i));
        }
        Map<Long, Double> perClass = r.perClassAp();
        assertEquals(expected.get("per_class").size(), perClass.size(), name + ": categories");
        expected.get("per_class").fields().forEachRemaining(e ->
                assertEquals(e.getValue().doubleValue(), perClass.get(Long.parseLong(e.getKey())), 1e-6,
                        name + ": AP of category " + e.getKey()));
        assertEquals(expected.get("summary").textValue(), r.summary(), name + ": summary text");
    }

    @Test
    void linspace_matchesNumpyBitForBit() {
        assertEquals(0.8999999999999999, CocoEvaluator.IOU_THRESHOLDS[8]);
        assertEquals(0.75, CocoEvaluator.IOU_THRESHOLDS[5]);
        assertEquals(0.5700000000000001, CocoEvaluator.RECALL_POINTS[57]);
        assertEquals(101, CocoEvaluator.RECALL_POINTS.length);
    }

    @Test
    void perfectDetections_giveOne_andCurveIsFlat() throws Exception {
        CocoInstances gt = CocoInstances.read(fixture("mixed_gt.json"));
        List<CocoResults.Entry> dt = new ArrayList<>();
        for (CocoInstances.Annotation a : gt.annotations()) {
            if (!a.crowd()) dt.add(new CocoResults.Entry(a.imageId(), a.categoryId(), a.x(), a.y(), a.w(), a.h(), 0.9));
        }
        CocoEvalResult r = CocoEvaluator.evaluate(gt, dt);
        assertEquals(1.0, r.map(), 1e-12);
        assertEquals(1.0, r.map50(), 1e-12);
        assertEquals(-1.0, r.perClassAp().get(4L)); // no ground truth
        double[] curve = r.precisionCurve(1, 0.5);
        assertEquals(101, curve.length);
        for (double v : curve) assertEquals(1.0, v, 1e-12);
    }

    @Test
    void detectionOnUnknownImage_isAnError() throws Exception {
        CocoInstances gt = CocoInstances.read(fixture("mixed_gt.json"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CocoEvaluator.evaluate(gt,
                List.of(new CocoResults.Entry(99, 1, 0, 0, 10, 10, 0.5))));
        assertEquals("detections[0].image_id: 99 (expected: an image id of the ground truth)", e.getMessage());
    }

    @Test
    void resultsFile_roundTrips_andJsonHasTheKeys(@TempDir Path dir) throws Exception {
        CocoInstances gt = CocoInstances.read(fixture("crowd_gt.json"));
        List<CocoResults.Entry> dt = CocoResults.read(fixture("crowd_dt.json"));
        Path out = dir.resolve("sub/detections.json");
        CocoResults.write(out, dt);
        assertEquals(dt, CocoResults.read(out));
        CocoEvalResult r = CocoEvaluator.evaluate(gt, CocoResults.read(out));
        Path json = dir.resolve("eval.json");
        r.writeJson(json);
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        for (String k : CocoEvalResult.STAT_NAMES) assertTrue(n.has(k), k);
        assertEquals(r.map(), n.get("AP").doubleValue());
        assertArrayEquals(new String[] {"1", "2"}, iterator(n.get("per_class")));
        try (var s = Files.list(dir.resolve("sub"))) {
            assertEquals(1, s.count()); // no temporary file left
        }
    }

    private static String[] iterator(JsonNode obj) {
        List<String> keys = new ArrayList<>();
        obj.fieldNames().forEachRemaining(keys::add);
        return keys.toArray(new String[0]);
    }
}
