package dev.jvision.track.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.knowm.xchart.XYChart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report of a detection run ({@code task: detection}; its {@code metrics.csv} has
 * {@code val_map50} columns), written by {@link RunReport#write}: summary, mAP50 and mAP50-95 per
 * epoch, training loss and learning rate per epoch, and for every {@code eval_<split>.json} in the
 * run folder (the best epoch's validation, the test split after {@code jvision pipeline}) the 12
 * COCO numbers, AP and AP50 per class and the precision-recall curves at IoU 0.50 for all classes
 * and per class; then throughput, memory and the config. Reads the files as written (it does not
 * depend on the classes that write them). Stateless; thread-safe for different run folders.
 */
final class DetectionReport {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionReport.class);
    /** Per-class curves drawn in one chart at most (the table lists every class). */
    static final int MAX_CURVES = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    private DetectionReport() {}

    /** True when {@code runDir/metrics.csv} is a detection run's (its header names {@code val_map50}). */
    static boolean isDetectionRun(Path runDir) throws IOException {
        Path f = runDir.resolve("metrics.csv");
        if (!Files.isRegularFile(f)) return false;
        try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            String head = r.readLine();
            return head != null && List.of(head.split(",")).contains("val_map50");
        }
    }

    /** One metrics.csv row of a detection run. */
    record Epoch(int epoch, double trainLoss, double map50, double map, double map75, double lr, double imgPerSec,
                 double peakMemMb, double seconds) {}

    static Path write(Path runDir) throws IOException {
        Map<String, String> c = RunData.flatConfig(runDir.resolve("config.yaml"));
        List<Epoch> es = readMetrics(runDir.resolve("metrics.csv"));
        String name = runDir.toAbsolutePath().normalize().getFileName().toString();
        RunReport.Html h = new RunReport.Html("jvision report: " + name);
        Path plots = runDir.resolve(RunReport.PLOTS);
        h.h1(name);
        h.p(String.format(Locale.ROOT, "Detection: %s at %s px, %s epochs, batch %s, lr %s, mosaic %s (off for the last %s "
                        + "epochs), amp %s, device %s. Folder: %s", c.getOrDefault("model.name", "?"),
                c.getOrDefault("data.img_size", "?"), c.getOrDefault("train.epochs", "?"),
                c.getOrDefault("train.batch_size", "?"), c.getOrDefault("train.lr", "?"), c.getOrDefault("detect.mosaic", "?"),
                c.getOrDefault("detect.close_mosaic", "?"), c.getOrDefault("train.amp", "?"),
                c.getOrDefault("experiment.device", "?"), runDir.toAbsolutePath().normalize()));

        h.h2("Summary");
        if (es.isEmpty()) {
            h.p("No epoch finished yet (metrics.csv has no rows).");
        } else {
            Epoch best = es.stream().filter(e -> Double.isFinite(e.map())).max((a, b) -> Double.compare(a.map(), b.map()))
                    .orElse(es.get(es.size() - 1));
            double secs = es.stream().mapToDouble(Epoch::seconds).filter(Double::isFinite).sum();
            h.table(List.of("epochs", "best epoch", "val mAP50-95", "val mAP50", "val mAP75", "seconds"),
                    List.of(List.of(Integer.toString(es.size()), Integer.toString(best.epoch()), RunReport.f4(best.map()),
                            RunReport.f4(best.map50()), RunReport.f4(best.map75()),
                            String.format(Locale.ROOT, "%.0f", secs))), null);
        }

        h.h2("Learning curves");
        double[] x = es.stream().mapToDouble(Epoch::epoch).toArray();
        h.img(plots, "map.png", Charts.lines("Validation mAP50 (solid) and mAP50-95 (dashed) per epoch", "epoch", "mAP",
                List.of(new Charts.Line("mAP50", x, col(es, Epoch::map50), 0, false),
                        new Charts.Line("mAP50-95", x, col(es, Epoch::map), 0, true),
                        new Charts.Line("mAP75", x, col(es, Epoch::map75), 1, true)), false, true),
                "validation mAP50, mAP50-95 and mAP75 per epoch");
        h.img(plots, "loss.png", Charts.lines("Training loss per epoch (box + cls + DFL, weighted)", "epoch", "loss",
                List.of(new Charts.Line("train", x, col(es, Epoch::trainLoss), 0, false)), false),
                "training loss per epoch");
        h.img(plots, "lr.png", Charts.lines("Learning rate at the end of each epoch", "epoch", "learning rate",
                List.of(new Charts.Line("lr", x, col(es, Epoch::lr), 0, false)), false), "learning rate per epoch");

        List<Path> evals = evalFiles(runDir);
        if (evals.isEmpty()) {
            h.h2("Per-class AP and precision-recall curves");
            h.p("No eval_<split>.json in this run folder (written at the end of `jvision train` and by `jvision pipeline`).");
        }
        for (Path f : evals) {
            evaluation(h, plots, f);
        }

        h.h2("Throughput and memory");
        h.img(plots, "throughput.png", Charts.lines("Training images/s per epoch", "epoch", "images/s",
                List.of(new Charts.Line("images/s", x, col(es, Epoch::imgPerSec), 0, false)), false, true),
                "training images per second per epoch");
        h.img(plots, "memory.png", Charts.lines("Peak memory per epoch (MB; CUDA: allocator peak, CPU: process peak RSS)",
                "epoch", "MB", List.of(new Charts.Line("peak MB", x, col(es, Epoch::peakMemMb), 0, false)), false, true),
                "peak memory per epoch");

        h.h2("Config");
        h.detailsPre("config.yaml (the effective configuration of the run)", Files.readString(runDir.resolve("config.yaml")));
        Path out = runDir.resolve(RunReport.FILE);
        AtomicFiles.writeText(out, w -> w.write(h.finish()));
        LOG.info("wrote {} ({} charts in {}/)", out, h.images(), RunReport.PLOTS);
        return out;
    }

    /** The 12 numbers, per-class AP and the PR curves of one {@code eval_<split>.json}. */
    private static void evaluation(RunReport.Html h, Path plots, Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        String split = n.path("split").asText("?");
        int epoch = n.path("epoch").asInt(-1);
        h.h2("Evaluation on the " + split + " split" + (epoch > 0 ? " (best epoch " + epoch + ")" : ""));
        List<List<String>> stats = new ArrayList<>();
        for (String k : List.of("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl")) {
            stats.add(List.of(k, RunReport.f4(n.path(k).asDouble(Double.NaN))));
        }
        h.p(String.format(Locale.ROOT, "%d images, COCO evaluation (pycocotools' rules; -1: nothing to score in that "
                + "area range).", n.path("images").asInt()));
        h.table(List.of("metric", "value"), stats, null);

        List<String> labels = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        double[] ap = new double[n.path("per_class").size()];
        double[] ap50 = new double[ap.length];
        int i = 0;
        Map<String, String> names = new LinkedHashMap<>();
        for (JsonNode c : n.path("per_class")) {
            String id = c.path("category_id").asText();
            String nm = c.path("name").asText(id);
            names.put(id, nm);
            ap[i] = c.path("ap").asDouble(Double.NaN);
            ap50[i] = c.path("ap50").asDouble(Double.NaN);
            labels.add(id + " " + nm);
            rows.add(List.of(id, nm, ap[i] < 0 ? "- (no boxes)" : RunReport.f4(ap[i]),
                    ap50[i] < 0 ? "-" : RunReport.f4(ap50[i])));
            i++;
        }
        h.img(plots, "ap_per_class_" + split + ".png", Charts.bars("AP per class, " + split + " split", "AP", labels,
                List.of("AP50", "AP50-95"), List.of(positive(ap50), positive(ap)), 1.0), "AP50 and AP50-95 per class");
        h.details("AP per class (" + rows.size() + " classes)", List.of("id", "class", "AP50-95", "AP50"), rows);

        JsonNode pr = n.path("pr_iou50");
        double[] recall = doubles(pr.path("recall"));
        List<Charts.Line> lines = new ArrayList<>();
        lines.add(new Charts.Line("all classes", recall, doubles(pr.path("all")), 0, false));
        List<String> drawn = new ArrayList<>();
        var it = pr.path("per_class").fields();
        int k = 1;
        while (it.hasNext() && drawn.size() < MAX_CURVES) {
            var e = it.next();
            String label = e.getKey() + " " + names.getOrDefault(e.getKey(), "");
            lines.add(new Charts.Line(label.strip(), recall, doubles(e.getValue()), k++, true));
            drawn.add(e.getKey());
        }
        int total = pr.path("per_class").size();
        XYChart chart = Charts.lines("Precision-recall at IoU 0.50, " + split + " split (solid: all classes"
                + (total > drawn.size() ? "; dashed: first " + drawn.size() + " of " + total + " classes" : "; dashed: per class")
                + ")", "recall", "precision", lines, false, true);
        chart.getStyler().setXAxisDecimalPattern("0.0");
        chart.getStyler().setYAxisMax(1.0);
        h.img(plots, "pr_" + split + ".png", chart, "precision against recall at IoU 0.50, all classes and per class");
    }

    /** {@code eval_*.json} of the run folder, validation first, then by name. */
    static List<Path> evalFiles(Path runDir) throws IOException {
        TreeMap<String, Path> out = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir, "eval_*.json")) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                out.put((n.equals("eval_val.json") ? "0" : "1") + n, f);
            }
        }
        return List.copyOf(out.values());
    }

    private static double[] positive(double[] v) {
        double[] o = v.clone();
        for (int i = 0; i < o.length; i++) if (!(o[i] >= 0)) o[i] = 0;
        return o;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asDouble(Double.NaN);
        return out;
    }

    private static double[] col(List<Epoch> es, java.util.function.ToDoubleFunction<Epoch> f) {
        return es.stream().mapToDouble(f).toArray();
    }

    static List<Epoch> readMetrics(Path file) throws IOException {
        List<Epoch> rows = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r);
            for (String col : List.of("epoch", "train_loss", "val_map50", "val_map50_95", "val_map75", "lr", "img_per_s",
                    "peak_mem_mb", "seconds")) {
                if (!parser.getHeaderMap().containsKey(col)) {
                    throw new IllegalArgumentException(file + ":1 no column '" + col + "' (expected: a detection run's "
                            + "metrics.csv: " + parser.getHeaderNames() + ")");
                }
            }
            for (CSVRecord rec : parser) {
                try {
                    rows.add(new Epoch(Integer.parseInt(rec.get("epoch")), num(rec.get("train_loss")),
                            num(rec.get("val_map50")), num(rec.get("val_map50_95")), num(rec.get("val_map75")),
                            num(rec.get("lr")), num(rec.get("img_per_s")), num(rec.get("peak_mem_mb")),
                            num(rec.get("seconds"))));
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
}
