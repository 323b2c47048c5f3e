package dev.jvision.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A checked manifest: the rows that passed every check, in file order. Two formats: the
 * competition layout's {@code ID,target} CSV ({@link #read}) and image manifests
 * {@code image_path,label[,split]} ({@link #readImages}, see {@link ManifestRows}).
 *
 * <p>Immutable after {@link #read}; safe to share between threads. The returned lists are
 * unmodifiable; {@link #labels()} returns a fresh copy owned by the caller.
 *
 * <p>Problems are formatted {@code "train.csv:12 ID 'a.jpg': reason"}; line numbers are
 * 1-based with the header on line 1 (a record spanning several lines through quoted newlines
 * counts as one line).
 */
public final class Manifest {
    /** Reason texts (stable; {@link DataValidator#removeCorrupt} relies on them). */
    static final String MISSING = "missing file", EMPTY = "empty file", NOT_FILE = "not a regular file",
            ESCAPES = "ID escapes the image directory", DUPLICATE = "duplicate ID",
            EMPTY_ID = "empty ID", BAD_TARGET = "target must be an integer >= 0";

    private final Path csv;
    private final List<Sample> samples;
    private final List<String> skipped;
    private final boolean labelled;
    private final int numClasses;

    private Manifest(Path csv, List<Sample> samples, List<String> skipped, boolean labelled) {
        this(csv, samples, skipped, labelled, -1);
    }

    private Manifest(Path csv, List<Sample> samples, List<String> skipped, boolean labelled, int numClasses) {
        this.csv = csv;
        this.samples = List.copyOf(samples);
        this.skipped = List.copyOf(skipped);
        this.labelled = labelled;
        this.numClasses = numClasses;
    }

    /**
     * Reads the rows of one split of an image manifest ({@code image_path,label[,split]}),
     * checking paths, labels, duplicates (by resolved file) and that each file exists and is
     * not empty. Rows of other splits are left out silently.
     *
     * @param csv          the manifest
     * @param paths        how image paths resolve (see {@link ImagePaths})
     * @param classNames   class names by id (labels may be names; {@link #numClasses()} is their
     *                     count), or null (labels are ids)
     * @param defaultSplit split of rows without one ({@code train} or {@code val})
     * @param want         the split to keep
     * @param skipBad      false: throw listing every bad row; true: drop and record them
     * @throws DataException on a bad header, a malformed CSV, or bad rows (when {@code !skipBad})
     * @throws IOException   when the manifest cannot be read
     */
    public static Manifest readImages(Path csv, ImagePaths paths, List<String> classNames, String defaultSplit,
                                      String want, boolean skipBad) throws IOException {
        List<Sample> ok = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        Map<Path, Integer> seen = new HashMap<>();
        try (ManifestRows rows = ManifestRows.open(csv, paths, classNames, defaultSplit, true)) {
            while (rows.hasNext()) {
                ManifestRows.Row r = rows.next();
                if (!want.equals(r.split())) continue;
                if (r.problem() != null) {
                    bad.add(r.message());
                    continue;
                }
                Integer first = seen.putIfAbsent(r.file(), r.line());
                if (first != null) {
                    bad.add(r.where() + ": duplicate path (same file as line " + first + ")");
                    continue;
                }
                String why = checkFile(r.file());
                if (why != null) {
                    bad.add(r.where() + ": " + why + " (" + r.file() + ")");
                    continue;
                }
                ok.add(r.toSample(csv));
            }
        }
        String fn = String.valueOf(csv.getFileName());
        if (!bad.isEmpty() && !skipBad) {
            throw new DataException(fn + ": " + bad.size() + " bad row" + (bad.size() == 1 ? "" : "s")
                    + " (split " + want + "; `jvision validate-data --manifest " + csv + "` lists them all)", bad);
        }
        return new Manifest(csv, ok, bad, true, classNames == null ? -1 : classNames.size());
    }

    /**
     * Reads an {@code ID,target} CSV (header required, extra columns allowed, column names
     * case-insensitive, UTF-8 with optional BOM).
     *
     * @param csv      the CSV file
     * @param imageDir directory the IDs are file names in
     * @param labelled false ignores the target column (e.g. sample_submission); labels are -1
     * @param skipBad  false: throw {@link DataException} listing every bad row; true: drop bad
     *                 rows and record them in {@link #skipped()}
     * @throws DataException on a bad header (always) or bad rows (when {@code !skipBad})
     * @throws IOException   when the CSV cannot be read
     */
    public static Manifest read(Path csv, Path imageDir, boolean labelled, boolean skipBad) throws IOException {
        String fn = String.valueOf(csv.getFileName());
        if (!Files.isRegularFile(csv)) throw new java.nio.file.NoSuchFileException(csv.toString(), null, "CSV not found");
        Path base = imageDir.toAbsolutePath().normalize();
        List<Sample> ok = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                     .setAllowMissingColumnNames(true).setTrim(true).build().parse(r)) {
            List<String> header = p.getHeaderNames();
            int idCol = column(header, "ID");
            int tCol = labelled ? column(header, "target") : -1;
            List<String> missing = new ArrayList<>();
            if (idCol < 0) missing.add("ID");
            if (labelled && tCol < 0) missing.add("target");
            if (!missing.isEmpty()) {
                String msg = fn + ":1 header: missing column " + String.join(", ", missing)
                        + " (found " + header + ")";
                throw new DataException(fn + ": bad header", List.of(msg));
            }
            Map<String, Integer> seen = new HashMap<>();
            for (CSVRecord rec : p) {
                int line = (int) rec.getRecordNumber() + 1;
                String id = rec.size() > idCol ? rec.get(idCol) : "";
                String where = fn + ":" + line + " ID '" + id + "': ";
                if (id.isEmpty()) {
                    bad.add(where + EMPTY_ID);
                    continue;
                }
                int label = -1;
                if (labelled) {
                    String t = rec.size() > tCol ? rec.get(tCol) : "";
                    try {
                        label = Integer.parseInt(t);
                    } catch (NumberFormatException e) {
                        label = -1;
                    }
                    if (label < 0) {
                        bad.add(where + BAD_TARGET + ", got '" + t + "'");
                        continue;
                    }
                }
                Integer first = seen.putIfAbsent(id, line);
                if (first != null) {
                    bad.add(where + DUPLICATE + " (first on line " + first + ")");
                    continue;
                }
                Path file = resolve(base, id);
                if (file == null) {
                    bad.add(where + ESCAPES);
                    continue;
                }
                String why = checkFile(file);
                if (why != null) {
                    bad.add(where + why + " (" + file + ")");
                    continue;
                }
                ok.add(new Sample(id, label, file, csv, line));
            }
        }
        if (!bad.isEmpty() && !skipBad) {
            throw new DataException(fn + ": " + bad.size() + " bad row" + (bad.size() == 1 ? "" : "s")
                    + " (images in " + imageDir + ")", bad);
        }
        return new Manifest(csv, ok, bad, labelled);
    }

    /** Resolves {@code id} under {@code base}, or null when it is absolute or escapes. */
    static Path resolve(Path base, String id) {
        if (id.startsWith("/") || id.startsWith("\\") || id.indexOf('\0') >= 0) return null;
        try {
            Path rel = Path.of(id);
            if (rel.isAbsolute()) return null;
            for (Path part : rel) if (part.toString().equals("..")) return null;
            Path f = base.resolve(rel).normalize();
            return f.startsWith(base) && !f.equals(base) ? f : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Null when the file is a non-empty regular file, else the reason. */
    static String checkFile(Path file) {
        if (!Files.exists(file)) return MISSING;
        if (!Files.isRegularFile(file)) return NOT_FILE;
        try {
            if (Files.size(file) == 0) return EMPTY;
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
        return null;
    }

    /** Index of a header column, matched case-insensitively after trimming a BOM/space; -1 if absent. */
    static int column(List<String> header, String name) {
        for (int i = 0; i < header.size(); i++) {
            String h = header.get(i);
            if (h == null) continue;
            h = h.replace("\uFEFF", "").trim();
            if (h.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) return i;
        }
        return -1;
    }

    /** The CSV this manifest was read from. */
    public Path csv() {
        return csv;
    }

    /** Whether targets were read. */
    public boolean labelled() {
        return labelled;
    }

    /** Rows that passed every check, in file order (unmodifiable). */
    public List<Sample> samples() {
        return samples;
    }

    /** Rows dropped with {@code skipBad=true}, as problem strings (unmodifiable). */
    public List<String> skipped() {
        return skipped;
    }

    /** Labels of {@link #samples()}, in order (a fresh copy; -1 when unlabelled). */
    public int[] labels() {
        int[] l = new int[samples.size()];
        for (int i = 0; i < l.length; i++) l[i] = samples.get(i).label();
        return l;
    }

    /** The class file's class count when read with one, else max label + 1 (0 when empty or unlabelled). */
    public int numClasses() {
        if (numClasses >= 0) return numClasses;
        int m = -1;
        for (Sample s : samples) m = Math.max(m, s.label());
        return m + 1;
    }
}
