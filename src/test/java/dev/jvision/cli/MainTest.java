package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
    @TempDir
    static Path shared;
    private static Path data;

    @TempDir
    Path dir;

    /** The exit code and what was printed. */
    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        void assertNoStackTrace() {
            assertFalse(err.contains("\tat "), "stack trace in stderr:\n" + err);
            assertFalse(out.contains("\tat "), "stack trace in stdout:\n" + out);
        }
    }

    static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.execute(args);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void demoData() {
        data = shared.resolve("demo");
        Result r = run("demo-data", "--out", data.toString(), "--train", "17", "--test", "2", "--seed", "1");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void help_printsUsageAndExitsZero() {
        Result r = run("--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Usage: jvision"), r.out());
        for (String sub : List.of("pipeline", "train", "infer", "demo-data", "validate-data", "models")) {
            assertTrue(r.out().contains(sub), sub + " missing from:\n" + r.out());
        }
    }

    @Test
    void noArguments_printsUsage() {
        Result r = run();
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Usage: jvision"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"pipeline", "train", "infer", "demo-data", "validate-data", "models"})
    void subcommandHelp_printsUsageAndExitsZero(String sub) {
        Result r = run(sub, "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Usage: jvision " + sub), r.out());
    }

    @Test
    void train_missingConfigExitsTwoWithOneLine() {
        Path missing = dir.resolve("missing.yaml");
        Result r = run("train", "--config", missing.toString());
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.errLines().get(0).startsWith("error: "), r.err());
        assertTrue(r.err().contains(missing.toString()), r.err());
    }

    @Test
    void train_unknownKeyNamesFileLineAndKey() throws IOException {
        Path cfg = dir.resolve("bad.yaml");
        Files.writeString(cfg, "model:\n  name: resnet18\ntrain:\n  epochs: 1\n  epochz: 3\n");
        Result r = run("train", "--config", cfg.toString());
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(cfg + ":5"), r.err());
        assertTrue(r.err().contains("epochz"), r.err());
    }

    @Test
    void train_badOverrideExitsTwo() throws IOException {
        Path cfg = dir.resolve("ok.yaml");
        Files.writeString(cfg, "train:\n  epochs: 1\n");
        Result r = run("train", "--config", cfg.toString(), "--set", "train.epochs=zero");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("train.epochs"), r.err());
        assertTrue(r.err().contains("zero"), r.err());
        assertTrue(r.err().contains("error: --set train.epochs=zero: "), "the CLI names its flag: " + r.err());
    }

    @Test
    void infer_withoutSourceIsUsageError() {
        Result r = run("infer");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("--run") && r.err().contains("--checkpoint"), r.err());
    }

    @Test
    void infer_runFolderWithoutConfigExitsTwo() {
        Result r = run("infer", "--run", dir.toString());
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains(dir.toString()), r.err());
    }

    @Test
    void unknownOption_isUsageError() {
        Result r = run("models", "--nope");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("--nope"), r.err());
    }

    @Test
    void models_filterListsResnets() {
        Result r = run("models", "--filter", "resnet*");
        assertEquals(0, r.code(), r.err());
        List<String> names = r.out().lines().skip(1).map(l -> l.split("\\s+")[0]).toList();
        assertTrue(names.containsAll(List.of("resnet18", "resnet34", "resnet50", "resnet101")), r.out());
        assertTrue(names.stream().allMatch(n -> n.startsWith("resnet")), r.out());
    }

    @Test
    void models_filterWithoutMatchExitsTwo() {
        Result r = run("models", "--filter", "nomatch*");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("nomatch*") && r.err().contains("resnet18"), r.err());
    }

    @Test
    void infer_runAndCheckpointAreExclusive() {
        Result r = run("infer", "--run", dir.toString(), "--checkpoint", "a.safetensors");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("mutually exclusive"), r.err());
    }

    @Test
    void train_configThatIsAFolderExitsTwo() {
        Result r = run("train", "--config", dir.toString());
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(dir.toString()), r.err());
    }

    @Test
    void demoData_tooFewImagesExitsTwo() {
        Result r = run("demo-data", "--out", dir.resolve("d").toString(), "--train", "-5", "--test", "1");
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("-5"), r.err());
    }

    @Test
    void validateData_missingFolderExitsTwoNamingIt() {
        Path nope = dir.resolve("nope");
        Result r = run("validate-data", "--data", nope.toString());
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(nope.toString()), r.err());
    }

    @Test
    void demoData_writesTrainCsv() throws IOException {
        List<String> lines = Files.readAllLines(data.resolve("train.csv"));
        assertEquals(18, lines.size(), "header + 17 rows");
        assertTrue(Files.isRegularFile(data.resolve("sample_submission.csv")));
    }

    @Test
    void validateData_printsClassCounts() {
        Result r = run("validate-data", "--data", data.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("train rows: 17"), r.out());
        assertTrue(r.out().contains("classes: "), r.out());
        assertTrue(r.out().contains("problems: none"), r.out());
    }

    @Test
    void validateData_missingImageExitsTwoNamingId() throws IOException {
        Path copy = dir.resolve("copy");
        copyTree(data, copy);
        String id = Files.readAllLines(copy.resolve("train.csv")).get(3).split(",")[0];
        Files.delete(copy.resolve("train").resolve(id));
        Result r = run("validate-data", "--data", copy.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue((r.out() + r.err()).contains(id), r.out() + r.err());
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }
}
