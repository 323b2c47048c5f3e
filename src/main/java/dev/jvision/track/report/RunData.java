package dev.jvision.track.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.track.OofLogits;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What a report shows of one run folder, read from its files: {@code config.yaml},
 * {@code metrics.csv}, {@code oof_logits.csv}, {@code calibration.json},
 * {@code submission_info.json} and the checkpoint sidecars' class names. Every file but
 * {@code config.yaml} and {@code metrics.csv} is optional (a run that stopped early has fewer).
 * Reads the files as written (it does not depend on the classes that write them). Immutable;
 * thread-safe.
 *
 * @param dir         the run folder
 * @param name        the folder's name
 * @param config      the effective config flattened to dotted keys ({@code train.lr} -> {@code 0.002})
 * @param epochs      metrics.csv rows in file order
 * @param oof         the out-of-fold logits, when present
 * @param calibration calibration.json, when present
 * @param variants    the test-set variants of submission_info.json (TTA x calibration), possibly empty
 * @param testF1      the submitted variant's test macro-F1, when test labels existed
 * @param classNames  class names by id (from a checkpoint sidecar; {@code class k} when unknown)
 */
public record RunData(Path dir, String name, Map<String, String> config, List<Epoch> epochs, Optional<Oof> oof,
                      Optional<Calibration> calibration, List<Variant> variants, Optional<Double> testF1,
                      List<String> classNames) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One metrics.csv row. */
    public record Epoch(int fold, int epoch, double trainLoss, double valLoss, double valF1, double valAcc, double lr,
                        double imgPerSec, double peakMemMb, double seconds) {}

    /** Out-of-fold logits: {@code targets[i]}, {@code logits[i][c]}, the fold of each row. */
    public record Oof(int[] folds, int[] targets, float[][] logits) {
        /** Number of classes. */
        public int classes() {
            return logits.length == 0 ? 0 : logits[0].length;
        }
    }

    /** calibration.json: the fitted temperature and NLL/ECE before and after. */
    public record Calibration(double temperature, int samples, double nllBefore, double nllAfter, double eceBefore,
                              double eceAfter) {}

    /** One test-set variant of submission_info.json. */
    public record Variant(String name, double macroF1, double accuracy, double nll, double ece, double top5) {}

    /** The folds in metrics.csv, in order of first appearance. */
    public List<Integer> folds() {
        return epochs.stream().map(Epoch::fold).distinct().toList();
    }

    /** metrics.csv rows of one fold. */
    public List<Epoch> epochsOf(int fold) {
        return epochs.stream().filter(e -> e.fold() == fold).toList();
    }

    /**
     * Reads a run folder.
     *
     * @throws IllegalArgumentException when {@code dir} is not a run folder or a file is malformed (naming file and line)
     */
    public static RunData read(Path dir) throws IOException {
        if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve("config.yaml"))) {
            throw new IllegalArgumentException(dir + ": not a run folder (expected: config.yaml inside, as written by "
                    + "`jvision train` or `jvision pipeline`)");
        }
        Map<String, String> config = flatConfig(dir.resolve("config.yaml"));
        List<Epoch> epochs = readMetrics(dir.resolve("metrics.csv"));
        Optional<Oof> oof = Files.isRegularFile(dir.resolve(OofLogits.FILE))
                ? Optional.of(readOof(dir.resolve(OofLogits.FILE))) : Optional.empty();
        Optional<Calibration> cal = Optional.empty();
        Path calFile = dir.resolve("calibration.json");
        if (Files.isRegularFile(calFile)) {
            JsonNode n = readJson(calFile);
            cal = Optional.of(new Calibration(n.path("temperature").asDouble(Double.NaN), n.path("samples").asInt(0),
                    n.path("nll_before").asDouble(Double.NaN), n.path("nll_after").asDouble(Double.NaN),
                    n.path("ece_before").asDouble(Double.NaN), n.path("ece_after").asDouble(Double.NaN)));
        }
        List<Variant> variants = new ArrayList<>();
        Optional<Double> testF1 = Optional.empty();
        Path info = dir.resolve("submission_info.json");
        if (Files.isRegularFile(info)) {
            JsonNode n = readJson(info);
            for (JsonNode v : n.path("test_variants")) {
                variants.add(new Variant(v.path("variant").asText(), v.path("macro_f1").asDouble(Double.NaN),
                        v.path("accuracy").asDouble(Double.NaN), v.path("nll").asDouble(Double.NaN),
                        v.path("ece").asDouble(Double.NaN), v.path("top5_accuracy").asDouble(Double.NaN)));
            }
            if (n.has("test_macro_f1")) testF1 = Optional.of(n.get("test_macro_f1").asDouble());
        }
        int classes = oof.map(Oof::classes).orElseGet(() -> parseInt(config.get("model.num_classes"), 0));
        return new RunData(dir, dir.toAbsolutePath().normalize().getFileName().toString(), config, epochs, oof, cal,
                List.copyOf(variants), testF1, classNames(dir, classes));
    }

    private static JsonNode readJson(Path f) throws IOException {
        try {
            return JSON.readTree(f.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(f + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static int parseInt(String s, int dflt) {
        try {
            return s == null ? dflt : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** The effective config as sorted dotted keys (lists as their YAML flow text). */
    static Map<String, String> flatConfig(Path file) throws IOException {
        Object root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(file + ": malformed YAML: " + e.getMessage(), e);
        }
        Map<String, String> out = new TreeMap<>();
        flatten("", root, out);
        return out;
    }

    private static void flatten(String prefix, Object v, Map<String, String> out) {
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flatten(prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, String.valueOf(v));
        }
    }

    static List<Epoch> readMetrics(Path file) throws IOException {
        List<Epoch> rows = new ArrayList<>();
        if (!Files.isRegularFile(file)) return rows;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r);
            for (String col : List.of("fold", "epoch", "train_loss", "val_loss", "val_f1", "val_acc", "lr", "img_per_s",
                    "peak_mem_mb", "seconds")) {
                if (!parser.getHeaderMap().containsKey(col)) {
                    throw new IllegalArgumentException(file + ":1 no column '" + col + "' (expected: metrics.csv as written "
                            + "by jvision: " + parser.getHeaderNames() + ")");
                }
            }
            for (CSVRecord rec : parser) {
                try {
                    rows.add(new Epoch(Integer.parseInt(rec.get("fold")), Integer.parseInt(rec.get("epoch")),
                            num(rec.get("train_loss")), num(rec.get("val_loss")), num(rec.get("val_f1")),
                            num(rec.get("val_acc")), num(rec.get("lr")), num(rec.get("img_per_s")),
                            num(rec.get("peak_mem_mb")), num(rec.get("seconds"))));
                } catch (NumberFormatException | IllegalStateException e) {
                    throw new IllegalArgumentException(file + ":" + rec.getParser().getCurrentLineNumber() + " "
                            + e.getMessage() + " (expected: numbers)", e);
                }
            }
        }
        return rows;
    }

    private static double num(String s) {
        return s == null || s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    static Oof readOof(Path file) throws IOException {
        OofLogits o = OofLogits.read(file);
        return new Oof(o.folds(), o.targets(), o.logits());
    }

    /** Class names from the first checkpoint sidecar that has them ({@code fold<k>/best.json}). */
    static List<String> classNames(Path dir, int classes) throws IOException {
        Map<String, Path> sidecars = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "fold*")) {
            for (Path f : ds) {
                Path s = f.resolve("best.json");
                if (Files.isRegularFile(s)) sidecars.put(f.getFileName().toString(), s);
            }
        }
        for (Path s : sidecars.values()) {
            JsonNode names = readJson(s).path("classNames");
            if (names.isArray() && names.size() > 0 && (classes == 0 || names.size() == classes)) {
                List<String> out = new ArrayList<>();
                names.forEach(n -> out.add(n.asText()));
                return List.copyOf(out);
            }
        }
        List<String> out = new ArrayList<>();
        for (int k = 0; k < classes; k++) out.add("class " + k);
        return out;
    }

    /** Config keys whose values differ between runs (a key missing in a run counts as different). */
    public static Map<String, List<String>> configDifferences(List<RunData> runs) {
        java.util.SortedSet<String> keys = new java.util.TreeSet<>();
        runs.forEach(r -> keys.addAll(r.config().keySet()));
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String k : keys) {
            List<String> vals = runs.stream().map(r -> r.config().getOrDefault(k, "(absent)")).toList();
            if (vals.stream().distinct().count() > 1) out.put(k, vals);
        }
        return out;
    }
}
