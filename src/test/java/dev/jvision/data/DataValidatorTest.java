package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataValidatorTest {
    @TempDir Path root;

    private void layout() throws Exception {
        Path train = root.resolve("train"), test = root.resolve("test");
        TestImages.rgbPng(train.resolve("a.png"), 40, 20, 1, 2, 3);
        TestImages.rgbPng(train.resolve("b.png"), 300, 100, 1, 2, 3);
        TestImages.rgbPng(train.resolve("c.png"), 30, 30, 1, 2, 3);
        TestImages.randomBytes(train.resolve("corrupt.jpg"), 400, 9);
        Files.write(train.resolve("empty.png"), new byte[0]);
        TestImages.rgbPng(test.resolve("t1.png"), 50, 50, 1, 2, 3);
        TestImages.randomBytes(test.resolve("t2.jpg"), 400, 10);
        TestImages.csv(root.resolve("train.csv"), "ID,target", "a.png,0", "corrupt.jpg,1", "b.png,1",
                "missing.png,0", "empty.png,1", "c.png,1");
        TestImages.csv(root.resolve("sample_submission.csv"), "ID,target", "t1.png,0", "t2.jpg,0");
    }

    @Test
    void validate_findsBadFilesCountsAndSizes() throws Exception {
        layout();
        DataValidator.Report r = DataValidator.validate(root, "train.csv", "train", "test", "sample_submission.csv");
        assertEquals(6, r.trainRows());
        assertEquals(2, r.testRows());
        assertEquals(4, r.problems().size(), r.problems().toString());
        String all = String.join("\n", r.problems());
        assertTrue(all.contains("train.csv:3 ID 'corrupt.jpg': cannot decode"), all);
        assertTrue(all.contains("train.csv:5 ID 'missing.png': missing file"), all);
        assertTrue(all.contains("train.csv:6 ID 'empty.png': empty file"), all);
        assertTrue(all.contains("sample_submission.csv:3 ID 't2.jpg': cannot decode"), all);
        assertEquals(Integer.valueOf(1), r.classCounts().get(0));
        assertEquals(Integer.valueOf(3), r.classCounts().get(1)); // corrupt.jpg, b.png, c.png
        assertEquals(Integer.valueOf(2), r.sizeHistogram().get("33-64")); // a (40), t1 (50)
        assertEquals(Integer.valueOf(1), r.sizeHistogram().get("257-512"));
        assertEquals(Integer.valueOf(1), r.sizeHistogram().get("<=32"));
        String text = r.format(List.of("cat", "dog"));
        assertTrue(text.contains("dog") && text.contains("problems: 4"), text);
    }

    @Test
    void removeCorrupt_movesFilesRewritesCsvKeepsBackup() throws Exception {
        layout();
        String origTrain = Files.readString(root.resolve("train.csv"));
        DataValidator.Report r = DataValidator.validate(root, "train.csv", "train", "test", "sample_submission.csv");
        List<String> done = DataValidator.removeCorrupt(root, r, "train.csv", "train", "test", "sample_submission.csv");
        assertTrue(Files.isRegularFile(root.resolve("_corrupt/train/corrupt.jpg")), done.toString());
        assertTrue(Files.isRegularFile(root.resolve("_corrupt/train/empty.png")));
        assertTrue(Files.isRegularFile(root.resolve("_corrupt/test/t2.jpg")));
        assertFalse(Files.exists(root.resolve("train/corrupt.jpg")));
        assertEquals("ID,target\na.png,0\nb.png,1\nc.png,1\n", Files.readString(root.resolve("train.csv")));
        assertEquals(origTrain, Files.readString(root.resolve("train.csv.bak")));
        assertEquals("ID,target\nt1.png,0\n", Files.readString(root.resolve("sample_submission.csv")));
        assertTrue(Files.isRegularFile(root.resolve("sample_submission.csv.bak")));
        DataValidator.Report again = DataValidator.validate(root, "train.csv", "train", "test", "sample_submission.csv");
        assertTrue(again.ok(), again.problems().toString());
        assertEquals(3, again.trainRows());
    }
}
