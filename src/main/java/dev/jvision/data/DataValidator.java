package dev.jvision.data;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code validate-data} logic: row counts, class distribution, image size histogram and
 * bad rows/files (missing, empty, corrupt, escaping IDs, bad targets, duplicates), plus an
 * optional clean-up that quarantines bad files and rewrites the CSVs.
 *
 * <p>Stateless utility; thread-safe as long as two calls do not work on the same data root at
 * once. Returned reports and lists are immutable.
 */
public final class DataValidator {
    private static final Logger log = LoggerFactory.getLogger(DataValidator.class);
    /** Upper bounds of the long-side size buckets. */
    private static final int[] BUCKETS = {32, 64, 128, 256, 512, 1024, 2048};
    private static final Pattern PROBLEM = Pattern.compile("^(.*?):(\\d+) ID '(.*?)': (.*)$", Pattern.DOTALL);

    private DataValidator() {}

    /**
     * Result of {@link #validate}.
     *
     * @param trainRows     data rows in the training CSV (good and bad)
     * @param testRows      data rows in the sample submission (0 when it is absent)
     * @param classCounts   training rows per label (rows with a valid target and existing file)
     * @param sizeHistogram decoded images (train + test) per long-side bucket, e.g. "129-256"
     * @param problems      every problem, {@code "file:line ID 'x': reason"}, train first
     */
    public record Report(int trainRows, int testRows, Map<Integer, Integer> classCounts,
                         Map<String, Integer> sizeHistogram, List<String> problems) {
        public Report {
            classCounts = Collections.unmodifiableMap(new TreeMap<>(classCounts));
            sizeHistogram = Collections.unmodifiableMap(new LinkedHashMap<>(sizeHistogram));
            problems = List.copyOf(problems);
        }

        /** True when no problems were found. */
        public boolean ok() {
            return problems.isEmpty();
        }

        /**
         * Human-readable multi-line summary.
         *
         * @param classNames names by label (may be shorter than the labels seen, or null)
         */
        public String format(List<String> classNames) {
            StringBuilder sb = new StringBuilder();
            sb.append("train rows: ").append(trainRows).append(", test rows: ").append(testRows).append('\n');
            int total = classCounts.values().stream().mapToInt(Integer::intValue).sum();
            sb.append("classes: ").append(classCounts.size()).append('\n');
            for (Map.Entry<Integer, Integer> e : classCounts.entrySet()) {
                int c = e.getKey();
                String name = classNames != null && c >= 0 && c < classNames.size() ? classNames.get(c) : "class_" + c;
                sb.append(String.format(java.util.Locale.ROOT, "  %3d %-24s %7d  %5.1f%%%n", c, name, e.getValue(),
                        total == 0 ? 0.0 : 100.0 * e.getValue() / total));
            }
            sb.append("image sizes (long side, pixels):\n");
            for (Map.Entry<String, Integer> e : sizeHistogram.entrySet()) {
                sb.append(String.format(java.util.Locale.ROOT, "  %-10s %7d%n", e.getKey(), e.getValue()));
            }
            if (problems.isEmpty()) {
                sb.append("problems: none\n");
            } else {
                sb.append(DataException.format("problems: " + problems.size(), problems)).append('\n');
            }
            return sb.toString();
        }
    }

    /**
     * Checks a data root. Paths are relative to {@code root}; a missing sample submission is
     * reported as a problem only if the test directory exists. Decodes every image (in parallel).
     *
     * @throws DataException when a CSV header lacks a required column
     * @throws IOException   when the training CSV is missing or unreadable
     */
    public static Report validate(Path root, String trainCsv, String trainDir, String testDir,
                                  String sampleSubmission) throws IOException {
        List<String> problems = new ArrayList<>();
        Manifest train = Manifest.read(root.resolve(trainCsv), root.resolve(trainDir), true, true);
        problems.addAll(train.skipped());
        List<Sample> all = new ArrayList<>(train.samples());
        int testRows = 0;
        Path sub = root.resolve(sampleSubmission);
        List<String> testProblems = List.of();
        if (Files.isRegularFile(sub)) {
            Manifest test = Manifest.read(sub, root.resolve(testDir), false, true);
            testRows = test.samples().size() + test.skipped().size();
            testProblems = test.skipped();
            all.addAll(test.samples());
        } else if (Files.isDirectory(root.resolve(testDir))) {
            testProblems = List.of(sampleSubmission + ": not found (it defines the test IDs)");
        }
        Map<Integer, Integer> classCounts = new TreeMap<>();
        for (Sample s : train.samples()) classCounts.merge(s.label(), 1, Integer::sum);

        String[] errors = new String[all.size()];
        int[] longSide = new int[all.size()];
        int threads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "jvision-validate");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                final int idx = i;
                fs.add(pool.submit(() -> {
                    Sample s = all.get(idx);
                    try {
                        int[] wh = Images.probeSize(s.file());
                        longSide[idx] = Math.max(wh[0], wh[1]);
                    } catch (IOException | RuntimeException e) {
                        errors[idx] = s.where() + ": " + ImageCache.reason(e, s.file());
                    }
                }));
            }
            for (Future<?> f : fs) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("validation interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        int nTrain = train.samples().size();
        Map<String, Integer> hist = new LinkedHashMap<>();
        for (String b : bucketNames()) hist.put(b, 0);
        for (int i = 0; i < all.size(); i++) {
            if (errors[i] != null) {
                if (i < nTrain) problems.add(errors[i]);
            } else {
                hist.merge(bucket(longSide[i]), 1, Integer::sum);
            }
        }
        problems.addAll(testProblems);
        for (int i = nTrain; i < all.size(); i++) if (errors[i] != null) problems.add(errors[i]);
        hist.values().removeIf(v -> v == 0);
        int trainRows = train.samples().size() + train.skipped().size();
        log.info("validated {}: {} train rows, {} test rows, {} problems", root, trainRows, testRows, problems.size());
        return new Report(trainRows, testRows, classCounts, hist, problems);
    }

    private static List<String> bucketNames() {
        List<String> names = new ArrayList<>();
        int lo = 1;
        for (int b : BUCKETS) {
            names.add(lo == 1 ? "<=" + b : lo + "-" + b);
            lo = b + 1;
        }
        names.add(">" + BUCKETS[BUCKETS.length - 1]);
        return names;
    }

    static String bucket(int longSide) {
        int lo = 1;
        for (int b : BUCKETS) {
            if (longSide <= b) return lo == 1 ? "<=" + b : lo + "-" + b;
            lo = b + 1;
        }
        return ">" + BUCKETS[BUCKETS.length - 1];
    }

    /**
     * Quarantines the bad files of {@code report} and drops their rows: files that exist but
     * are empty or cannot be decoded are moved to {@code <root>/_corrupt/<dir>/<ID>}; every
     * row named by a problem (missing/escaping/duplicate/bad target too) is removed from its
     * CSV. Each changed CSV is first copied to {@code <csv>.bak}, then replaced atomically. A row
     * is removed only if the line still holds the same ID as when validated.
     *
     * @return one line per moved file and per removed row
     */
    public static List<String> removeCorrupt(Path root, Report report, String trainCsv, String trainDir,
                                             String testDir, String sampleSubmission) throws IOException {
        String trainName = String.valueOf(Path.of(trainCsv).getFileName());
        String subName = String.valueOf(Path.of(sampleSubmission).getFileName());
        Map<Integer, String> trainDrop = new TreeMap<>(), subDrop = new TreeMap<>();
        List<String> done = new ArrayList<>();
        for (String p : report.problems()) {
            Matcher m = PROBLEM.matcher(p);
            if (!m.matches()) continue;
            String csvName = m.group(1), id = m.group(3), reason = m.group(4);
            int line = Integer.parseInt(m.group(2));
            String dir;
            Map<Integer, String> drop;
            if (csvName.equals(trainName)) {
                dir = trainDir;
                drop = trainDrop;
            } else if (csvName.equals(subName)) {
                dir = testDir;
                drop = subDrop;
            } else {
                continue;
            }
            drop.put(line, id);
            if (isBadFile(reason)) {
                Path base = root.resolve(dir).toAbsolutePath().normalize();
                Path f = Manifest.resolve(base, id);
                if (f != null && Files.isRegularFile(f)) {
                    Path dest = root.resolve("_corrupt").resolve(dir).resolve(id).normalize();
                    Files.createDirectories(dest.getParent());
                    Path target = dest;
                    for (int k = 1; Files.exists(target); k++) target = dest.resolveSibling(dest.getFileName() + "." + k);
                    Files.move(f, target);
                    done.add("moved " + root.relativize(f.toAbsolutePath()) + " -> " + root.toAbsolutePath().relativize(target.toAbsolutePath()));
                }
            }
        }
        done.addAll(rewrite(root.resolve(trainCsv), trainDrop));
        done.addAll(rewrite(root.resolve(sampleSubmission), subDrop));
        return List.copyOf(done);
    }

    private static boolean isBadFile(String reason) {
        return reason.startsWith(Manifest.EMPTY) || reason.startsWith("cannot decode")
                || reason.startsWith("unsupported");
    }

    /** Rewrites {@code csv} without the rows at the given lines (if their ID still matches). */
    private static List<String> rewrite(Path csv, Map<Integer, String> drop) throws IOException {
        if (drop.isEmpty() || !Files.isRegularFile(csv)) return List.of();
        String fn = String.valueOf(csv.getFileName());
        List<String> removed = new ArrayList<>();
        Path tmp = Files.createTempFile(csv.toAbsolutePath().getParent(), fn, ".tmp");
        try {
            try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
                 CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                         .setAllowMissingColumnNames(true).setAllowDuplicateHeaderNames(true).build().parse(r);
                 Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                List<String> header = p.getHeaderNames();
                int idCol = Manifest.column(header, "ID");
                CSVPrinter out = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").build());
                out.printRecord(header);
                TreeSet<Integer> pending = new TreeSet<>(drop.keySet());
                for (CSVRecord rec : p) {
                    int line = (int) rec.getRecordNumber() + 1;
                    String want = drop.get(line);
                    String id = idCol >= 0 && rec.size() > idCol ? rec.get(idCol).trim() : "";
                    if (want != null && want.equals(id)) {
                        removed.add("removed " + fn + ":" + line + " ID '" + id + "'");
                        pending.remove(line);
                        continue;
                    }
                    out.printRecord(rec.values());
                }
                out.flush();
                for (int line : pending) log.warn("{}:{} no longer holds ID '{}'; row kept", fn, line, drop.get(line));
            }
            if (removed.isEmpty()) return List.of();
            Files.copy(csv, csv.resolveSibling(fn + ".bak"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.COPY_ATTRIBUTES);
            try {
                Files.move(tmp, csv, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, csv, StandardCopyOption.REPLACE_EXISTING);
            }
            return removed;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
