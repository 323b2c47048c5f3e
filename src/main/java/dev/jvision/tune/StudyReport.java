package dev.jvision.tune;

import dev.jvision.runtime.AtomicFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * What a study produced, for people: the trials table ({@code trials.csv} and text), the best
 * trial, per-parameter importance, and PNG plots (optimisation history, parameter slices,
 * intermediate values with pruned trials marked). Files are written atomically. Stateless,
 * thread-safe.
 */
public final class StudyReport {
    private StudyReport() {}

    /** Parameter names over all trials, in first-seen order. */
    static List<String> paramNames(List<FrozenTrial> trials) {
        Set<String> names = new LinkedHashSet<>();
        trials.forEach(t -> names.addAll(t.params().keySet()));
        return new ArrayList<>(names);
    }

    /** Writes {@code trials.csv}: number, state, value, seconds, last step, worker, then one column per parameter. */
    public static void writeTrialsCsv(Path file, List<FrozenTrial> trials) throws IOException {
        List<String> names = paramNames(trials);
        AtomicFiles.writeText(file, w -> {
            StringBuilder h = new StringBuilder("number,state,value,seconds,last_step,worker");
            names.forEach(n -> h.append(',').append(csv(n)));
            w.write(h.append('\n').toString());
            for (FrozenTrial t : trials) {
                StringBuilder b = new StringBuilder();
                b.append(t.number()).append(',').append(t.state()).append(',').append(t.value() == null ? "" : t.value())
                        .append(',').append(Double.isNaN(t.seconds()) ? "" : String.format(Locale.ROOT, "%.1f", t.seconds()))
                        .append(',').append(t.lastStep() < 0 ? "" : t.lastStep()).append(',')
                        .append(csv(t.worker() == null ? "" : t.worker()));
                for (String n : names) {
                    Object v = t.param(n);
                    b.append(',').append(v == null ? "" : csv(String.valueOf(v)));
                }
                w.write(b.append('\n').toString());
            }
        });
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /**
     * Importance of each parameter: the share of the variance of the complete trials' values
     * explained by the parameter alone (correlation ratio; numeric parameters in up to 5
     * quantile bins), normalised to sum 1. A cheap stand-in for fANOVA; empty with fewer than 3
     * complete trials.
     */
    public static Map<String, Double> importance(List<FrozenTrial> trials) {
        List<FrozenTrial> done = trials.stream().filter(t -> t.state() == TrialState.COMPLETE).toList();
        Map<String, Double> raw = new LinkedHashMap<>();
        if (done.size() < 3) {
            return raw;
        }
        for (String name : paramNames(done)) {
            List<double[]> xy = new ArrayList<>();
            Distribution d = null;
            for (FrozenTrial t : done) {
                Double v = t.params().get(name);
                if (v != null) {
                    xy.add(new double[] {v, t.value()});
                    d = t.distributions().get(name);
                }
            }
            if (xy.size() < 3) {
                continue;
            }
            double mean = xy.stream().mapToDouble(p -> p[1]).average().orElse(0);
            double total = xy.stream().mapToDouble(p -> (p[1] - mean) * (p[1] - mean)).sum();
            if (total == 0) {
                raw.put(name, 0.0);
                continue;
            }
            Map<Integer, List<Double>> groups = new LinkedHashMap<>();
            if (d instanceof Distribution.Categorical) {
                xy.forEach(p -> groups.computeIfAbsent((int) p[0], k -> new ArrayList<>()).add(p[1]));
            } else {
                xy.sort(Comparator.comparingDouble(p -> p[0]));
                int bins = Math.min(5, xy.size() / 2);
                for (int i = 0; i < xy.size(); i++) {
                    groups.computeIfAbsent(i * bins / xy.size(), k -> new ArrayList<>()).add(xy.get(i)[1]);
                }
            }
            double between = 0;
            for (List<Double> g : groups.values()) {
                double gm = g.stream().mapToDouble(Double::doubleValue).average().orElse(0);
                between += g.size() * (gm - mean) * (gm - mean);
            }
            raw.put(name, between / total);
        }
        double sum = raw.values().stream().mapToDouble(Double::doubleValue).sum();
        Map<String, Double> out = new LinkedHashMap<>();
        raw.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> out.put(e.getKey(), sum == 0 ? 0 : e.getValue() / sum));
        return out;
    }

    /** The text report: counts, trials table, best trial and importance. */
    public static String text(String study, Direction direction, List<FrozenTrial> trials) {
        StringBuilder b = new StringBuilder();
        Map<TrialState, Integer> counts = new LinkedHashMap<>();
        trials.forEach(t -> counts.merge(t.state(), 1, Integer::sum));
        b.append("study ").append(study).append(" (").append(direction.name().toLowerCase(Locale.ROOT)).append("): ")
                .append(trials.size()).append(" trials ").append(counts).append('\n');
        // one column per config key: a conditional parameter's variants (key|cond) share their key's column
        Map<String, List<String>> columns = new LinkedHashMap<>();
        paramNames(trials).forEach(n -> columns.computeIfAbsent(SearchSpace.configKey(n), k -> new ArrayList<>()).add(n));
        b.append(String.format(Locale.ROOT, "%6s %-9s %10s %8s %5s", "trial", "state", "value", "seconds", "steps"));
        columns.keySet().forEach(n -> b.append("  ").append(n));
        b.append('\n');
        for (FrozenTrial t : trials) {
            b.append(String.format(Locale.ROOT, "%6d %-9s %10s %8s %5s", t.number(), t.state(),
                    t.value() == null ? "-" : String.format(Locale.ROOT, "%.4f", t.value()),
                    Double.isNaN(t.seconds()) ? "-" : String.format(Locale.ROOT, "%.0f", t.seconds()),
                    t.lastStep() < 0 ? "-" : String.valueOf(t.lastStep())));
            for (List<String> variants : columns.values()) {
                Object v = variants.stream().map(t::param).filter(java.util.Objects::nonNull).findFirst().orElse(null);
                b.append("  ").append(v instanceof Double x ? String.format(Locale.ROOT, "%.4g", x) : v == null ? "-" : v);
            }
            b.append('\n');
        }
        FrozenTrial best = best(trials, direction);
        if (best == null) {
            b.append("best: none (no complete trial)\n");
        } else {
            b.append(String.format(Locale.ROOT, "best: trial %d, value %.4f%n", best.number(), best.value()));
            SearchSpace.byConfigKey(best.externalParams()).forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        }
        Map<String, Double> imp = importance(trials);
        if (!imp.isEmpty()) {
            b.append("importance (share of the value's variance explained by each parameter alone):\n");
            imp.forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %-40s %.3f%n", k, v)));
        }
        return b.toString();
    }

    /** The best complete trial, or null. */
    public static FrozenTrial best(List<FrozenTrial> trials, Direction direction) {
        FrozenTrial best = null;
        for (FrozenTrial t : trials) {
            if (t.state() == TrialState.COMPLETE && (best == null || direction.better(t.value(), best.value()))) {
                best = t;
            }
        }
        return best;
    }

    /**
     * Writes {@code optimization_history.png}, {@code intermediate_values.png} and one
     * {@code slice_<param>.png} per parameter into {@code dir}; returns the files.
     */
    public static List<Path> writePlots(Path dir, Direction direction, List<FrozenTrial> trials) throws IOException {
        List<Path> out = new ArrayList<>();
        XYChart h = chart("Optimization history", "trial", "value");
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        List<Double> bx = new ArrayList<>();
        List<Double> by = new ArrayList<>();
        double best = Double.NaN;
        for (FrozenTrial t : trials) {
            if (t.state() != TrialState.COMPLETE) {
                continue;
            }
            xs.add((double) t.number());
            ys.add(t.value());
            if (Double.isNaN(best) || direction.better(t.value(), best)) {
                best = t.value();
            }
            bx.add((double) t.number());
            by.add(best);
        }
        if (!xs.isEmpty()) {
            h.addSeries("objective", xs, ys).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            h.addSeries("best so far", bx, by).setMarker(SeriesMarkers.NONE);
        }
        out.add(save(h, dir.resolve("optimization_history.png")));

        XYChart iv = chart("Intermediate values (pruned trials dashed, x = where pruned)", "step", "value");
        iv.getStyler().setLegendVisible(false);
        for (FrozenTrial t : trials) {
            if (t.intermediate().isEmpty()) {
                continue;
            }
            List<Double> sx = new ArrayList<>();
            List<Double> sy = new ArrayList<>();
            t.intermediate().forEach((k, v) -> {
                if (!v.isNaN()) {
                    sx.add((double) k);
                    sy.add(v);
                }
            });
            if (sx.isEmpty()) {
                continue;
            }
            XYSeries s = iv.addSeries("trial " + t.number(), sx, sy);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(new java.awt.BasicStroke(1.5f));
            if (t.state() == TrialState.PRUNED) {
                s.setLineStyle(new java.awt.BasicStroke(1f, java.awt.BasicStroke.CAP_BUTT, java.awt.BasicStroke.JOIN_MITER,
                        10f, new float[] {4f, 4f}, 0f));
                XYSeries end = iv.addSeries("pruned " + t.number(), List.of(sx.get(sx.size() - 1)),
                        List.of(sy.get(sy.size() - 1)));
                end.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                end.setMarker(SeriesMarkers.CROSS);
                end.setMarkerColor(Color.RED);
            }
        }
        out.add(save(iv, dir.resolve("intermediate_values.png")));

        for (String name : paramNames(trials)) {
            XYChart sl = chart("Slice: " + name, name, "value");
            List<Double> px = new ArrayList<>();
            List<Double> py = new ArrayList<>();
            Distribution d = null;
            for (FrozenTrial t : trials) {
                Double v = t.params().get(name);
                if (t.state() == TrialState.COMPLETE && v != null) {
                    px.add(v);
                    py.add(t.value());
                    d = t.distributions().get(name);
                }
            }
            if (d instanceof Distribution.FloatRange f && f.log() || d instanceof Distribution.IntRange r && r.log()) {
                sl.getStyler().setXAxisLogarithmic(true);
            }
            if (d instanceof Distribution.Categorical c) {
                sl.setXAxisTitle(name + " (index into " + c.choices() + ")");
            }
            if (!px.isEmpty()) {
                sl.addSeries("complete trials", px, py).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            }
            out.add(save(sl, dir.resolve("slice_" + name.replaceAll("[^A-Za-z0-9_.=-]", "_") + ".png")));
        }
        return out;
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        return c;
    }

    private static Path save(XYChart chart, Path file) throws IOException {
        if (chart.getSeriesMap().isEmpty()) {
            chart.addSeries("no data", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.write(file, tmp -> Files.write(tmp, png));
        return file;
    }
}
