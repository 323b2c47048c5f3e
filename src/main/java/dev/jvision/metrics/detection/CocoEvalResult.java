package dev.jvision.metrics.detection;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link CocoEvaluator} computed: pycocotools' {@code precision[T][R][K][A][M]} and
 * {@code recall[T][K][A][M]} arrays (-1 where a category has no ground truth in an area range),
 * the 12 summary numbers, per-category AP and precision-recall curves.
 *
 * <p>Immutable (accessors return copies); thread-safe.
 */
public final class CocoEvalResult {
    /** Names of the 12 summary numbers, in pycocotools' {@code stats} order. */
    public static final List<String> STAT_NAMES =
            List.of("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl");

    private final long[] categoryIds;
    private final double[] precision; // [t][r][k][a][m], flat
    private final double[] recall; // [t][k][a][m], flat
    private final double[] stats = new double[12];
    private final String summary;

    CocoEvalResult(long[] categoryIds, double[] precision, double[] recall) {
        this.categoryIds = categoryIds.clone();
        this.precision = precision;
        this.recall = recall;
        StringBuilder sb = new StringBuilder();
        stats[0] = line(sb, true, -1, 0, 2);
        stats[1] = line(sb, true, 0, 0, 2);
        stats[2] = line(sb, true, 5, 0, 2);
        stats[3] = line(sb, true, -1, 1, 2);
        stats[4] = line(sb, true, -1, 2, 2);
        stats[5] = line(sb, true, -1, 3, 2);
        stats[6] = line(sb, false, -1, 0, 0);
        stats[7] = line(sb, false, -1, 0, 1);
        stats[8] = line(sb, false, -1, 0, 2);
        stats[9] = line(sb, false, -1, 1, 2);
        stats[10] = line(sb, false, -1, 2, 2);
        stats[11] = line(sb, false, -1, 3, 2);
        this.summary = sb.toString();
    }

    /** One summary number (mean over entries &gt; -1, or -1 when there are none) and its printed line. */
    private double line(StringBuilder sb, boolean ap, int iou, int area, int maxDet) {
        double sum = 0;
        long n = 0;
        int nT = CocoEvaluator.IOU_THRESHOLDS.length;
        for (int t = 0; t < nT; t++) {
            if (iou >= 0 && t != iou) continue;
            for (int k = 0; k < categoryIds.length; k++) {
                if (ap) {
                    for (int r = 0; r < CocoEvaluator.RECALL_POINTS.length; r++) {
                        double v = precision(t, r, k, area, maxDet);
                        if (v > -1) {
                            sum += v;
                            n++;
                        }
                    }
                } else {
                    double v = recall(t, k, area, maxDet);
                    if (v > -1) {
                        sum += v;
                        n++;
                    }
                }
            }
        }
        double mean = n == 0 ? -1 : sum / n;
        String iouStr = iou < 0 ? "0.50:0.95" : fixed(CocoEvaluator.IOU_THRESHOLDS[iou], 2);
        sb.append(String.format(" %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %s%n",
                ap ? "Average Precision" : "Average Recall", ap ? "(AP)" : "(AR)", iouStr,
                CocoEvaluator.AREA_NAMES[area], CocoEvaluator.MAX_DETS[maxDet], fixed(mean, 3)));
        return mean;
    }

    /** Python's {@code '{:0.Nf}'}: the exact binary value rounded half-even. */
    static String fixed(double v, int digits) {
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** The 12 numbers of pycocotools' {@code stats}, in {@link #STAT_NAMES} order (a copy). */
    public double[] stats() {
        return stats.clone();
    }

    /** One summary number by name ({@code "AP"}, {@code "AP50"}, ... see {@link #STAT_NAMES}). */
    public double stat(String name) {
        int i = STAT_NAMES.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("stat: " + name + " (expected: one of " + STAT_NAMES + ")");
        return stats[i];
    }

    /** mAP@0.50:0.95 (area all, 100 detections). */
    public double map() {
        return stats[0];
    }

    /** mAP@0.50. */
    public double map50() {
        return stats[1];
    }

    /** The 12-line summary exactly as pycocotools' {@code summarize()} prints it. */
    public String summary() {
        return summary;
    }

    /** Category ids in evaluation order (ascending). */
    public long[] categoryIds() {
        return categoryIds.clone();
    }

    /**
     * AP@0.50:0.95 of each category (area all, 100 detections), by category id in ascending order;
     * -1 for a category without ground truth.
     */
    public Map<Long, Double> perClassAp() {
        Map<Long, Double> m = new LinkedHashMap<>();
        for (int k = 0; k < categoryIds.length; k++) {
            double sum = 0;
            int n = 0;
            for (int t = 0; t < CocoEvaluator.IOU_THRESHOLDS.length; t++) {
                for (int r = 0; r < CocoEvaluator.RECALL_POINTS.length; r++) {
                    double v = precision(t, r, k, 0, 2);
                    if (v > -1) {
                        sum += v;
                        n++;
                    }
                }
            }
            m.put(categoryIds[k], n == 0 ? -1 : sum / n);
        }
        return m;
    }

    /**
     * Interpolated precision at the 101 recall points 0, 0.01, ..., 1 for one category at one IoU
     * threshold (area all, 100 detections): the PR curve a report draws. All -1 when the category
     * has no ground truth.
     *
     * @param categoryId a category id of the ground truth
     * @param iouThreshold one of 0.50, 0.55, ..., 0.95
     */
    public double[] precisionCurve(long categoryId, double iouThreshold) {
        int k = categoryIndex(categoryId);
        int t = -1;
        for (int i = 0; i < CocoEvaluator.IOU_THRESHOLDS.length; i++) {
            if (Math.abs(CocoEvaluator.IOU_THRESHOLDS[i] - iouThreshold) < 1e-9) t = i;
        }
        if (t < 0) throw new IllegalArgumentException("iouThreshold: " + iouThreshold + " (expected: 0.50, 0.55, ..., 0.95)");
        double[] out = new double[CocoEvaluator.RECALL_POINTS.length];
        for (int r = 0; r < out.length; r++) out[r] = precision(t, r, k, 0, 2);
        return out;
    }

    /** The recall points of {@link #precisionCurve} (101 values, 0 to 1). */
    public static double[] recallPoints() {
        return CocoEvaluator.RECALL_POINTS.clone();
    }

    /** pycocotools' {@code precision[t, r, k, a, m]} (indices into its parameter arrays). */
    public double precision(int t, int r, int k, int a, int m) {
        int nK = categoryIds.length;
        int nA = CocoEvaluator.AREA_RANGES.length;
        int nM = CocoEvaluator.MAX_DETS.length;
        return precision[(((t * CocoEvaluator.RECALL_POINTS.length + r) * nK + k) * nA + a) * nM + m];
    }

    /** pycocotools' {@code recall[t, k, a, m]}. */
    public double recall(int t, int k, int a, int m) {
        int nA = CocoEvaluator.AREA_RANGES.length;
        int nM = CocoEvaluator.MAX_DETS.length;
        return recall[((t * categoryIds.length + k) * nA + a) * nM + m];
    }

    private int categoryIndex(long categoryId) {
        for (int k = 0; k < categoryIds.length; k++) if (categoryIds[k] == categoryId) return k;
        throw new IllegalArgumentException("categoryId: " + categoryId + " (expected: a category of the ground truth)");
    }

    /** {@code {"AP", ..., "ARl", "per_class": {category_id: AP}}} as a JSON tree. */
    public ObjectNode toJson() {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        for (int i = 0; i < stats.length; i++) root.put(STAT_NAMES.get(i), stats[i]);
        ObjectNode pc = root.putObject("per_class");
        perClassAp().forEach((id, ap) -> pc.put(Long.toString(id), ap));
        return root;
    }

    /** Writes {@link #toJson()} to {@code file} atomically (pretty-printed). */
    public void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) java.nio.file.Files.createDirectories(parent);
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        String text = om.writeValueAsString(toJson());
        AtomicFiles.writeText(file, w -> w.write(text + "\n"));
    }
}
