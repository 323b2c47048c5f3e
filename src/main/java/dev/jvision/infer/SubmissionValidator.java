package dev.jvision.infer;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Checks a submission against the sample submission: same IDs in the same order, no missing
 * values, class ids in {@code [0, numClasses)}. Stateless and thread-safe.
 */
public final class SubmissionValidator {
    private SubmissionValidator() {}

    /** Every problem found, as {@code file:line message}; empty when the submission is valid. */
    public static List<String> validate(Path submission, Path sample, int numClasses) throws IOException {
        List<String[]> sub = read(submission);
        List<String[]> ref = read(sample);
        List<String> problems = new ArrayList<>();
        String name = submission.getFileName().toString();
        int n = Math.min(sub.size(), ref.size());
        for (int i = 0; i < n && problems.size() < 50; i++) {
            String[] s = sub.get(i);
            int line = i + 2;
            if (!s[0].equals(ref.get(i)[0])) {
                problems.add(name + ":" + line + " ID '" + s[0] + "' (expected: '" + ref.get(i)[0] + "')");
            }
            try {
                int t = Integer.parseInt(s[1].trim());
                if (t < 0 || t >= numClasses) {
                    problems.add(name + ":" + line + " target " + t + " (expected: 0.." + (numClasses - 1) + ")");
                }
            } catch (NumberFormatException e) {
                problems.add(name + ":" + line + " target '" + s[1] + "' (expected: an integer class id)");
            }
        }
        for (int i = n; i < ref.size() && problems.size() < 50; i++) {
            problems.add(name + ":" + (i + 2) + " missing row for ID '" + ref.get(i)[0] + "' (expected: "
                    + ref.size() + " rows, as " + sample.getFileName() + ")");
        }
        for (int i = n; i < sub.size() && problems.size() < 50; i++) {
            problems.add(name + ":" + (i + 2) + " extra ID '" + sub.get(i)[0] + "' (expected: " + ref.size()
                    + " rows, as " + sample.getFileName() + ")");
        }
        return problems;
    }

    private static List<String[]> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": not found");
        }
        List<String[]> rows = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r);
            var header = parser.getHeaderNames().stream().map(h -> h.replace("\uFEFF", "").trim().toLowerCase()).toList();
            int id = header.indexOf("id");
            int target = header.indexOf("target");
            if (id < 0 || target < 0) {
                throw new IllegalArgumentException(file + ":1 header " + parser.getHeaderNames() + " (expected: ID,target)");
            }
            for (CSVRecord rec : parser) {
                String t = rec.size() > target ? rec.get(target) : "";
                rows.add(new String[] {rec.get(id).trim(), t});
            }
        }
        return rows;
    }
}
