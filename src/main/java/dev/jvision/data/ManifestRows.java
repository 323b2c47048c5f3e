package dev.jvision.data;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Streams the rows of an image manifest, a CSV with header {@code image_path,label[,split]}
 * (column names case-insensitive, extra columns ignored, UTF-8 with optional BOM), one row at a
 * time: memory does not grow with the file. Each row carries its resolved file (through
 * {@link ImagePaths}), class id and split, or the first problem found with it.
 *
 * <p>Labels are class ids ({@code >= 0}) or, with a class list, class names (an integer that is
 * not a name is taken as an id when it is in range). Splits: empty (the manifest's default),
 * {@code train}, {@code val} (also {@code valid}, {@code validation}) or {@code test}.
 *
 * <p>Line numbers are 1-based with the header on line 1 (a record spanning lines through quoted
 * newlines counts as one line). Not thread-safe; close it (it owns the open file).
 */
public final class ManifestRows implements Iterator<ManifestRows.Row>, AutoCloseable {

    /** Kinds of problem a row can have (parsing here; files in {@link ManifestValidator}). */
    public enum Kind {
        /** Too few fields for the header. */
        MALFORMED("malformed rows"),
        /** Empty path, {@code ..}, absolute path not allowed, invalid characters. */
        BAD_PATH("refused paths"),
        /** Not an id, unknown class name, id out of range. */
        BAD_LABEL("bad labels"),
        /** Unknown split value. */
        BAD_SPLIT("bad splits"),
        /** The same file on an earlier row. */
        DUPLICATE("duplicate paths"),
        /** The file does not exist. */
        MISSING("missing files"),
        /** Empty, not a regular file, or unreadable. */
        EMPTY("empty or unreadable files"),
        /** Not a decodable image. */
        CORRUPT("corrupt images");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** Plural description for summaries, e.g. "missing files". */
        public String label() {
            return label;
        }
    }

    /**
     * One manifest row.
     *
     * @param csvName file name of the manifest (for messages)
     * @param line    1-based line (header = 1)
     * @param path    the {@code image_path} value as written
     * @param file    the resolved file, or null when the path was refused
     * @param label   class id, or -1 when unlabelled or bad
     * @param split   {@code train}, {@code val} or {@code test}
     * @param kind    the problem kind, or null when the row parsed cleanly
     * @param problem the problem text, or null
     */
    public record Row(String csvName, int line, String path, Path file, int label, String split, Kind kind,
                      String problem) {
        /** {@code "train.csv:12 image_path 'a/b.jpg'"}. */
        public String where() {
            return csvName + ":" + line + " image_path '" + path + "'";
        }

        /** {@code where(): problem}, or null when the row is fine. */
        public String message() {
            return problem == null ? null : where() + ": " + problem;
        }

        /** The row as a {@link Sample} (id = the path value as written). */
        public Sample toSample(Path csv) {
            return new Sample(path, label, file, csv, line);
        }
    }

    private final String fn;
    private final Reader reader;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private final ImagePaths paths;
    private final List<String> classNames;
    private final Map<String, Integer> classIds;
    private final String defaultSplit;
    private final int pathCol, labelCol, splitCol, needed;

    private ManifestRows(Path csv, ImagePaths paths, List<String> classNames, String defaultSplit, boolean labelled)
            throws IOException {
        this.fn = String.valueOf(csv.getFileName());
        this.paths = paths;
        this.classNames = classNames;
        this.defaultSplit = defaultSplit;
        if (classNames != null) {
            classIds = new HashMap<>(classNames.size() * 2);
            for (int i = 0; i < classNames.size(); i++) classIds.put(classNames.get(i), i);
        } else {
            classIds = null;
        }
        if (!Files.isRegularFile(csv)) throw new NoSuchFileException(csv.toString(), null, "manifest not found");
        reader = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
        try {
            parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setAllowMissingColumnNames(true)
                    .setAllowDuplicateHeaderNames(true).setTrim(true).build().parse(reader);
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
        List<String> header = parser.getHeaderNames();
        pathCol = Manifest.column(header, "image_path");
        labelCol = labelled ? Manifest.column(header, "label") : -1;
        splitCol = Manifest.column(header, "split");
        if (pathCol < 0 || (labelled && labelCol < 0)) {
            parser.close();
            String missing = pathCol < 0 ? "image_path" : "label";
            throw new DataException(fn + ": bad header", List.of(fn + ":1 header: missing column " + missing
                    + " (found " + header + "; expected: image_path,label[,split])"));
        }
        needed = Math.max(pathCol, labelCol) + 1;
        records = parser.iterator();
    }

    /**
     * Opens a manifest.
     *
     * @param csv          the manifest
     * @param paths        how image paths resolve
     * @param classNames   class names by id (labels may then be names), or null (labels are ids)
     * @param defaultSplit split of rows without a split value ({@code train} or {@code val})
     * @param labelled     false: no label column needed, labels are -1
     * @throws DataException on a bad header
     * @throws IOException   when the file is missing or unreadable
     */
    public static ManifestRows open(Path csv, ImagePaths paths, List<String> classNames, String defaultSplit,
                                    boolean labelled) throws IOException {
        return new ManifestRows(csv, paths, classNames, defaultSplit, labelled);
    }

    /** @throws DataException (file:line) when the CSV itself is malformed, e.g. an unclosed quote */
    @Override
    public boolean hasNext() {
        try {
            return records.hasNext();
        } catch (UncheckedIOException | IllegalStateException e) {
            throw malformed(e);
        }
    }

    @Override
    public Row next() {
        if (!hasNext()) throw new NoSuchElementException();
        CSVRecord rec;
        try {
            rec = records.next();
        } catch (UncheckedIOException | IllegalStateException e) {
            throw malformed(e);
        }
        int line = (int) rec.getRecordNumber() + 1;
        String path = rec.size() > pathCol ? rec.get(pathCol) : "";
        if (rec.size() < needed) {
            return new Row(fn, line, path, null, -1, defaultSplit, Kind.MALFORMED, rec.size() + " field"
                    + (rec.size() == 1 ? "" : "s") + " (expected: image_path,label[,split])");
        }
        String split = defaultSplit;
        if (splitCol >= 0 && rec.size() > splitCol && !rec.get(splitCol).isEmpty()) {
            String s = rec.get(splitCol).toLowerCase(Locale.ROOT);
            split = switch (s) {
                case "train" -> "train";
                case "val", "valid", "validation" -> "val";
                case "test" -> "test";
                default -> null;
            };
            if (split == null) {
                return new Row(fn, line, path, null, -1, defaultSplit, Kind.BAD_SPLIT,
                        "split '" + rec.get(splitCol) + "' (expected: train, val or test)");
            }
        }
        ImagePaths.Resolved r = paths.resolve(path);
        if (r.problem() != null) return new Row(fn, line, path, null, -1, split, Kind.BAD_PATH, r.problem());
        int label = -1;
        if (labelCol >= 0) {
            String v = rec.get(labelCol);
            Integer id = classIds == null ? null : classIds.get(v);
            if (id == null) {
                int n = -1;
                try {
                    n = Integer.parseInt(v);
                } catch (NumberFormatException e) {
                    n = -1;
                }
                if (classNames == null && n < 0) {
                    return new Row(fn, line, path, r.file(), -1, split, Kind.BAD_LABEL, "label '" + v
                            + "' (expected: a class id >= 0, or set data.class_file to map class names)");
                }
                if (classNames != null && (n < 0 || n >= classNames.size())) {
                    return new Row(fn, line, path, r.file(), -1, split, Kind.BAD_LABEL, "unknown class '" + v
                            + "' (expected: a name in the class file or an id 0.." + (classNames.size() - 1) + ")");
                }
                id = n;
            }
            label = id;
        }
        return new Row(fn, line, path, r.file(), label, split, null, null);
    }

    private DataException malformed(RuntimeException e) {
        String m = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getMessage();
        long line = parser.getCurrentLineNumber() + 1;
        return new DataException(fn + ": malformed CSV", List.of(fn + ":" + line + ": malformed CSV (" + m
                + "; expected: image_path,label[,split] rows, quotes closed)"));
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
