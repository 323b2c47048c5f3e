package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo-data --kind scale} and {@code validate-data --manifest} end to end through {@link Main}. */
class ValidateDataCommandTest {
    @TempDir Path dir;

    @Test
    void scaleData_thenValidate_reportsMissingByLine_andRemoveCorruptWritesACleanManifest() throws IOException {
        Path out = dir.resolve("scale");
        MainTest.Result gen = MainTest.run("demo-data", "--kind", "scale", "--images", "12", "--classes", "3", "--size",
                "32", "--out", out.toString(), "--seed", "3");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().contains("wrote 12 images (3 classes, 32 px)"), gen.out());
        Path csv = out.resolve("train.csv");
        Files.writeString(csv, Files.readString(csv) + "images/000/gone.jpg,class_1\n");
        String classes = out.resolve("classes.txt").toString();

        MainTest.Result bad = MainTest.run("validate-data", "--manifest", csv.toString(), "--class-file", classes);
        assertEquals(2, bad.code(), bad.out() + bad.err());
        assertTrue(bad.out().contains("train.csv: 13 rows, 12 good"), bad.out());
        assertTrue(bad.out().contains("missing files: 1"), bad.out());
        assertTrue(bad.out().contains("train.csv:14 image_path 'images/000/gone.jpg': missing file"), bad.out());
        assertEquals(List.of(), Files.readAllLines(out.resolve("train.errors.txt")).stream()
                .filter(l -> !l.startsWith("train.csv:14 ")).toList());

        MainTest.Result fixed = MainTest.run("validate-data", "--manifest", csv.toString(), "--class-file", classes,
                "--remove-corrupt", "--check-images", "decode");
        assertEquals(0, fixed.code(), fixed.out() + fixed.err());
        assertTrue(fixed.out().contains("kept 12 rows, dropped 1 bad rows"), fixed.out());
        assertEquals(14, Files.readAllLines(csv).size(), "the original keeps its rows");
        assertEquals(13, Files.readAllLines(out.resolve("train.clean.csv")).size());

        MainTest.Result clean = MainTest.run("validate-data", "--manifest", out.resolve("train.clean.csv").toString(),
                "--class-file", classes, "--check-images", "none");
        assertEquals(0, clean.code(), clean.out() + clean.err());
        assertTrue(clean.out().contains("problems: none"), clean.out());
        assertTrue(Files.notExists(out.resolve("train.clean.errors.txt")), "no error file when nothing is wrong");
    }

    @Test
    void badOptionValues_exitTwoWithOneLine() throws IOException {
        Path csv = Files.writeString(dir.resolve("m.csv"), "image_path,label\n");
        MainTest.Result r = MainTest.run("validate-data", "--manifest", csv.toString(), "--check-images", "full");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("--check-images: full (expected: none, header or decode)"), r.err());
        MainTest.Result k = MainTest.run("demo-data", "--kind", "big", "--out", dir.toString());
        assertEquals(2, k.code(), k.err());
        assertTrue(k.err().contains("--kind: big (expected: docs, scale or detection)"), k.err());
    }
}
