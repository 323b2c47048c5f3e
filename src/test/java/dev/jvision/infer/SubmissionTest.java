package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SubmissionTest {
    private static final List<Sample> SAMPLES = List.of(sample("a.jpg", 2), sample("b.jpg", 3), sample("c.jpg", 4));
    private static final float[][] PROBS = {{0.1f, 0.9f, 0f}, {0.5f, 0.2f, 0.3f}, {0f, 0f, 1f}};

    @TempDir
    Path dir;
    private Path sample;
    private Path sub;

    private static Sample sample(String id, int line) {
        return new Sample(id, -1, Path.of("test", id), Path.of("sample_submission.csv"), line);
    }

    @BeforeEach
    void writeSample() throws IOException {
        sample = dir.resolve("sample_submission.csv");
        Files.writeString(sample, "ID,target\na.jpg,0\nb.jpg,0\nc.jpg,0\n");
        sub = dir.resolve("submission.csv");
    }

    @Test
    void writeSubmission_writesIdAndArgmaxInSampleOrder() throws IOException {
        Submission.writeSubmission(sub, SAMPLES, PROBS);
        assertEquals("ID,target\r\na.jpg,1\r\nb.jpg,0\r\nc.jpg,2\r\n", Files.readString(sub));
    }

    @Test
    void validate_acceptsWrittenSubmission() throws IOException {
        Submission.writeSubmission(sub, SAMPLES, PROBS);
        assertEquals(List.of(), SubmissionValidator.validate(sub, sample, 3));
    }

    @Test
    void validate_reportsWrongOrderWithFileAndLine() throws IOException {
        Files.writeString(sub, "ID,target\na.jpg,1\nc.jpg,2\nb.jpg,0\n");
        List<String> p = SubmissionValidator.validate(sub, sample, 3);
        assertEquals(List.of("submission.csv:3 ID 'c.jpg' (expected: 'b.jpg')",
                "submission.csv:4 ID 'b.jpg' (expected: 'c.jpg')"), p);
    }

    @Test
    void validate_reportsMissingIdWithFileAndLine() throws IOException {
        Files.writeString(sub, "ID,target\na.jpg,1\nb.jpg,0\n");
        List<String> p = SubmissionValidator.validate(sub, sample, 3);
        assertTrue(p.stream().anyMatch(m -> m.startsWith("submission.csv:4 ") && m.contains("'c.jpg'")), p.toString());
        assertTrue(p.stream().allMatch(m -> m.matches("submission\\.csv:\\d+ .*")), p.toString());
    }

    @Test
    void validate_reportsExtraIdWithFileAndLine() throws IOException {
        Files.writeString(sub, "ID,target\na.jpg,1\nb.jpg,0\nc.jpg,2\nd.jpg,1\n");
        List<String> p = SubmissionValidator.validate(sub, sample, 3);
        assertTrue(p.stream().anyMatch(m -> m.startsWith("submission.csv:5 ") && m.contains("'d.jpg'")), p.toString());
        assertTrue(p.stream().allMatch(m -> m.matches("submission\\.csv:\\d+ .*")), p.toString());
    }

    @Test
    void validate_reportsNonIntegerTarget() throws IOException {
        Files.writeString(sub, "ID,target\na.jpg,1\nb.jpg,one\nc.jpg,2\n");
        assertEquals(List.of("submission.csv:3 target 'one' (expected: an integer class id)"),
                SubmissionValidator.validate(sub, sample, 3));
    }

    @Test
    void validate_reportsTargetOutOfRange() throws IOException {
        Files.writeString(sub, "ID,target\na.jpg,1\nb.jpg,0\nc.jpg,3\n");
        assertEquals(List.of("submission.csv:4 target 3 (expected: 0..2)"), SubmissionValidator.validate(sub, sample, 3));
    }

    @Test
    void validate_rejectsWrongHeaderNamingFileAndLine() throws IOException {
        Files.writeString(sub, "image,label\na.jpg,1\nb.jpg,0\nc.jpg,2\n");
        var e = assertThrows(IllegalArgumentException.class, () -> SubmissionValidator.validate(sub, sample, 3));
        assertTrue(e.getMessage().contains(sub + ":1 "), e.getMessage());
    }

    @Test
    void validate_missingFileNamesIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> SubmissionValidator.validate(sub, sample, 3));
        assertTrue(e.getMessage().contains(sub.toString()), e.getMessage());
    }

    @Test
    void writeSubmission_rejectsProbabilityCountMismatch() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Submission.writeSubmission(sub, SAMPLES, new float[][] {{1f, 0f, 0f}}));
        assertTrue(e.getMessage().contains("1") && e.getMessage().contains("3"), e.getMessage());
        assertTrue(Files.notExists(sub));
    }

    @Test
    void writes_areAtomicAndLeaveNoTempFiles() throws IOException {
        Submission.writeSubmission(sub, SAMPLES, PROBS);
        Submission.writeSubmission(sub, SAMPLES, PROBS);
        Submission.writeProbabilities(dir.resolve("probs.csv"), SAMPLES, PROBS);
        Submission.writeInfo(dir.resolve("submission_info.json"), Map.of("members", 3));
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertEquals(List.of("probs.csv", "sample_submission.csv", "submission.csv", "submission_info.json"), names);
        }
        assertEquals("ID,p0,p1,p2", Files.readAllLines(dir.resolve("probs.csv")).get(0));
    }

    @Test
    void validate_reportsMissingValue() throws IOException {
        Files.writeString(sub, "ID,target\na.jpg,1\nb.jpg,\nc.jpg,2\n");
        assertEquals(List.of("submission.csv:3 target '' (expected: an integer class id)"),
                SubmissionValidator.validate(sub, sample, 3));
    }

    @Test
    void validate_reportsEveryProblemAtOnce() throws IOException {
        Files.writeString(sub, "ID,target\nb.jpg,7\na.jpg,-1\n");
        List<String> p = SubmissionValidator.validate(sub, sample, 3);
        assertEquals(5, p.size(), p.toString()); // two wrong IDs, two bad targets, one missing row
    }

    @Test
    void writeLowConfidence_listsRowsBelowThresholdInSampleOrder() throws IOException {
        Path low = dir.resolve("low_confidence.csv");
        assertEquals(1, Submission.writeLowConfidence(low, SAMPLES, PROBS, 0.6));
        assertEquals(List.of("ID,predicted,top_probability", "b.jpg,0,0.500000"), Files.readAllLines(low));
        assertEquals(0, Submission.writeLowConfidence(low, SAMPLES, PROBS, 0.5));
    }

    @Test
    void validateSubmissionCommand_exit0WhenValid_exit2ListingEveryProblem() throws IOException {
        Submission.writeSubmission(sub, SAMPLES, PROBS);
        assertEquals(0, dev.jvision.cli.Main.execute("validate-submission", "--submission", sub.toString(), "--sample",
                sample.toString(), "--num-classes", "3"));
        Files.writeString(sub, "ID,target\nc.jpg,1\nb.jpg,5\n");
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
            code = dev.jvision.cli.Main.execute("validate-submission", "--submission", sub.toString(), "--sample",
                    sample.toString(), "--num-classes", "3");
        } finally {
            System.setErr(err);
        }
        assertEquals(2, code);
        String out = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
        for (String expected : List.of("submission.csv:2 ID 'c.jpg' (expected: 'a.jpg')",
                "submission.csv:3 target 5 (expected: 0..2)", "submission.csv:4 missing row for ID 'c.jpg'")) {
            assertTrue(out.contains(expected), out);
        }
    }
}
