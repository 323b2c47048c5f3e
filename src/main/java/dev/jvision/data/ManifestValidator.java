package dev.jvision.data;

import dev.jvision.data.ManifestRows.Kind;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.track.Progress;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * {@code validate-data} for image manifests ({@code image_path,label[,split]}), streaming: rows
 * are parsed one at a time and their files checked by a bounded pool, so memory does not hold
 * the rows. What it keeps, for {@code R} rows and {@code K} classes:
 * <ul>
 *   <li>counts per problem kind, per split, per class ({@code K} longs), per image-size bucket;
 *   <li>the first {@code keepPerKind} problems of each kind (by line); every problem goes to the
 *       error file as it is found (in completion order, one {@code file:line ...} per line);
 *   <li>one bit per row (the bad lines, for {@link #writeClean}): R/8 bytes, 62 KB at 500k;
 *   <li>a duplicate detector of 64-bit path hashes plus the first line of each: at most
 *       {@code 2 * 12} bytes per row after growth (12 MB at 500k rows). Two different paths
 *       with the same 64-bit hash (chance ~ R^2 / 2^65, 7e-9 at 500k) would be reported as a
 *       duplicate;
 *   <li>at most {@code 4 * threads} queued file checks.
 * </ul>
 *
 * <p>Thread-safety: each {@link #validate} call is independent; the report is immutable.
 */
public final class ManifestValidator {
    /** How much of each image is checked. */
    public enum Check {
        /** Only that the file exists, is a regular file and is not empty. */
        NONE,
        /** Also the dimensions from the header, and the end marker of JPEG/PNG files (a few hundred bytes read). */
        HEADER,
        /** Also a full decode with OpenCV. */
        DECODE
    }

    /** Upper bounds of the long-side size buckets. */
    private static final int[] BUCKETS = {32, 64, 128, 256, 512, 1024, 2048};

    /**
     * What to check.
     *
     * @param paths        how image paths resolve
     * @param classNames   class names by id, or null (labels must be ids)
     * @param defaultSplit split of rows without one
     * @param check        how much of each image to check
     * @param threads      file-checking threads, &gt;= 1
     * @param keepPerKind  problems kept in the report per kind, &gt;= 0 (the error file has all)
     * @param errorFile    where every problem is written (atomically, at the end; removed when there
     *                     is none), or null for no file
     */
    public record Options(ImagePaths paths, List<String> classNames, String defaultSplit, Check check, int threads,
                          int keepPerKind, Path errorFile) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads: " + threads + " (expected: >= 1)");
            if (keepPerKind < 0) throw new IllegalArgumentException("keepPerKind: " + keepPerKind + " (expected: >= 0)");
        }
    }

    /**
     * The outcome of {@link #validate}.
     *
     * @param csv           the manifest
     * @param rows          data rows
     * @param okRows        rows without any problem
     * @param splits        rows per split
     * @param numClasses    classes in the class file, or -1 without one
     * @param classCounts   good-label rows per class id (all ids when a class file is given)
     * @param problems      problems per kind (every kind present, zero included)
     * @param firstProblems the first {@code keepPerKind} problems per kind, in line order
     * @param sizeHistogram checked images per long-side bucket (HEADER/DECODE only)
     * @param errorFile     the file holding every problem, or null
     * @param badLines      lines (1-based) of rows with a problem
     * @param check         how much of each image was checked
     */
    public record Report(Path csv, long rows, long okRows, Map<String, Long> splits, int numClasses,
                         Map<Integer, Long> classCounts, Map<Kind, Long> problems, Map<Kind, List<String>> firstProblems,
                         Map<String, Long> sizeHistogram, Path errorFile, BitSet badLines, Check check) {
        public Report {
            splits = Collections.unmodifiableMap(new TreeMap<>(splits));
            classCounts = Collections.unmodifiableMap(new TreeMap<>(classCounts));
            problems = Collections.unmodifiableMap(new EnumMap<>(problems));
            Map<Kind, List<String>> fp = new EnumMap<>(Kind.class);
            firstProblems.forEach((k, v) -> fp.put(k, List.copyOf(v)));
            firstProblems = Collections.unmodifiableMap(fp);
            sizeHistogram = Collections.unmodifiableMap(new LinkedHashMap<>(sizeHistogram));
            badLines = (BitSet) badLines.clone();
        }

        /** Total problems (one per bad row). */
        public long problemCount() {
            return problems.values().stream().mapToLong(Long::longValue).sum();
        }

        /** True when no row has a problem. */
        public boolean ok() {
            return problemCount() == 0;
        }

        /** Human-readable summary: counts, class spread, problems by kind with the first few of each. */
        public String format(List<String> classNames) {
            StringBuilder sb = new StringBuilder();
            String fn = String.valueOf(csv.getFileName());
            sb.append(fn).append(": ").append(rows).append(" rows, ").append(okRows).append(" good");
            splits.forEach((k, v) -> sb.append(", ").append(k).append(' ').append(v));
            sb.append(" (images checked: ").append(check.name().toLowerCase(Locale.ROOT)).append(")\n");
            long seen = classCounts.values().stream().filter(v -> v > 0).count();
            sb.append("classes: ").append(seen).append(" with rows");
            if (numClasses >= 0) sb.append(" of ").append(numClasses).append(" in the class file");
            if (seen > 0) {
                Map.Entry<Integer, Long> min = null, max = null;
                for (Map.Entry<Integer, Long> e : classCounts.entrySet()) {
                    if (e.getValue() == 0) continue;
                    if (min == null || e.getValue() < min.getValue()) min = e;
                    if (max == null || e.getValue() > max.getValue()) max = e;
                }
                sb.append("; rows per class ").append(min.getValue()).append(" (").append(name(classNames, min.getKey()))
                        .append(") to ").append(max.getValue()).append(" (").append(name(classNames, max.getKey())).append(')');
            }
            sb.append('\n');
            if (!sizeHistogram.isEmpty()) {
                sb.append("image sizes (long side, pixels):\n");
                sizeHistogram.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-10s %9d%n", k, v)));
            }
            if (ok()) {
                sb.append("problems: none\n");
                return sb.toString();
            }
            sb.append("problems: ").append(problemCount()).append('\n');
            for (Map.Entry<Kind, Long> e : problems.entrySet()) {
                if (e.getValue() == 0) continue;
                sb.append("  ").append(e.getKey().label()).append(": ").append(e.getValue()).append('\n');
                List<String> first = firstProblems.getOrDefault(e.getKey(), List.of());
                for (String p : first) sb.append("    ").append(p).append('\n');
                if (e.getValue() > first.size()) sb.append("    ... and ").append(e.getValue() - first.size()).append(" more\n");
            }
            if (errorFile != null) sb.append("every problem: ").append(errorFile).append('\n');
            return sb.toString();
        }

        private static String name(List<String> names, int c) {
            return names != null && c >= 0 && c < names.size() ? names.get(c) : "class " + c;
        }
    }

    private ManifestValidator() {}

    /**
     * Validates {@code csv}, streaming.
     *
     * @throws DataException on a bad header or a malformed CSV (an unclosed quote stops parsing)
     * @throws IOException   when the manifest cannot be read or the error file written
     */
    public static Report validate(Path csv, Options o) throws IOException {
        long total = countRows(csv);
        State st = new State(o);
        if (o.errorFile() == null) {
            st.run(csv, total, null);
        } else {
            AtomicFiles.write(o.errorFile(), tmp -> {
                try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    st.run(csv, total, w);
                }
            });
        }
        Report r = st.report(csv);
        if (r.ok() && o.errorFile() != null) {
            Files.deleteIfExists(o.errorFile()); // nothing to list; do not leave an empty or stale file
            r = new Report(r.csv(), r.rows(), r.okRows(), r.splits(), r.numClasses(), r.classCounts(), r.problems(),
                    r.firstProblems(), r.sizeHistogram(), null, r.badLines(), r.check());
        }
        return r;
    }

    /** Mutable validation state; rows are parsed on the caller's thread, files checked on the pool. */
    private static final class State {
        private final Options o;
        private final AtomicLong ok = new AtomicLong();
        private final Map<Kind, Long> counts = new EnumMap<>(Kind.class);
        private final Map<Kind, PriorityQueue<Problem>> first = new EnumMap<>(Kind.class);
        private final long[] sizes = new long[BUCKETS.length + 1];
        private final BitSet bad = new BitSet();
        private final Map<String, Long> splits = new TreeMap<>();
        private final Map<Integer, Long> classCounts = new TreeMap<>();
        private final PathHashes seen = new PathHashes();
        private long rows;
        private Writer errors;
        private IOException writeFailure;

        private record Problem(int line, String text) {}

        State(Options o) {
            this.o = o;
            for (Kind k : Kind.values()) counts.put(k, 0L);
            if (o.classNames() != null) for (int c = 0; c < o.classNames().size(); c++) classCounts.put(c, 0L);
        }

        void run(Path csv, long total, Writer w) throws IOException {
            this.errors = w;
            ThreadPoolExecutor pool = new ThreadPoolExecutor(o.threads(), o.threads(), 30, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(4 * o.threads()), r -> {
                        Thread t = new Thread(r, "jvision-validate");
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.CallerRunsPolicy());
            long t0 = System.nanoTime();
            try (ManifestRows it = ManifestRows.open(csv, o.paths(), o.classNames(), o.defaultSplit(), true);
                 Progress progress = Progress.start("validate " + csv.getFileName(), total)) {
                long shown = 0;
                while (it.hasNext()) {
                    ManifestRows.Row r = it.next();
                    rows++;
                    if (rows - shown >= 1000) {
                        double s = (System.nanoTime() - t0) / 1e9;
                        progress.step(rows - shown, String.format(Locale.ROOT, "%.0f rows/s, %d problems", rows / s,
                                problemTotal()));
                        shown = rows;
                    }
                    splits.merge(r.split(), 1L, Long::sum);
                    if (r.kind() != null) {
                        problem(r.kind(), r.line(), r.message());
                        continue;
                    }
                    int firstLine = seen.addIfAbsent(r.file().toString(), r.line());
                    if (firstLine != 0) {
                        problem(Kind.DUPLICATE, r.line(), r.where() + ": duplicate path (same file as line "
                                + firstLine + ")");
                        continue;
                    }
                    classCounts.merge(r.label(), 1L, Long::sum);
                    pool.execute(() -> checkFile(r));
                }
                pool.shutdown();
                while (!pool.awaitTermination(200, TimeUnit.MILLISECONDS)) {
                    // wait for the queued checks
                }
                progress.step(rows - shown, String.format(Locale.ROOT, "%d problems", problemTotal()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("validation interrupted", e);
            } finally {
                pool.shutdownNow();
            }
            synchronized (this) {
                if (writeFailure != null) throw writeFailure;
            }
        }

        private void checkFile(ManifestRows.Row r) {
            Path f = r.file();
            try {
                int[] wh = null;
                switch (o.check()) {
                    case NONE -> {
                        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                        if (!a.isRegularFile()) throw new IOException(f + ": " + Manifest.NOT_FILE);
                        if (a.size() == 0) throw new IOException(f + ": " + Manifest.EMPTY);
                    }
                    case HEADER -> wh = ImageHeader.dimensions(f);
                    case DECODE -> {
                        ImageHeader.dimensions(f);
                        wh = Images.probeSize(f);
                    }
                }
                ok.incrementAndGet();
                if (wh != null) {
                    int b = bucket(Math.max(wh[0], wh[1]));
                    synchronized (this) {
                        sizes[b]++;
                    }
                }
            } catch (NoSuchFileException e) {
                problem(Kind.MISSING, r.line(), r.where() + ": " + Manifest.MISSING + " (" + f + ")");
            } catch (AccessDeniedException e) {
                problem(Kind.EMPTY, r.line(), r.where() + ": unreadable: permission denied (" + f + ")");
            } catch (IOException | RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                String prefix = f + ": ";
                if (m.startsWith(prefix)) m = m.substring(prefix.length());
                Kind k = m.startsWith(Manifest.EMPTY) || m.startsWith(Manifest.NOT_FILE) ? Kind.EMPTY : Kind.CORRUPT;
                problem(k, r.line(), r.where() + ": " + m + " (" + f + ")");
            }
        }

        private synchronized long problemTotal() {
            return counts.values().stream().mapToLong(Long::longValue).sum();
        }

        private synchronized void problem(Kind k, int line, String text) {
            counts.merge(k, 1L, Long::sum);
            bad.set(line);
            if (o.keepPerKind() > 0) {
                PriorityQueue<Problem> q = first.computeIfAbsent(k,
                        x -> new PriorityQueue<>(Comparator.comparingInt(Problem::line).reversed()));
                if (q.size() < o.keepPerKind()) {
                    q.add(new Problem(line, text));
                } else if (line < q.peek().line()) {
                    q.poll();
                    q.add(new Problem(line, text));
                }
            }
            if (errors != null && writeFailure == null) {
                try {
                    errors.write(text);
                    errors.write('\n');
                } catch (IOException e) {
                    writeFailure = e;
                }
            }
        }

        synchronized Report report(Path csv) {
            Map<Kind, List<String>> kept = new EnumMap<>(Kind.class);
            first.forEach((k, q) -> {
                List<Problem> l = new ArrayList<>(q);
                l.sort(Comparator.comparingInt(Problem::line));
                kept.put(k, l.stream().map(Problem::text).toList());
            });
            Map<String, Long> hist = new LinkedHashMap<>();
            for (int i = 0; i < sizes.length; i++) if (sizes[i] > 0) hist.put(bucketName(i), sizes[i]);
            return new Report(csv, rows, ok.get(), splits, o.classNames() == null ? -1 : o.classNames().size(),
                    classCounts, counts, kept, hist, o.errorFile(), bad, o.check());
        }
    }

    static int bucket(int longSide) {
        for (int i = 0; i < BUCKETS.length; i++) if (longSide <= BUCKETS[i]) return i;
        return BUCKETS.length;
    }

    static String bucketName(int i) {
        if (i == 0) return "<=" + BUCKETS[0];
        if (i == BUCKETS.length) return ">" + BUCKETS[BUCKETS.length - 1];
        return (BUCKETS[i - 1] + 1) + "-" + BUCKETS[i];
    }

    /** Newline count minus the header: the row count when no record spans lines (for the progress bar). */
    static long countRows(Path csv) throws IOException {
        long n = 0;
        byte last = '\n';
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(csv)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                for (int i = 0; i < r; i++) if (buf[i] == '\n') n++;
                last = buf[r - 1];
            }
        }
        if (last != '\n') n++;
        return Math.max(0, n - 1);
    }

    /**
     * What {@link #writeClean} did.
     *
     * @param out     the cleaned manifest
     * @param kept    rows written
     * @param dropped rows left out
     */
    public record Cleaned(Path out, long kept, long dropped) {}

    /** {@code train.csv -> train.clean.csv} beside it. */
    public static Path cleanName(Path csv) {
        String fn = String.valueOf(csv.getFileName());
        int dot = fn.lastIndexOf('.');
        String stem = dot > 0 ? fn.substring(0, dot) : fn;
        String ext = dot > 0 ? fn.substring(dot) : ".csv";
        return csv.resolveSibling(stem + ".clean" + ext);
    }

    /**
     * Writes {@code out} (atomically) with the rows of {@code csv} except those whose line is
     * in {@code badLines}; the header is kept, {@code csv} is not touched. Streams.
     *
     * @throws IllegalArgumentException when {@code out} is {@code csv}
     */
    public static Cleaned writeClean(Path csv, BitSet badLines, Path out) throws IOException {
        if (out.toAbsolutePath().normalize().equals(csv.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("out: " + out + " (expected: a file other than the manifest itself)");
        }
        long[] kd = new long[2];
        AtomicFiles.write(out, tmp -> {
            try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
                 CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                         .setAllowMissingColumnNames(true).setAllowDuplicateHeaderNames(true).build().parse(r);
                 Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                 CSVPrinter printer = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").build())) {
                List<String> header = new ArrayList<>(p.getHeaderNames());
                if (!header.isEmpty()) header.set(0, header.get(0).replace("\uFEFF", ""));
                printer.printRecord(header);
                for (CSVRecord rec : p) {
                    int line = (int) rec.getRecordNumber() + 1;
                    if (badLines.get(line)) {
                        kd[1]++;
                        continue;
                    }
                    printer.printRecord(rec.values());
                    kd[0]++;
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        });
        return new Cleaned(out, kd[0], kd[1]);
    }

    /**
     * A set of 64-bit path hashes with the line each was first seen on: open addressing over two
     * parallel arrays ({@code long} hash, {@code int} line), grown at 50% load. Not thread-safe.
     */
    static final class PathHashes {
        private long[] keys = new long[1 << 12];
        private int[] lines = new int[1 << 12];
        private int size;

        /** Adds {@code path}; returns 0 when new, else the line it was first added with. */
        int addIfAbsent(String path, int line) {
            long h = hash(path);
            if (h == 0) h = 1; // 0 marks an empty slot
            int mask = keys.length - 1;
            for (int i = (int) (h ^ (h >>> 32)) & mask; ; i = (i + 1) & mask) {
                if (keys[i] == 0) {
                    keys[i] = h;
                    lines[i] = line;
                    if (++size * 2 > keys.length) grow();
                    return 0;
                }
                if (keys[i] == h) return lines[i];
            }
        }

        int size() {
            return size;
        }

        /** Bytes held by the arrays. */
        long bytes() {
            return keys.length * 12L;
        }

        private void grow() {
            long[] ok = keys;
            int[] ol = lines;
            keys = new long[ok.length * 2];
            lines = new int[ok.length * 2];
            int mask = keys.length - 1;
            for (int j = 0; j < ok.length; j++) {
                if (ok[j] == 0) continue;
                int i = (int) (ok[j] ^ (ok[j] >>> 32)) & mask;
                while (keys[i] != 0) i = (i + 1) & mask;
                keys[i] = ok[j];
                lines[i] = ol[j];
            }
        }

        /** 64-bit FNV-1a over the UTF-16 chars, then a SplitMix64 finalizer. */
        static long hash(String s) {
            long h = 0xcbf29ce484222325L;
            for (int i = 0; i < s.length(); i++) {
                h ^= s.charAt(i);
                h *= 0x100000001b3L;
            }
            h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
            h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
            return h ^ (h >>> 31);
        }
    }
}
