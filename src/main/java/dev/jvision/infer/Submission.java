package dev.jvision.infer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.data.Sample;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes submissions ({@code ID,target} in sample_submission order), probability tables and
 * the {@code submission_info.json} summary, each atomically (temporary file, then rename).
 * Stateless and thread-safe.
 */
public final class Submission {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Submission() {}

    /** Writes {@code ID,target} rows for {@code samples} with the argmax of {@code probs}. */
    public static void writeSubmission(Path file, List<Sample> samples, float[][] probs) throws IOException {
        checkRows(samples, probs);
        atomically(file, w -> {
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                p.printRecord("ID", "target");
                for (int i = 0; i < samples.size(); i++) {
                    p.printRecord(samples.get(i).id(), argmax(probs[i]));
                }
            }
        });
    }

    /** Writes {@code ID,p0,...,pC-1}. */
    public static void writeProbabilities(Path file, List<Sample> samples, float[][] probs) throws IOException {
        checkRows(samples, probs);
        atomically(file, w -> {
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                List<String> header = new ArrayList<>();
                header.add("ID");
                for (int c = 0; c < probs[0].length; c++) {
                    header.add("p" + c);
                }
                p.printRecord(header);
                for (int i = 0; i < samples.size(); i++) {
                    List<Object> row = new ArrayList<>();
                    row.add(samples.get(i).id());
                    for (float v : probs[i]) {
                        row.add(String.format(java.util.Locale.ROOT, "%.6f", v));
                    }
                    p.printRecord(row);
                }
            }
        });
    }

    /**
     * Writes {@code ID,predicted,top_probability} for the samples whose top probability is below
     * {@code threshold}, in sample order, and returns how many there are.
     */
    public static int writeLowConfidence(Path file, List<Sample> samples, float[][] probs, double threshold)
            throws IOException {
        checkRows(samples, probs);
        int[] count = {0};
        atomically(file, w -> {
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                p.printRecord("ID", "predicted", "top_probability");
                for (int i = 0; i < samples.size(); i++) {
                    int top = argmax(probs[i]);
                    if (probs[i][top] < threshold) {
                        p.printRecord(samples.get(i).id(), top, String.format(java.util.Locale.ROOT, "%.6f", probs[i][top]));
                        count[0]++;
                    }
                }
            }
        });
        return count[0];
    }

    /** Writes a JSON summary (members, scores, settings). */
    public static void writeInfo(Path file, Map<String, Object> info) throws IOException {
        atomically(file, w -> JSON.writeValue(w, info));
    }

    private static void checkRows(List<Sample> samples, float[][] probs) {
        if (probs.length != samples.size()) {
            throw new IllegalArgumentException("probabilities for " + probs.length + " samples (expected: "
                    + samples.size() + ", one row per sample)");
        }
    }

    static int argmax(float[] p) {
        int best = 0;
        for (int c = 1; c < p.length; c++) {
            if (p[c] > p[best]) {
                best = c;
            }
        }
        return best;
    }

    static void atomically(Path file, AtomicFiles.Body body) throws IOException {
        AtomicFiles.writeText(file, body);
    }
}
