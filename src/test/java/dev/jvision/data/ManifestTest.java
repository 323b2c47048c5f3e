package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
    @TempDir Path root;
    Path train;

    @BeforeEach
    void images() throws Exception {
        train = root.resolve("train");
        TestImages.rgbPng(train.resolve("a.png"), 4, 4, 255, 0, 0);
        TestImages.rgbPng(train.resolve("b.png"), 4, 4, 0, 255, 0);
        TestImages.rgbPng(train.resolve("c.png"), 4, 4, 0, 0, 255);
    }

    private DataException bad(String... lines) throws Exception {
        Path csv = TestImages.csv(root.resolve("train.csv"), lines);
        return assertThrows(DataException.class, () -> Manifest.read(csv, train, true, false));
    }

    @Test
    void happyPath_readsRowsLabelsAndClasses() throws Exception {
        Path csv = TestImages.csv(root.resolve("train.csv"), "ID,target,extra", "a.png,0,x", "b.png,2,y", "c.png,1,z");
        Manifest m = Manifest.read(csv, train, true, false);
        assertEquals(3, m.samples().size());
        assertArrayEquals(new int[] {0, 2, 1}, m.labels());
        assertEquals(3, m.numClasses());
        Sample b = m.samples().get(1);
        assertEquals("b.png", b.id());
        assertEquals(3, b.line());
        assertEquals(train.resolve("b.png").toAbsolutePath().normalize(), b.file());
        assertEquals(csv, b.csv());
        assertTrue(m.skipped().isEmpty());
    }

    @Test
    void columnNamesCaseInsensitive_andUnlabelledIgnoresTarget() throws Exception {
        Path csv = TestImages.csv(root.resolve("s.csv"), "id,TARGET", "a.png,zzz", "b.png,");
        Manifest m = Manifest.read(csv, train, false, false);
        assertArrayEquals(new int[] {-1, -1}, m.labels());
        assertEquals(0, m.numClasses());
    }

    @Test
    void missingImage_listsFileLineAndId() throws Exception {
        DataException e = bad("ID,target", "a.png,0", "nope.png,1");
        assertTrue(e.getMessage().contains("train.csv:3 ID 'nope.png': missing file"), e.getMessage());
        assertEquals(1, e.problems().size());
    }

    @Test
    void emptyImage_listsFileLineAndId() throws Exception {
        Files.write(train.resolve("empty.png"), new byte[0]);
        DataException e = bad("ID,target", "empty.png,0");
        assertTrue(e.getMessage().contains("train.csv:2 ID 'empty.png': empty file"), e.getMessage());
    }

    @Test
    void badTarget_listsEveryBadRow() throws Exception {
        DataException e = bad("ID,target", "a.png,abc", "b.png,-1", "c.png,1.5");
        assertEquals(3, e.problems().size());
        assertTrue(e.getMessage().contains("train.csv:2 ID 'a.png': target must be an integer >= 0, got 'abc'"), e.getMessage());
        assertTrue(e.getMessage().contains("train.csv:3 ID 'b.png'"), e.getMessage());
        assertTrue(e.getMessage().contains("train.csv:4 ID 'c.png'"), e.getMessage());
    }

    @Test
    void duplicateId_listsFileLineAndId() throws Exception {
        DataException e = bad("ID,target", "a.png,0", "b.png,0", "a.png,1");
        assertTrue(e.getMessage().contains("train.csv:4 ID 'a.png': duplicate ID (first on line 2)"), e.getMessage());
    }

    @Test
    void escapingId_refused() throws Exception {
        TestImages.rgbPng(root.resolve("escape.jpg"), 2, 2, 1, 2, 3);
        DataException e = bad("ID,target", "../escape.jpg,0", "/etc/passwd,0", "sub/../../escape.jpg,0", "a.png,0");
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("train.csv:2 ID '../escape.jpg': ID escapes the image directory"), e.getMessage());
        assertTrue(e.getMessage().contains("train.csv:3 ID '/etc/passwd': ID escapes"), e.getMessage());
    }

    @Test
    void emptyId_refused() throws Exception {
        DataException e = bad("ID,target", ",0");
        assertTrue(e.getMessage().contains("train.csv:2 ID '': empty ID"), e.getMessage());
    }

    @Test
    void missingHeaderColumn_namesFileAndLine() throws Exception {
        DataException e = bad("ID,label", "a.png,0");
        assertTrue(e.getMessage().contains("train.csv:1 header: missing column target"), e.getMessage());
        DataException e2 = bad("file,target", "a.png,0");
        assertTrue(e2.getMessage().contains("train.csv:1 header: missing column ID"), e2.getMessage());
    }

    @Test
    void skipBad_dropsRowsAndRecordsThem() throws Exception {
        Path csv = TestImages.csv(root.resolve("train.csv"), "ID,target", "a.png,0", "x.png,1", "b.png,abc", "c.png,1");
        Manifest m = Manifest.read(csv, train, true, true);
        assertEquals(List.of("a.png", "c.png"), m.samples().stream().map(Sample::id).toList());
        assertEquals(2, m.skipped().size());
        assertTrue(m.skipped().get(0).startsWith("train.csv:3 ID 'x.png': missing file"), m.skipped().get(0));
    }

    @Test
    void manyProblems_messageTruncatesAfter20() throws Exception {
        String[] lines = new String[31];
        lines[0] = "ID,target";
        for (int i = 1; i <= 30; i++) lines[i] = "m" + i + ".png,0";
        DataException e = bad(lines);
        assertEquals(30, e.problems().size());
        assertTrue(e.getMessage().contains("... and 10 more"), e.getMessage());
        assertFalse(e.getMessage().contains("'m21.png'"));
    }

    @Test
    void classNames_readOrFallBack() throws Exception {
        Path meta = TestImages.csv(root.resolve("meta.csv"), "target,class_name", "0,cat", "2,dog");
        assertEquals(List.of("cat", "class_1", "dog"), ClassNames.read(meta, 3));
        assertEquals(List.of("class_0", "class_1"), ClassNames.read(root.resolve("none.csv"), 2));
    }

    @Test
    void bomAndWindowsLineEndings_accepted() throws Exception {
        Path csv = root.resolve("bom.csv");
        Files.writeString(csv, "\uFEFFID,Target\r\na.png,1\r\nb.png,0\r\n");
        Manifest m = Manifest.read(csv, train, true, false);
        assertArrayEquals(new int[] {1, 0}, m.labels());
        assertEquals(3, m.samples().get(1).line());
    }
}
