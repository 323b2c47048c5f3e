package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.ManifestRows.Kind;
import dev.jvision.data.ManifestValidator.Check;
import dev.jvision.data.demo.ScaleData;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming validation of image manifests: counts, capped problem lists, error file, clean manifest. */
class ManifestValidatorTest {
    private static final int ROWS = 50_000;
    private static final int KEEP = 5;

    @TempDir static Path shared;
    @TempDir Path tmp;
    private static Path root;
    private static List<String> classes;

    /** 20 real images in 4 classes, one corrupt, one truncated JPEG. */
    @BeforeAll
    static void data() throws IOException {
        root = shared.resolve("d");
        ScaleData.generate(root, 20, 0, 4, 32, 5L, 2);
        classes = Files.readAllLines(root.resolve("classes.txt"));
        TestImages.randomBytes(root.resolve("images/000/corrupt.jpg"), 300, 1);
        byte[] good = Files.readAllBytes(root.resolve(ScaleDataPaths.first()));
        Files.write(root.resolve("images/000/truncated.jpg"), Arrays.copyOf(good, good.length / 2));
    }

    /** Access to the generator's path scheme without widening it. */
    private static final class ScaleDataPaths {
        static String first() throws IOException {
            return Files.readAllLines(root.resolve("train.csv")).get(1).split(",")[0];
        }
    }

    /**
     * 50k rows: lines 2..21 the real images, then one corrupt, one truncated, one duplicate, one
     * '..' path, one unknown class, the rest missing files.
     */
    private static Path bigManifest(Path csv) throws IOException {
        List<String> good = Files.readAllLines(root.resolve("train.csv"));
        try (BufferedWriter w = Files.newBufferedWriter(csv)) {
            w.write("image_path,label,split\n");
            for (String l : good.subList(1, good.size())) w.write(l + ",\n");
            w.write("images/000/corrupt.jpg,class_0,\n");
            w.write("images/000/truncated.jpg,class_1,\n");
            w.write(good.get(1) + ",val\n");
            w.write("../outside.jpg,class_2,\n");
            w.write("images/000/x.jpg,class_9,\n");
            for (int i = 25; i < ROWS; i++) w.write("missing/" + i + ".jpg,class_" + (i % 4) + ",\n");
        }
        return csv;
    }

    private static ManifestValidator.Options opts(Check check, Path errors) {
        return new ManifestValidator.Options(new ImagePaths(root, false, List.of()), classes, "train", check, 4, KEEP, errors);
    }

    @Test
    void validate_50kRows_countsEveryKind_keepsOnlyTheFirstFewInMemory_writesAllToTheErrorFile() throws IOException {
        Path csv = bigManifest(root.resolve("big.csv"));
        Path errors = tmp.resolve("errors.txt");
        ManifestValidator.Report r = ManifestValidator.validate(csv, opts(Check.HEADER, errors));
        assertEquals(ROWS, r.rows());
        assertEquals(20, r.okRows());
        assertEquals(ROWS - 1, r.splits().get("train"));
        assertEquals(1, r.splits().get("val"));
        int missing = ROWS - 25;
        assertEquals(missing, r.problems().get(Kind.MISSING));
        assertEquals(2, r.problems().get(Kind.CORRUPT), "random bytes and a truncated JPEG");
        assertEquals(1, r.problems().get(Kind.DUPLICATE));
        assertEquals(1, r.problems().get(Kind.BAD_PATH));
        assertEquals(1, r.problems().get(Kind.BAD_LABEL));
        assertEquals(0, r.problems().get(Kind.MALFORMED));
        assertEquals(missing + 5, r.problemCount());

        // Bounded: the report holds at most KEEP problems per kind, the first by line.
        for (List<String> kept : r.firstProblems().values()) assertTrue(kept.size() <= KEEP, kept.toString());
        List<String> firstMissing = r.firstProblems().get(Kind.MISSING);
        assertEquals(KEEP, firstMissing.size());
        for (int i = 0; i < KEEP; i++) {
            int line = 27 + i; // row i=25 is on line 27
            assertTrue(firstMissing.get(i).startsWith("big.csv:" + line + " image_path 'missing/" + (25 + i)
                    + ".jpg': missing file ("), firstMissing.get(i));
        }
        assertTrue(r.firstProblems().get(Kind.DUPLICATE).get(0).startsWith("big.csv:24 image_path '"), r.firstProblems().toString());
        assertTrue(r.firstProblems().get(Kind.DUPLICATE).get(0).endsWith("duplicate path (same file as line 2)"));
        assertTrue(r.firstProblems().get(Kind.CORRUPT).get(1).contains("truncated JPEG"), r.firstProblems().toString());

        // Every problem is in the error file, one line each.
        List<String> all = Files.readAllLines(errors);
        assertEquals(missing + 5, all.size());
        assertTrue(all.contains("big.csv:26 image_path 'images/000/x.jpg': unknown class 'class_9' (expected: a name in the "
                + "class file or an id 0..3)"));
        assertEquals(missing + 5, r.badLines().cardinality());
        assertEquals(4, r.classCounts().size());
        String text = r.format(classes);
        assertTrue(text.contains("missing files: " + missing), text);
        assertTrue(text.contains("... and " + (missing - KEEP) + " more"), text);
    }

    @Test
    void checkModes_noneOnlyStats_headerCatchesTruncation_decodeCatchesGarbage() throws IOException {
        Path csv = TestImages.csv(tmp.resolve("m.csv"), "image_path,label",
                root.resolve("images/000/corrupt.jpg") + ",0", root.resolve("images/000/truncated.jpg") + ",1");
        ImagePaths abs = new ImagePaths(tmp, true, List.of());
        ManifestValidator.Report none = ManifestValidator.validate(csv,
                new ManifestValidator.Options(abs, null, "train", Check.NONE, 2, KEEP, null));
        assertEquals(2, none.okRows());
        assertTrue(none.sizeHistogram().isEmpty());
        for (Check c : List.of(Check.HEADER, Check.DECODE)) {
            ManifestValidator.Report r = ManifestValidator.validate(csv,
                    new ManifestValidator.Options(abs, null, "train", c, 2, KEEP, null));
            assertEquals(2, r.problems().get(Kind.CORRUPT), c.toString());
        }
    }

    @Test
    void writeClean_dropsTheBadRows_keepsTheOriginal_andTheResultValidates() throws IOException {
        Path local = bigManifest(root.resolve("clean-test.csv"));
        byte[] before = Files.readAllBytes(local);
        ManifestValidator.Report r = ManifestValidator.validate(local, opts(Check.HEADER, null));
        ManifestValidator.Cleaned c = ManifestValidator.writeClean(local, r.badLines(), ManifestValidator.cleanName(local));
        assertEquals(root.resolve("clean-test.clean.csv"), c.out());
        assertEquals(20, c.kept());
        assertEquals(ROWS - 20, c.dropped());
        assertArrayEquals(before, Files.readAllBytes(local), "the original manifest is untouched");
        List<String> lines = Files.readAllLines(c.out());
        assertEquals("image_path,label,split", lines.get(0));
        assertEquals(21, lines.size());
        ManifestValidator.Report again = ManifestValidator.validate(c.out(), opts(Check.DECODE, null));
        assertTrue(again.ok(), again.format(classes));
        assertEquals(20, again.okRows());
        assertThrows(IllegalArgumentException.class, () -> ManifestValidator.writeClean(local, r.badLines(), local));
    }

    @Test
    void pathHashes_findDuplicatesWithTheirFirstLine_inBoundedSpace() {
        ManifestValidator.PathHashes h = new ManifestValidator.PathHashes();
        for (int i = 0; i < ROWS; i++) assertEquals(0, h.addIfAbsent("/data/img/" + i + ".jpg", i + 2));
        assertEquals(7 + 2, h.addIfAbsent("/data/img/7.jpg", 99));
        assertEquals(ROWS, h.size());
        assertTrue(h.bytes() <= 24L * ROWS * 2, "at most 2 slots of 12 bytes per path at 50% load, got " + h.bytes());
    }

    @Test
    void countRows_countsLinesMinusHeader_withOrWithoutFinalNewline() throws IOException {
        Files.writeString(tmp.resolve("a.csv"), "h\n1\n2\n");
        Files.writeString(tmp.resolve("b.csv"), "h\n1\n2");
        assertEquals(2, ManifestValidator.countRows(tmp.resolve("a.csv")));
        assertEquals(2, ManifestValidator.countRows(tmp.resolve("b.csv")));
    }
}
