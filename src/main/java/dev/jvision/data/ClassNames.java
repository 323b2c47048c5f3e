package dev.jvision.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads class display names from {@code meta.csv} ({@code target,class_name}).
 *
 * <p>Stateless utility; thread-safe. Returned lists are new, unmodifiable and owned by the caller.
 */
public final class ClassNames {
    private ClassNames() {}

    /**
     * Returns {@code numClasses} names. Classes absent from the file (or all of them, when
     * {@code metaCsv} is null or does not exist) are named {@code "class_<i>"}.
     *
     * @throws DataException when the file exists but has a bad header or bad rows
     */
    public static List<String> read(Path metaCsv, int numClasses) throws IOException {
        String[] names = new String[Math.max(0, numClasses)];
        if (metaCsv != null && Files.isRegularFile(metaCsv)) {
            String fn = String.valueOf(metaCsv.getFileName());
            List<String> problems = new ArrayList<>();
            try (Reader r = Files.newBufferedReader(metaCsv, StandardCharsets.UTF_8);
                 CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                         .setTrim(true).build().parse(r)) {
                List<String> header = p.getHeaderNames();
                int ti = Manifest.column(header, "target");
                int ni = Manifest.column(header, "class_name");
                if (ti < 0 || ni < 0) {
                    throw new DataException(fn + ":1: header must have columns target,class_name",
                            List.of(fn + ":1: header " + header + " lacks " + (ti < 0 ? "'target'" : "'class_name'")));
                }
                for (CSVRecord rec : p) {
                    int line = (int) rec.getRecordNumber() + 1;
                    String t = rec.size() > ti ? rec.get(ti) : "";
                    String name = rec.size() > ni ? rec.get(ni) : "";
                    int label;
                    try {
                        label = Integer.parseInt(t);
                    } catch (NumberFormatException e) {
                        problems.add(fn + ":" + line + " target '" + t + "': not an integer");
                        continue;
                    }
                    if (label < 0) {
                        problems.add(fn + ":" + line + " target '" + t + "': negative");
                    } else if (label < names.length) {
                        names[label] = name;
                    }
                }
            }
            if (!problems.isEmpty()) throw new DataException(fn + ": " + problems.size() + " bad rows", problems);
        }
        List<String> out = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            out.add(names[i] == null || names[i].isEmpty() ? "class_" + i : names[i]);
        }
        return List.copyOf(out);
    }
}
