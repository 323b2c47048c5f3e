package dev.jvision.track;

import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * The out-of-fold logits of a run ({@code oof_logits.csv}: {@code ID,fold,target,l0..lC-1}),
 * what temperature scaling is fitted on; training writes it, calibration and inference read
 * it. Immutable by convention (arrays are not copied);
 * thread-safe once built.
 *
 * @param ids     sample IDs
 * @param folds   the fold whose model predicted each row
 * @param targets the true class of each row
 * @param logits  {@code [rows][classes]} logits
 */
public record OofLogits(List<String> ids, int[] folds, int[] targets, float[][] logits) {
    /** The file name inside a run folder. */
    public static final String FILE = "oof_logits.csv";

    /** Number of rows. */
    public int size() {
        return ids.size();
    }

    /** Writes the CSV atomically (floats with 9 significant digits: lossless for float32). */
    public void write(Path file) throws IOException {
        AtomicFiles.writeText(file, w -> {
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                List<String> header = new ArrayList<>(List.of("ID", "fold", "target"));
                int c = logits.length == 0 ? 0 : logits[0].length;
                for (int k = 0; k < c; k++) {
                    header.add("l" + k);
                }
                p.printRecord(header);
                for (int i = 0; i < ids.size(); i++) {
                    List<Object> row = new ArrayList<>(c + 3);
                    row.add(ids.get(i));
                    row.add(folds[i]);
                    row.add(targets[i]);
                    for (float v : logits[i]) {
                        row.add(Float.toString(v));
                    }
                    p.printRecord(row);
                }
            }
        });
    }

    /** Reads a CSV written by {@link #write}; errors name the file and line. */
    public static OofLogits read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": not found (expected: out-of-fold logits written by `jvision pipeline`)");
        }
        List<String> ids = new ArrayList<>();
        List<Integer> fs = new ArrayList<>();
        List<Integer> ts = new ArrayList<>();
        List<float[]> ls = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r);
            List<String> h = parser.getHeaderNames();
            if (h.size() < 4 || !h.get(0).equals("ID") || !h.get(1).equals("fold") || !h.get(2).equals("target")) {
                throw new IllegalArgumentException(file + ":1 header " + h + " (expected: ID,fold,target,l0,...)");
            }
            int c = h.size() - 3;
            for (CSVRecord rec : parser) {
                long line = rec.getParser().getCurrentLineNumber();
                if (rec.size() != h.size()) {
                    throw new IllegalArgumentException(file + ":" + line + " " + rec.size() + " columns (expected: " + h.size() + ")");
                }
                try {
                    ids.add(rec.get(0));
                    fs.add(Integer.parseInt(rec.get(1)));
                    int t = Integer.parseInt(rec.get(2));
                    if (t < 0 || t >= c) {
                        throw new IllegalArgumentException(file + ":" + line + " target " + t + " (expected: 0.." + (c - 1) + ")");
                    }
                    ts.add(t);
                    float[] l = new float[c];
                    for (int k = 0; k < c; k++) {
                        l[k] = Float.parseFloat(rec.get(k + 3));
                    }
                    ls.add(l);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + line + " " + e.getMessage() + " (expected: numbers)", e);
                }
            }
        }
        return new OofLogits(List.copyOf(ids), fs.stream().mapToInt(Integer::intValue).toArray(),
                ts.stream().mapToInt(Integer::intValue).toArray(), ls.toArray(new float[0][]));
    }
}
