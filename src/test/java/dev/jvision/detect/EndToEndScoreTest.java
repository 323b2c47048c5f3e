package dev.jvision.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.data.detection.CocoInstances;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The end-to-end match on hand-made cases: each case's counts are worked out in its comment. */
class EndToEndScoreTest {
    @TempDir
    Path tmp;

    /** Image 1 (and 2, empty unless a case adds to it); categories 1 "a", 2 "b". */
    private CocoInstances gt(double[]... boxes) throws IOException {
        List<CocoInstances.Annotation> anns = new ArrayList<>();
        for (int i = 0; i < boxes.length; i++) {
            double[] b = boxes[i];
            // {image, category, x, y, w, h, crowd}
            anns.add(new CocoInstances.Annotation(i + 1, (long) b[0], (long) b[1], b[2], b[3], b[4], b[5], b[4] * b[5],
                    b[6] != 0, i));
        }
        Path f = tmp.resolve("gt" + System.nanoTime() + ".json");
        CocoInstances.write(f, List.of(new CocoInstances.Image(1, "one.jpg", 100, 100, 0),
                        new CocoInstances.Image(2, "two.jpg", 100, 100, 1)),
                List.of(new CocoInstances.Category(1, "a", 0), new CocoInstances.Category(2, "b", 1)), anns);
        return CocoInstances.read(f);
    }

    private static EndToEndScore.Predicted p(long image, double x, double y, double w, double h, double score, String... top) {
        return new EndToEndScore.Predicted(image, x, y, x + w, y + h, score, top[0], List.of(top));
    }

    @Test
    void rightBoxWrongClass_isFalsePositiveAndMiss_butTop5Hit() throws IOException {
        CocoInstances gt = gt(new double[] {1, 2, 10, 10, 20, 20, 0});
        List<EndToEndScore.Predicted> preds = List.of(p(1, 10, 10, 20, 20, 0.9, "a", "b"));
        assertEquals(new EndToEndScore.Counts(0, 1, 1), EndToEndScore.match(gt, preds, 1, 0.5));
        assertEquals(new EndToEndScore.Counts(1, 0, 0), EndToEndScore.match(gt, preds, 5, 0.5));
    }

    @Test
    void duplicate_isFalsePositive_andTheHigherScoreMatches() throws IOException {
        CocoInstances gt = gt(new double[] {1, 1, 10, 10, 20, 20, 0});
        // the lower-scored copy is listed first: the order of matching is by score, so it is the false positive
        List<EndToEndScore.Predicted> preds = List.of(p(1, 11, 11, 20, 20, 0.3, "a"), p(1, 10, 10, 20, 20, 0.9, "a"));
        EndToEndScore.Counts c = EndToEndScore.match(gt, preds, 1, 0.5);
        assertEquals(new EndToEndScore.Counts(1, 1, 0), c);
        assertEquals(0.5, c.precision(), 1e-12);
        assertEquals(1.0, c.recall(), 1e-12);
        assertEquals(2.0 / 3, c.f1(), 1e-12);
    }

    @Test
    void miss_andBoxBelowIouHalf_countAgainstRecall() throws IOException {
        // a: found; b at (60, 60): predicted box overlaps it with IoU 0.47 -> a false positive and a miss
        CocoInstances gt = gt(new double[] {1, 1, 10, 10, 20, 20, 0}, new double[] {1, 2, 60, 60, 20, 20, 0},
                new double[] {2, 1, 0, 0, 30, 30, 0});
        double shift = 20 - Math.sqrt(0.47 * 2 / 1.47 * 400); // overlap area = 400 * 2 * 0.47 / 1.47 gives IoU 0.47
        List<EndToEndScore.Predicted> preds = List.of(p(1, 10, 10, 20, 20, 0.9, "a"),
                p(1, 60 + shift, 60 + shift, 20, 20, 0.8, "b"));
        assertTrue(EndToEndScore.iou(preds.get(1), gt.annotations().get(1)) < 0.5);
        assertEquals(new EndToEndScore.Counts(1, 1, 2), EndToEndScore.match(gt, preds, 1, 0.5));
    }

    @Test
    void top5_countsTheFifthName_notTheSixth() throws IOException {
        CocoInstances gt = gt(new double[] {1, 2, 10, 10, 20, 20, 0});
        List<EndToEndScore.Predicted> fifth = List.of(p(1, 10, 10, 20, 20, 0.9, "x1", "x2", "x3", "x4", "b", "x6"));
        List<EndToEndScore.Predicted> sixth = List.of(p(1, 10, 10, 20, 20, 0.9, "x1", "x2", "x3", "x4", "x5", "b"));
        assertEquals(new EndToEndScore.Counts(1, 0, 0), EndToEndScore.match(gt, fifth, 5, 0.5));
        assertEquals(new EndToEndScore.Counts(0, 1, 1), EndToEndScore.match(gt, sixth, 5, 0.5));
    }

    @Test
    void boxInCrowdRegion_isIgnored_crowdIsNoMiss() throws IOException {
        CocoInstances gt = gt(new double[] {1, 1, 0, 0, 50, 50, 1}, new double[] {1, 1, 60, 60, 20, 20, 0});
        List<EndToEndScore.Predicted> preds = List.of(p(1, 5, 5, 10, 10, 0.9, "a"), p(1, 60, 60, 20, 20, 0.8, "a"));
        assertEquals(new EndToEndScore.Counts(1, 0, 0), EndToEndScore.match(gt, preds, 1, 0.5));
    }

    @Test
    void score_perfectPredictions_giveOnesAndDetectorMap() throws IOException {
        CocoInstances gt = gt(new double[] {1, 1, 10, 10, 20, 20, 0}, new double[] {1, 2, 50, 50, 30, 30, 0});
        List<EndToEndScore.Predicted> preds = List.of(p(1, 10, 10, 20, 20, 0.9, "a", "b"), p(1, 50, 50, 30, 30, 0.8, "b", "a"));
        EndToEndScore.Result r = EndToEndScore.score(gt, preds);
        assertEquals(1.0, r.top1().f1(), 1e-12);
        assertEquals(1.0, r.map50(), 1e-9);
        assertEquals(1.0, r.map5095(), 1e-9);
        assertFalse(r.classAgnostic());
        JsonNode j = new ObjectMapper().readTree(r.toJson().toString());
        assertEquals(2, j.get("top5").get("tp").asInt());
        assertEquals(2, j.get("gt_boxes").asInt());
        assertTrue(r.table().contains("top-5"), r.table());
    }

    @Test
    void score_detectorClassOutsideTheCategories_isClassAgnostic() throws IOException {
        CocoInstances gt = gt(new double[] {1, 1, 10, 10, 20, 20, 0}, new double[] {1, 2, 50, 50, 30, 30, 0});
        List<EndToEndScore.Predicted> preds = List.of(
                new EndToEndScore.Predicted(1, 10, 10, 30, 30, 0.9, "object", List.of("a")),
                new EndToEndScore.Predicted(1, 50, 50, 80, 80, 0.8, "object", List.of("a")));
        EndToEndScore.Result r = EndToEndScore.score(gt, preds);
        assertTrue(r.classAgnostic());
        assertEquals(1.0, r.map50(), 1e-9, "both boxes found, whatever their class");
        assertEquals(new EndToEndScore.Counts(1, 1, 1), r.top1(), "the second box is named wrongly");
    }

    @Test
    void badInput_namesTheProblem() throws IOException {
        CocoInstances gt = gt(new double[] {1, 1, 10, 10, 20, 20, 0});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EndToEndScore.match(gt, List.of(p(7, 0, 0, 5, 5, 0.5, "a")), 1, 0.5));
        assertTrue(e.getMessage().contains("no image with id 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> EndToEndScore.score(gt, List.of(p(1, 0, 0, 5, 5, 0.5, "cat", "dog"))));
        assertTrue(e.getMessage().contains("'cat'"), e.getMessage());
    }
}
