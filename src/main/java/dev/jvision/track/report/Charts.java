package dev.jvision.track.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts, drawn with XChart and encoded as PNG bytes: line charts (curves per
 * fold or per run), a confusion-matrix heat map, per-class bars and a reliability diagram.
 * Stateless; thread-safe (each call builds its own chart).
 */
public final class Charts {
    /** Width of every chart, pixels. */
    public static final int WIDTH = 760;
    /** Height of a line chart, pixels. */
    public static final int HEIGHT = 420;
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};

    private Charts() {}

    /** One line of a line chart. {@code dashed} draws it dashed (e.g. validation next to training). */
    public record Line(String name, double[] x, double[] y, int color, boolean dashed) {}

    /** Encodes a chart as PNG. */
    public static byte[] png(Chart<?, ?> chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setChartTitleBoxVisible(false);
        s.setLegendBorderColor(new Color(0xdddddd));
        s.setBaseFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        s.setAntiAlias(true);
    }

    /** A line chart; lines without points are left out, NaN values break a line. */
    public static XYChart lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logY) {
        return lines(title, xTitle, yTitle, lines, logY, false);
    }

    /** A line chart whose y axis starts at 0 when {@code fromZero} (amounts such as memory, throughput). */
    public static XYChart lines(String title, String xTitle, String yTitle, List<Line> lines, boolean logY,
                                boolean fromZero) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle)
                .build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setPlotGridLinesColor(new Color(0xeeeeee));
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        c.getStyler().setYAxisLogarithmic(logY && allPositive(lines));
        c.getStyler().setXAxisDecimalPattern("#");
        if (fromZero) c.getStyler().setYAxisMin(0.0);
        if (maxAbs(lines) < 0.01) c.getStyler().setYAxisDecimalPattern("0.0E0");
        boolean any = false;
        for (Line l : lines) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int i = 0; i < l.x().length; i++) {
                if (Double.isFinite(l.y()[i])) {
                    xs.add(l.x()[i]);
                    ys.add(l.y()[i]);
                }
            }
            if (xs.isEmpty()) continue;
            XYSeries s = c.addSeries(l.name(), xs, ys);
            s.setLineColor(PALETTE[Math.floorMod(l.color(), PALETTE.length)]);
            s.setMarkerColor(PALETTE[Math.floorMod(l.color(), PALETTE.length)]);
            s.setMarker(xs.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            s.setLineStyle(l.dashed() ? new BasicStroke(1.8f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                    new float[] {6f, 4f}, 0f) : new BasicStroke(2f));
            any = true;
        }
        if (!any) {
            c.addSeries("(no data)", new double[] {0}, new double[] {0}).setMarker(SeriesMarkers.NONE);
        }
        return c;
    }

    private static double maxAbs(List<Line> lines) {
        double m = 0;
        for (Line l : lines) {
            for (double v : l.y()) {
                if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    private static boolean allPositive(List<Line> lines) {
        for (Line l : lines) {
            for (double v : l.y()) {
                if (Double.isFinite(v) && v <= 0) return false;
            }
        }
        return true;
    }

    /**
     * The confusion matrix as a heat map: rows are true classes (top to bottom), columns predicted
     * classes, cells the share of the row (the true class) in percent; the colour follows the share.
     */
    public static HeatMapChart confusion(String title, long[][] counts, List<String> names) {
        int k = counts.length;
        int side = Math.max(WIDTH, 160 + 34 * k);
        HeatMapChart c = new HeatMapChartBuilder().width(side).height(side - 40).title(title)
                .xAxisTitle("predicted class").yAxisTitle("true class").build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(false);
        c.getStyler().setShowValue(true);
        c.getStyler().setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, k > 20 ? 8 : 10));
        c.getStyler().setValueFontColor(Color.BLACK);
        c.getStyler().setXAxisLabelRotation(60);
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        c.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(0x9ecae1), new Color(0x08519c)});
        c.getStyler().setMin(0);
        c.getStyler().setMax(100);
        c.getStyler().setHeatMapValueDecimalPattern("#");
        List<String> xs = new ArrayList<>();
        List<String> ys = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            xs.add(i + " " + shortName(names.get(i)));
        }
        for (int i = k - 1; i >= 0; i--) {
            ys.add(i + " " + shortName(names.get(i)));
        }
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            long row = 0;
            for (long v : counts[t]) row += v;
            for (int p = 0; p < k; p++) {
                if (counts[t][p] > 0) { // empty cells stay blank (white) instead of showing a 0
                    cells.add(new Number[] {p, k - 1 - t, Math.round(100.0 * counts[t][p] / row)});
                }
            }
        }
        c.addSeries("confusion", xs, ys, cells);
        return c;
    }

    private static String shortName(String s) {
        return s.length() <= 20 ? s : s.substring(0, 19) + "…";
    }

    /** Bars per category (e.g. per-class F1), one series per entry of {@code series}. */
    public static CategoryChart bars(String title, String yTitle, List<String> categories, List<String> seriesNames,
                                     List<double[]> series, double yMax) {
        int w = Math.max(WIDTH, 120 + 36 * categories.size());
        CategoryChart c = new CategoryChartBuilder().width(w).height(HEIGHT + 60).title(title).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(seriesNames.size() > 1);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setXAxisLabelRotation(60);
        c.getStyler().setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        c.getStyler().setYAxisMin(0.0);
        if (yMax > 0) c.getStyler().setYAxisMax(yMax);
        c.getStyler().setYAxisDecimalPattern("0.00");
        List<String> cats = categories.stream().map(Charts::shortName).toList();
        for (int i = 0; i < series.size(); i++) {
            List<Double> ys = new ArrayList<>();
            for (double v : series.get(i)) ys.add(Double.isFinite(v) ? v : 0.0);
            c.addSeries(seriesNames.get(i), cats, ys).setFillColor(PALETTE[i % PALETTE.length]);
        }
        return c;
    }

    /**
     * Reliability diagram: per confidence bin, accuracy against mean confidence, for each set of
     * probabilities (e.g. before and after temperature scaling), with the diagonal of perfect
     * calibration.
     */
    public static XYChart reliability(String title, List<String> names, List<double[][]> binned) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT + 60).title(title).xAxisTitle("confidence (top probability)")
                .yAxisTitle("accuracy").build();
        style(c.getStyler());
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        c.getStyler().setPlotGridLinesColor(new Color(0xeeeeee));
        c.getStyler().setXAxisMin(0.0);
        c.getStyler().setXAxisMax(1.0);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(1.0);
        c.getStyler().setXAxisDecimalPattern("0.0");
        c.getStyler().setYAxisDecimalPattern("0.0");
        XYSeries d = c.addSeries("perfect calibration", new double[] {0, 1}, new double[] {0, 1});
        d.setLineColor(new Color(0x999999));
        d.setMarker(SeriesMarkers.NONE);
        d.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {4f, 4f}, 0f));
        for (int i = 0; i < names.size(); i++) {
            double[][] b = binned.get(i); // [confidence, accuracy] of non-empty bins
            if (b[0].length == 0) continue;
            XYSeries s = c.addSeries(names.get(i), b[0], b[1]);
            s.setLineColor(PALETTE[(i * 3) % PALETTE.length]);
            s.setMarkerColor(PALETTE[(i * 3) % PALETTE.length]);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineStyle(new BasicStroke(2f));
        }
        return c;
    }
}
