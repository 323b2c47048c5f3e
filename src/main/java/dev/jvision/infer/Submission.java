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
                printProbabilityHeader(p, probs[0].length);
                for (int i = 0; i < samples.size(); i++) {
                    printProbabilityRow(p, samples.get(i).id(), probs[i]);
                }
            }
        });
    }

    /** Prints the header of a probability table, {@code ID,p0,...,pC-1} (for tables written row by row). */
    public static void printProbabilityHeader(CSVPrinter p, int classes) throws IOException {
        List<String> header = new ArrayList<>();
        header.add("ID");
        for (int c = 0; c < classes; c++) {
            header.add("p" + c);
        }
        p.printRecord(header);
    }

    /** Prints one row of a probability table: the ID, then each probability with 6 decimals. */
    public static void printProbabilityRow(CSVPrinter p, String id, float[] probs) throws IOException {
        List<Object> row = new ArrayList<>(probs.length + 1);
        row.add(id);
        for (float v : probs) {
            row.add(String.format(java.util.Locale.ROOT, "%.6f", v));
        }
        p.printRecord(row);
    }

    /** Prints the header of a low-confidence table, {@code ID,predicted,top_probability}. */
    public static void printLowConfidenceHeader(CSVPrinter p) throws IOException {
        p.printRecord("ID", "predicted", "top_probability");
    }

    /**
     * Prints {@code id,predicted,top_probability} when the row's top probability is below
     * {@code threshold}.
     *
     * @return whether the row was printed
     */
    public static boolean printLowConfidenceRow(CSVPrinter p, String id, float[] probs, double threshold)
            throws IOException {
        int top = argmax(probs);
        if (probs[top] < threshold) {
            p.printRecord(id, top, String.format(java.util.Locale.ROOT, "%.6f", probs[top]));
            return true;
        }
        return false;
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
                printLowConfidenceHeader(p);
                for (int i = 0; i < samples.size(); i++) {
                    if (printLowConfidenceRow(p, samples.get(i).id(), probs[i], threshold)) {
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
