package dev.jvision.data.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jvision.data.DataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DetectionBox} to COCO results and back; malformed results files. */
class CocoResultsTest {
    @TempDir Path dir;

    @Test
    void entries_mapClassToCategoryId_andXyxyToXywh() throws Exception {
        List<DetectionBox> boxes = List.of(new DetectionBox(1, 0.9f, 10, 20, 40, 60), new DetectionBox(0, 0.25f, 0, 0, 5, 5));
        List<CocoResults.Entry> e = CocoResults.entries(7, boxes, new long[] {3, 9});
        assertEquals(new CocoResults.Entry(7, 9, 10, 20, 30, 40, (double) 0.9f), e.get(0));
        Path f = dir.resolve("detections.json");
        CocoResults.write(f, e);
        assertEquals(new CocoResults.Entry(7, 9, 10, 20, 30, 40, 0.9), CocoResults.read(f).get(0));
        assertEquals(new CocoResults.Entry(7, 3, 0, 0, 5, 5, 0.25), CocoResults.read(f).get(1));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> CocoResults.entries(1, boxes, new long[] {3}));
        assertEquals("classId: 1 (expected: < 1, the number of categories)", bad.getMessage());
    }

    @Test
    void detectionBox_rejectsReversedCorners() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DetectionBox(0, 1, 5, 0, 4, 1));
        assertEquals("box: [5.0, 0.0, 4.0, 1.0] (expected: x1 <= x2 and y1 <= y2, finite)", e.getMessage());
    }

    @Test
    void malformedResults_oneLineEach() throws Exception {
        Path f = Files.writeString(dir.resolve("dt.json"), "[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3],"
                + " \"score\": 0.5}, {\"image_id\": \"a\", \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]");
        DataException e = assertThrows(DataException.class, () -> CocoResults.read(f));
        assertEquals(List.of("dt.json: [0].bbox: [1,2,3] (expected: [x, y, width, height], 4 numbers)",
                "dt.json: [1].image_id: \"a\" (expected: an integer)"), e.problems());
    }
}
