package dev.jvision.track.report;

import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.internal.chartpart.Chart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jvision report}: a run's {@code report.html} (a detection run's: see {@link DetectionReport}) with its charts as PNG files in
 * {@code plots/} (learning curves per fold, out-of-fold confusion matrix with class names,
 * per-class F1, reliability diagram before/after temperature scaling, the TTA/calibration table,
 * images/s and memory per epoch), and {@code compare.html} for several runs side by side (config
 * differences highlighted, curves overlaid). The HTML is self-contained: the PNGs are embedded
 * as data URIs and nothing is loaded from the network. Files are written atomically.
 * Stateless; thread-safe for different output folders.
 */
public final class RunReport {
    private static final Logger LOG = LoggerFactory.getLogger(RunReport.class);
    /** The report's file name inside a run folder. */
    public static final String FILE = "report.html";
    /** The comparison's file name inside its output folder. */
    public static final String COMPARE_FILE = "compare.html";
    /** The folder of the PNG files, inside the run (or comparison) folder. */
    public static final String PLOTS = "plots";
    private static final int BINS = 15;

    private RunReport() {}

    /**
     * Writes {@code runDir/report.html} and {@code runDir/plots/*.png}; returns the HTML file.
     *
     * @throws IllegalArgumentException when {@code runDir} is not a run folder or its files are malformed
     */
    public static Path write(Path runDir) throws IOException {
        if (Files.isRegularFile(runDir.resolve("config.yaml")) && DetectionReport.isDetectionRun(runDir)) {
            return DetectionReport.write(runDir);
        }
        RunData run = RunData.read(runDir);
        Html h = new Html("jvision report: " + run.name());
        Path plots = runDir.resolve(PLOTS);
        h.h1(run.name());
        Map<String, String> c = run.config();
        h.p(String.format(Locale.ROOT, "%s at %s px, %s fold(s), %s epochs, batch %s, lr %s, amp %s, device %s. Folder: %s",
                c.getOrDefault("model.name", "?"), c.getOrDefault("data.img_size", "?"), run.folds().size(),
                c.getOrDefault("train.epochs", "?"), c.getOrDefault("train.batch_size", "?"), c.getOrDefault("train.lr", "?"),
                c.getOrDefault("train.amp", "?"), c.getOrDefault("experiment.device", "?"), runDir.toAbsolutePath().normalize()));

        summary(h, run);

        h.h2("Learning curves");
        List<Charts.Line> loss = new ArrayList<>();
        List<Charts.Line> f1 = new ArrayList<>();
        List<Charts.Line> lr = new ArrayList<>();
        List<Charts.Line> ips = new ArrayList<>();
        List<Charts.Line> mem = new ArrayList<>();
        for (int fold : run.folds()) {
            List<RunData.Epoch> es = run.epochsOf(fold);
            double[] x = es.stream().mapToDouble(RunData.Epoch::epoch).toArray();
            loss.add(new Charts.Line("fold " + fold + " train", x, es.stream().mapToDouble(RunData.Epoch::trainLoss).toArray(),
                    fold, false));
            loss.add(new Charts.Line("fold " + fold + " val", x, es.stream().mapToDouble(RunData.Epoch::valLoss).toArray(),
                    fold, true));
            f1.add(new Charts.Line("fold " + fold, x, es.stream().mapToDouble(RunData.Epoch::valF1).toArray(), fold, false));
            f1.add(new Charts.Line("fold " + fold + " acc", x, es.stream().mapToDouble(RunData.Epoch::valAcc).toArray(),
                    fold, true));
            lr.add(new Charts.Line("fold " + fold, x, es.stream().mapToDouble(RunData.Epoch::lr).toArray(), fold, false));
            ips.add(new Charts.Line("fold " + fold, x, es.stream().mapToDouble(RunData.Epoch::imgPerSec).toArray(), fold,
                    false));
            mem.add(new Charts.Line("fold " + fold, x, es.stream().mapToDouble(RunData.Epoch::peakMemMb).toArray(), fold,
                    false));
        }
        h.img(plots, "loss.png", Charts.lines("Loss per epoch (solid: train, dashed: validation)", "epoch", "loss", loss,
                false), "training and validation loss per epoch and fold");
        h.img(plots, "f1.png", Charts.lines("Validation macro-F1 (solid) and accuracy (dashed)", "epoch", "score", f1,
                false), "validation macro-F1 and accuracy per epoch and fold");
        h.img(plots, "lr.png", Charts.lines("Learning rate at the end of each epoch", "epoch", "learning rate", lr, false),
                "learning rate per epoch and fold");

        if (run.oof().isPresent()) {
            oofSections(h, run, plots);
        } else {
            h.h2("Out-of-fold predictions");
            h.p("No oof_logits.csv in this run folder: the confusion matrix, per-class F1 and reliability diagram need it "
                    + "(written by `jvision pipeline` and `jvision train`).");
        }
        variants(h, run);

        h.h2("Throughput and memory");
        h.img(plots, "throughput.png", Charts.lines("Training images/s per epoch", "epoch", "images/s", ips, false, true),
                "training images per second per epoch and fold");
        h.img(plots, "memory.png", Charts.lines("Peak memory per epoch (MB; CUDA: allocator peak, CPU: process peak RSS)",
                "epoch", "MB", mem, false, true), "peak memory per epoch and fold");

        h.h2("Config");
        h.detailsPre("config.yaml (the effective configuration of the run)", Files.readString(runDir.resolve("config.yaml")));
        Path out = runDir.resolve(FILE);
        AtomicFiles.writeText(out, w -> w.write(h.finish()));
        LOG.info("wrote {} ({} charts in {}/)", out, h.images(), PLOTS);
        return out;
    }

    /**
     * Writes the report at the end of a run: as {@link #write}, but a failure is logged as a
     * warning instead of thrown (a finished run stays finished); returns the file or null.
     */
    public static Path writeAfterRun(Path runDir) {
        try {
            return write(runDir);
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.warn("{}: report not written ({}); run `jvision report {}` to retry", runDir, e.toString(), runDir);
            return null;
        }
    }

    private static void summary(Html h, RunData run) {
        h.h2("Summary");
        List<List<String>> rows = new ArrayList<>();
        for (int fold : run.folds()) {
            List<RunData.Epoch> es = run.epochsOf(fold);
            RunData.Epoch best = es.stream().filter(e -> Double.isFinite(e.valF1()))
                    .max((a, b) -> Double.compare(a.valF1(), b.valF1())).orElse(es.get(es.size() - 1));
            double secs = es.stream().mapToDouble(RunData.Epoch::seconds).filter(Double::isFinite).sum();
            rows.add(List.of(Integer.toString(fold), Integer.toString(es.size()), Integer.toString(best.epoch()),
                    f4(best.valF1()), f4(best.valAcc()), f4(best.valLoss()), String.format(Locale.ROOT, "%.0f", secs)));
        }
        h.table(List.of("fold", "epochs", "best epoch", "val macro-F1", "val accuracy", "val loss", "seconds"), rows, null);
        List<String> lines = new ArrayList<>();
        run.oof().ifPresent(o -> {
            int[] pred = ClassificationMetrics.argmax(o.logits());
            lines.add(String.format(Locale.ROOT, "Out-of-fold (%d rows): macro-F1 %s, accuracy %s, top-%d accuracy %s.",
                    o.targets().length, f4(ClassificationMetrics.macroF1(pred, o.targets(), o.classes())),
                    f4(ClassificationMetrics.accuracy(pred, o.targets())), Math.min(5, o.classes()),
                    f4(ClassificationMetrics.topKAccuracy(o.logits(), o.targets(), Math.min(5, o.classes())))));
        });
        run.testF1().ifPresent(f -> lines.add("Test set (submitted variant): macro-F1 " + f4(f) + "."));
        if (!lines.isEmpty()) h.p(String.join(" ", lines));
    }

    private static void oofSections(Html h, RunData run, Path plots) throws IOException {
        RunData.Oof o = run.oof().get();
        int k = o.classes();
        List<String> names = run.classNames().size() == k ? run.classNames() : RunData.classNames(run.dir(), k);
        int[] pred = ClassificationMetrics.argmax(o.logits());
        long[][] cm = ClassificationMetrics.confusion(pred, o.targets(), k);

        h.h2("Out-of-fold confusion matrix");
        h.img(plots, "confusion.png", Charts.confusion("Out-of-fold confusion (% of each true class)", cm, names),
                "out-of-fold confusion matrix, rows true class, columns predicted class");
        List<List<String>> cmRows = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            List<String> r = new ArrayList<>();
            r.add(names.get(t));
            for (int p = 0; p < k; p++) r.add(Long.toString(cm[t][p]));
            cmRows.add(r);
        }
        List<String> cmHead = new ArrayList<>();
        cmHead.add("true \\ predicted");
        for (int p = 0; p < k; p++) cmHead.add(Integer.toString(p));
        h.details("Counts (columns are class ids in the order of the rows)", cmHead, cmRows);

        h.h2("Per-class F1 (out of fold)");
        double[] f1 = new double[k];
        List<List<String>> rows = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            long tp = cm[c][c];
            long support = 0;
            long predicted = 0;
            for (int j = 0; j < k; j++) {
                support += cm[c][j];
                predicted += cm[j][c];
            }
            double prec = predicted == 0 ? 0 : (double) tp / predicted;
            double rec = support == 0 ? 0 : (double) tp / support;
            f1[c] = prec + rec == 0 ? 0 : 2 * prec * rec / (prec + rec);
            rows.add(List.of(Integer.toString(c), names.get(c), f4(prec), f4(rec), f4(f1[c]), Long.toString(support)));
        }
        List<String> labelled = new ArrayList<>();
        for (int c = 0; c < k; c++) labelled.add(c + " " + names.get(c));
        h.img(plots, "per_class_f1.png", Charts.bars("Out-of-fold F1 per class", "F1", labelled, List.of("F1"), List.of(f1), 1.0),
                "out-of-fold F1 per class");
        h.table(List.of("id", "class", "precision", "recall", "F1", "support"), rows, null);

        h.h2("Calibration");
        double t = run.calibration().map(RunData.Calibration::temperature).orElse(Double.NaN);
        List<String> labels = new ArrayList<>(List.of("before (T = 1)"));
        List<double[][]> bins = new ArrayList<>();
        bins.add(reliabilityBins(o, 1.0));
        if (Double.isFinite(t)) {
            labels.add(String.format(Locale.ROOT, "after (T = %.3f)", t));
            bins.add(reliabilityBins(o, t));
        }
        h.img(plots, "reliability.png", Charts.reliability("Reliability diagram, out-of-fold (" + BINS + " bins)", labels, bins),
                "reliability diagram before and after temperature scaling");
        List<List<String>> binRows = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            double[][] b = bins.get(i);
            for (int j = 0; j < b[0].length; j++) {
                binRows.add(List.of(labels.get(i), f4(b[0][j]), f4(b[1][j]), String.format(Locale.ROOT, "%.0f", b[2][j])));
            }
        }
        h.details("Bins (a point from few rows is noisy)", List.of("", "mean confidence", "accuracy", "rows"), binRows);
        run.calibration().ifPresentOrElse(cal -> h.table(List.of("", "temperature", "NLL", "ECE"), List.of(
                        List.of("before", "1", f4(cal.nllBefore()), f4(cal.eceBefore())),
                        List.of("after", f4(cal.temperature()), f4(cal.nllAfter()), f4(cal.eceAfter()))), null),
                () -> h.p("No calibration.json: no temperature was fitted."));
    }

    /** {@code [confidence[], accuracy[], rows[]]} of the non-empty bins of the top probability of softmax(logits / t). */
    static double[][] reliabilityBins(RunData.Oof o, double t) {
        double[] conf = new double[BINS];
        double[] correct = new double[BINS];
        int[] count = new int[BINS];
        for (int i = 0; i < o.logits().length; i++) {
            float[] l = o.logits()[i];
            double max = Double.NEGATIVE_INFINITY;
            int top = 0;
            for (int c = 0; c < l.length; c++) {
                if (l[c] > max) {
                    max = l[c];
                    top = c;
                }
            }
            double sum = 0;
            for (float v : l) sum += Math.exp((v - max) / t);
            double p = 1.0 / sum;
            int b = Math.min(BINS - 1, Math.max(0, (int) Math.ceil(p * BINS) - 1));
            conf[b] += p;
            correct[b] += top == o.targets()[i] ? 1 : 0;
            count[b]++;
        }
        List<double[]> pts = new ArrayList<>();
        for (int b = 0; b < BINS; b++) {
            if (count[b] > 0) pts.add(new double[] {conf[b] / count[b], correct[b] / count[b], count[b]});
        }
        return new double[][] {pts.stream().mapToDouble(p -> p[0]).toArray(), pts.stream().mapToDouble(p -> p[1]).toArray(),
                pts.stream().mapToDouble(p -> p[2]).toArray()};
    }

    private static void variants(Html h, RunData run) {
        h.h2("Test set: what TTA and calibration buy");
        if (run.variants().isEmpty()) {
            h.p(run.testF1().isPresent() ? "Only one inference variant was scored."
                    : "No test labels (or no submission_info.json): the variants are not scored.");
            return;
        }
        List<List<String>> rows = new ArrayList<>();
        for (RunData.Variant v : run.variants()) {
            rows.add(List.of(v.name(), f4(v.macroF1()), f4(v.accuracy()), f4(v.top5()), f4(v.nll()), f4(v.ece())));
        }
        h.table(List.of("variant", "macro-F1", "accuracy", "top-5", "NLL", "ECE"), rows, null);
    }

    /**
     * Writes {@code outDir/compare.html} and {@code outDir/plots/*.png} for {@code runs} side by
     * side: a score table, the config keys that differ (cells that differ from the first run
     * highlighted) and curves overlaid (per epoch, mean over folds). Returns the HTML file.
     *
     * @throws IllegalArgumentException for fewer than two runs or a folder that is not a run
     */
    public static Path compare(List<Path> runDirs, Path outDir) throws IOException {
        if (runDirs.size() < 2) {
            throw new IllegalArgumentException("--compare: " + runDirs.size() + " run folder(s) (expected: 2 or more)");
        }
        List<RunData> runs = new ArrayList<>();
        for (Path d : runDirs) runs.add(RunData.read(d));
        Path plots = outDir.resolve(PLOTS);
        Html h = new Html("jvision comparison: " + String.join(" vs ", runs.stream().map(RunData::name).toList()));
        h.h1("Runs side by side");
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunData r = runs.get(i);
            String oofF1 = r.oof().map(o -> f4(ClassificationMetrics.macroF1(ClassificationMetrics.argmax(o.logits()),
                    o.targets(), o.classes()))).orElse("-");
            double meanBest = r.folds().stream().mapToDouble(f -> r.epochsOf(f).stream().mapToDouble(RunData.Epoch::valF1)
                    .filter(Double::isFinite).max().orElse(Double.NaN)).average().orElse(Double.NaN);
            double ips = r.epochs().stream().mapToDouble(RunData.Epoch::imgPerSec).filter(Double::isFinite).average()
                    .orElse(Double.NaN);
            double mem = r.epochs().stream().mapToDouble(RunData.Epoch::peakMemMb).filter(Double::isFinite).max()
                    .orElse(Double.NaN);
            rows.add(List.of(Integer.toString(i + 1), r.name(), r.config().getOrDefault("model.name", "?"), f4(meanBest), oofF1,
                    r.testF1().map(RunReport::f4).orElse("-"),
                    r.calibration().map(c -> f4(c.temperature())).orElse("-"),
                    r.calibration().map(c -> f4(c.eceAfter())).orElse("-"),
                    Double.isFinite(ips) ? String.format(Locale.ROOT, "%.1f", ips) : "-",
                    Double.isFinite(mem) ? String.format(Locale.ROOT, "%.0f", mem) : "-"));
        }
        h.table(List.of("#", "run", "model", "mean best val F1", "OOF macro-F1", "test macro-F1", "temperature",
                "ECE after", "images/s", "peak MB"), rows, null);

        h.h2("Config differences");
        Map<String, List<String>> diff = RunData.configDifferences(runs);
        List<List<String>> drows = new ArrayList<>();
        List<boolean[]> marks = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : diff.entrySet()) {
            if (e.getKey().equals("experiment.name")) continue;
            List<String> r = new ArrayList<>();
            r.add(e.getKey());
            r.addAll(e.getValue());
            drows.add(r);
            boolean[] m = new boolean[r.size()];
            for (int i = 1; i < r.size(); i++) m[i] = i > 1 && !r.get(i).equals(r.get(1));
            marks.add(m);
        }
        List<String> head = new ArrayList<>(List.of("key"));
        for (int i = 0; i < runs.size(); i++) head.add("#" + (i + 1) + " " + runs.get(i).name());
        if (drows.isEmpty()) {
            h.p("The runs' configs are identical (apart from experiment.name).");
        } else {
            h.p("Keys whose values differ; highlighted cells differ from run #1.");
            h.table(head, drows, marks);
        }

        h.h2("Curves (mean over folds per epoch)");
        Map<String, java.util.function.ToDoubleFunction<RunData.Epoch>> metrics = new LinkedHashMap<>();
        metrics.put("val_f1", RunData.Epoch::valF1);
        metrics.put("val_loss", RunData.Epoch::valLoss);
        metrics.put("train_loss", RunData.Epoch::trainLoss);
        metrics.put("lr", RunData.Epoch::lr);
        metrics.put("img_per_s", RunData.Epoch::imgPerSec);
        metrics.put("peak_mem_mb", RunData.Epoch::peakMemMb);
        Map<String, String> titles = Map.of("val_f1", "Validation macro-F1", "val_loss", "Validation loss", "train_loss",
                "Training loss", "lr", "Learning rate", "img_per_s", "Training images/s", "peak_mem_mb", "Peak memory (MB)");
        for (Map.Entry<String, java.util.function.ToDoubleFunction<RunData.Epoch>> m : metrics.entrySet()) {
            List<Charts.Line> lines = new ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                double[][] xy = meanPerEpoch(runs.get(i), m.getValue());
                lines.add(new Charts.Line("#" + (i + 1) + " " + runs.get(i).name(), xy[0], xy[1], i, false));
            }
            boolean amount = m.getKey().equals("img_per_s") || m.getKey().equals("peak_mem_mb");
            h.img(plots, "compare_" + m.getKey() + ".png", Charts.lines(titles.get(m.getKey()), "epoch", m.getKey(), lines,
                    false, amount), titles.get(m.getKey()) + " per epoch, runs overlaid");
        }
        Path out = outDir.resolve(COMPARE_FILE);
        AtomicFiles.writeText(out, w -> w.write(h.finish()));
        LOG.info("wrote {} ({} runs)", out, runs.size());
        return out;
    }

    /** A default output folder for a comparison: {@code runs/compare-<yyyyMMdd-HHmmss>}. */
    public static Path defaultCompareDir() {
        return Path.of("runs", "compare-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }

    private static double[][] meanPerEpoch(RunData r, java.util.function.ToDoubleFunction<RunData.Epoch> f) {
        java.util.TreeMap<Integer, double[]> acc = new java.util.TreeMap<>();
        for (RunData.Epoch e : r.epochs()) {
            double v = f.applyAsDouble(e);
            if (!Double.isFinite(v)) continue;
            double[] a = acc.computeIfAbsent(e.epoch(), k -> new double[2]);
            a[0] += v;
            a[1]++;
        }
        double[] x = acc.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
        double[] y = acc.values().stream().mapToDouble(a -> a[0] / a[1]).toArray();
        return new double[][] {x, y};
    }

    static String f4(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "-";
    }

    /** A small HTML builder: escaped text, tables, images written as PNG files and embedded as data URIs. */
    static final class Html {
        private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("-|[-+0-9.eE]+");
        private final StringBuilder b = new StringBuilder();
        private int images;

        Html(String title) {
            b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                    .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
                    .append(esc(title)).append("</title>\n<style>\n")
                    .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;")
                    .append("padding:0 16px;color:#222;line-height:1.45}\n")
                    .append("h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd;")
                    .append("padding-bottom:.2em}\n")
                    .append("table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ddd;")
                    .append("padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}\n")
                    .append("td.diff{background:#fff3b0;font-weight:600}td.t{text-align:left}\n")
                    .append("img{display:block;max-width:100%;height:auto;margin:.6em 0;border:1px solid #eee}\n")
                    .append("pre{background:#f7f7f7;padding:10px;overflow:auto;font-size:.85em}\n")
                    .append("details{margin:.4em 0}summary{cursor:pointer;color:#555}\n")
                    .append("</style>\n</head>\n<body>\n");
        }

        int images() {
            return images;
        }

        void h1(String s) {
            b.append("<h1>").append(esc(s)).append("</h1>\n");
        }

        void h2(String s) {
            b.append("<h2>").append(esc(s)).append("</h2>\n");
        }

        void p(String s) {
            b.append("<p>").append(esc(s)).append("</p>\n");
        }

        void detailsPre(String summary, String text) {
            b.append("<details><summary>").append(esc(summary)).append("</summary>\n<pre>").append(esc(text))
                    .append("</pre>\n</details>\n");
        }

        /** Writes the chart to {@code dir/file} and embeds the same bytes. */
        void img(Path dir, String file, Chart<?, ?> chart, String alt) throws IOException {
            byte[] png = Charts.png(chart);
            AtomicFiles.write(dir.resolve(file), tmp -> Files.write(tmp, png));
            b.append("<img src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png))
                    .append("\" alt=\"").append(esc(alt)).append("\" title=\"").append(esc(PLOTS + "/" + file))
                    .append("\" width=\"").append(chart.getWidth()).append("\" height=\"").append(chart.getHeight())
                    .append("\">\n");
            images++;
        }

        void table(List<String> head, List<List<String>> rows, List<boolean[]> marks) {
            b.append("<table>\n<tr>");
            for (String s : head) b.append("<th>").append(esc(s)).append("</th>");
            b.append("</tr>\n");
            for (int i = 0; i < rows.size(); i++) {
                b.append("<tr>");
                List<String> r = rows.get(i);
                for (int j = 0; j < r.size(); j++) {
                    boolean mark = marks != null && marks.get(i)[j];
                    boolean text = j > 0 && !NUMBER.matcher(r.get(j)).matches();
                    b.append(mark ? "<td class=\"diff\">" : text ? "<td class=\"t\">" : "<td>").append(esc(r.get(j)))
                            .append("</td>");
                }
                b.append("</tr>\n");
            }
            b.append("</table>\n");
        }

        void details(String summary, List<String> head, List<List<String>> rows) {
            b.append("<details><summary>").append(esc(summary)).append("</summary>\n");
            table(head, rows, null);
            b.append("</details>\n");
        }

        String finish() {
            b.append("<p style=\"color:#888;font-size:.8em\">Written by jvision report at ")
                    .append(esc(LocalDateTime.now().withNano(0).toString())).append(".</p>\n</body>\n</html>\n");
            return b.toString();
        }

        static String esc(String s) {
            StringBuilder o = new StringBuilder(s.length());
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '<' -> o.append("&lt;");
                    case '>' -> o.append("&gt;");
                    case '&' -> o.append("&amp;");
                    case '"' -> o.append("&quot;");
                    default -> o.append(c);
                }
            }
            return o.toString();
        }
    }
}
