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
 * Reads class names: display names from {@code meta.csv} ({@code target,class_name}) for the
 * competition layout, and class files ({@link #readClassFile}) that map manifest labels to ids.
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

    /**
     * Reads a class file: either one name per line (line i, counting non-blank lines from 0, is
     * class i) or CSV {@code index,name} rows (an optional {@code index,name} header; every index
     * in 0..K-1 exactly once, any order). The format is chosen by the first non-blank line: a
     * leading integer followed by a comma, or that header, means CSV. Blank lines are skipped;
     * names are trimmed.
     *
     * @return the names by class id (new, unmodifiable)
     * @throws DataException naming file:line for an empty file, duplicate names, duplicate, missing
     *                       or non-integer indices
     */
    public static List<String> readClassFile(Path file) throws IOException {
        String fn = String.valueOf(file.getFileName());
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "class file not found");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        java.util.Map<String, Integer> firstLine = new java.util.HashMap<>();
        java.util.Map<Integer, String> byIndex = new java.util.TreeMap<>();
        Boolean csv = null;
        int next = 0;
        for (int i = 0; i < lines.size(); i++) {
            int line = i + 1;
            String raw = lines.get(i).replace("\uFEFF", "").trim();
            if (raw.isEmpty()) continue;
            if (csv == null) {
                csv = raw.matches("\\d+\\s*,.*") || raw.replace(" ", "").equalsIgnoreCase("index,name");
                if (raw.replace(" ", "").equalsIgnoreCase("index,name")) continue;
            }
            int index;
            String name;
            if (csv) {
                int comma = raw.indexOf(',');
                String idx = comma < 0 ? raw : raw.substring(0, comma).trim();
                name = comma < 0 ? "" : unquote(raw.substring(comma + 1).trim());
                try {
                    index = Integer.parseInt(idx);
                } catch (NumberFormatException e) {
                    problems.add(fn + ":" + line + " index: '" + idx + "' (expected: an integer >= 0, as in 'index,name')");
                    continue;
                }
                if (index < 0) {
                    problems.add(fn + ":" + line + " index: " + index + " (expected: >= 0)");
                    continue;
                }
                if (byIndex.containsKey(index)) {
                    problems.add(fn + ":" + line + " index: " + index + " (expected: each index once; also on an earlier line)");
                    continue;
                }
            } else {
                index = next++;
                name = raw;
            }
            if (name.isEmpty()) {
                problems.add(fn + ":" + line + " name: '' (expected: a class name)");
                continue;
            }
            Integer first = firstLine.putIfAbsent(name, line);
            if (first != null) {
                problems.add(fn + ":" + line + " name: '" + name + "' (expected: unique names; also on line " + first + ")");
                continue;
            }
            byIndex.put(index, name);
        }
        if (byIndex.isEmpty() && problems.isEmpty()) {
            problems.add(fn + ":1: no class names (expected: one name per line, or index,name rows)");
        }
        List<String> out = new ArrayList<>(byIndex.size());
        int expect = 0;
        for (java.util.Map.Entry<Integer, String> e : byIndex.entrySet()) {
            if (e.getKey() != expect) {
                problems.add(fn + ": index " + expect + " missing (expected: indices 0.." + (byIndex.size() - 1)
                        + " each once; found " + e.getKey() + " next)");
                break;
            }
            out.add(e.getValue());
            expect++;
        }
        if (!problems.isEmpty()) {
            throw new DataException(fn + ": " + problems.size() + " bad line" + (problems.size() == 1 ? "" : "s"), problems);
        }
        return List.copyOf(out);
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1).replace("\"\"", "\"") : s;
    }
}
