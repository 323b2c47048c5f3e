package dev.jvision.cli;

import dev.jvision.infer.SubmissionValidator;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvision validate-submission}: same IDs in the same order as the sample, valid class ids. */
@Command(name = "validate-submission", mixinStandardHelpOptions = true,
        description = "Check a submission against sample_submission.csv: same IDs in the same order, no missing "
                + "values, class ids in [0, N). Exit 0 when valid, 2 with every problem listed otherwise.")
final class ValidateSubmissionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--submission", required = true, paramLabel = "FILE", description = "the submission CSV (ID,target)")
    Path submission;

    @Option(names = "--sample", required = true, paramLabel = "FILE", description = "sample_submission.csv")
    Path sample;

    @Option(names = "--num-classes", paramLabel = "N",
            description = "number of classes (default: the rows of meta.csv beside the sample; without it only "
                    + "non-negative integers are required)")
    Integer numClasses;

    @Override
    public Integer call() throws IOException {
        int n = numClasses != null ? numClasses : classesFromMeta();
        if (n < 1) {
            throw new IllegalArgumentException("--num-classes: " + n + " (expected: >= 1)");
        }
        List<String> problems = SubmissionValidator.validate(submission, sample, n);
        if (problems.isEmpty()) {
            System.out.println(submission + ": valid (same IDs and order as " + sample + ", targets in "
                    + (n == Integer.MAX_VALUE ? "0.. (no --num-classes, no meta.csv)" : "0.." + (n - 1)) + ")");
            return 0;
        }
        var err = spec.commandLine().getErr();
        err.println("error: " + submission + ": " + problems.size() + (problems.size() >= 50 ? "+" : "")
                + " problem(s) against " + sample + ":");
        problems.forEach(p -> err.println("  " + p));
        return Main.BAD_INPUT;
    }

    private int classesFromMeta() throws IOException {
        Path meta = sample.toAbsolutePath().resolveSibling("meta.csv");
        if (!Files.isRegularFile(meta)) {
            return Integer.MAX_VALUE;
        }
        int rows = 0;
        try (Reader r = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
            for (CSVRecord ignored : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
                rows++;
            }
        }
        return rows;
    }
}
