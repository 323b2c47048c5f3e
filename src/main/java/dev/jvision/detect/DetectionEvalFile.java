package dev.jvision.detect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.metrics.detection.CocoEvalResult;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A detection run's evaluation of one split, {@code eval_<split>.json} in the run folder, which
 * the run's report draws: the 12 COCO numbers, per class its AP@0.50:0.95 and AP@0.50, and the
 * precision-recall curves at IoU 0.50 (area all, 100 detections; pycocotools' interpolated
 * precision at the 101 recall points 0, 0.01, ..., 1) per class and for all classes (the mean
 * over the classes with ground truth at each recall point, so its area is mAP50).
 *
 * <pre>{@code
 * {"split": "val", "epoch": 12, "images": 40, "AP": ..., ..., "ARl": ...,
 *  "per_class": [{"category_id": 1, "name": "pill", "ap": 0.61, "ap50": 0.93}, ...],
 *  "pr_iou50": {"recall": [0.0, 0.01, ...], "all": [...], "per_class": {"1": [...], ...}}}
 * }</pre>
 *
 * A class without ground truth has AP -1 and no curve. Stateless; thread-safe.
 */
public final class DetectionEvalFile {
    /** The IoU threshold of the curves. */
    public static final double CURVE_IOU = 0.5;

    private DetectionEvalFile() {}

    /** The file of {@code split} in {@code runDir}. */
    public static Path of(Path runDir, String split) {
        return runDir.resolve("eval_" + split + ".json");
    }

    /**
     * The JSON of {@code r} for {@code split} ({@code epoch}: the checkpoint's epoch, or -1 when
     * unknown) with {@code classes}' names.
     */
    public static ObjectNode json(CocoEvalResult r, RunClasses classes, String split, int epoch, int images) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("split", split);
        root.put("epoch", epoch);
        root.put("images", images);
        double[] stats = r.stats();
        for (int i = 0; i < stats.length; i++) {
            root.put(CocoEvalResult.STAT_NAMES.get(i), stats[i]);
        }
        long[] ids = r.categoryIds();
        ArrayNode per = root.putArray("per_class");
        ObjectNode pr = root.putObject("pr_iou50");
        ArrayNode recall = pr.putArray("recall");
        double[] points = CocoEvalResult.recallPoints();
        for (double p : points) recall.add(p);
        double[] all = new double[points.length];
        int withGt = 0;
        ObjectNode curves = pr.putObject("per_class");
        var ap = r.perClassAp();
        for (long id : ids) {
            double[] curve = r.precisionCurve(id, CURVE_IOU);
            ObjectNode c = per.addObject();
            c.put("category_id", id);
            c.put("name", name(classes, id));
            c.put("ap", ap.get(id));
            c.put("ap50", mean(curve));
            if (curve[0] > -1) {
                ArrayNode a = curves.putArray(Long.toString(id));
                for (int k = 0; k < curve.length; k++) {
                    a.add(curve[k]);
                    all[k] += curve[k];
                }
                withGt++;
            }
        }
        ArrayNode a = pr.putArray("all");
        for (double v : all) a.add(withGt == 0 ? -1 : v / withGt);
        return root;
    }

    /** Writes {@link #json} to {@code of(runDir, split)} atomically; returns the file. */
    public static Path write(Path runDir, CocoEvalResult r, RunClasses classes, String split, int epoch, int images)
            throws IOException {
        Path f = of(runDir, split);
        String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(json(r, classes, split, epoch, images));
        AtomicFiles.writeText(f, w -> w.write(text + "\n"));
        return f;
    }

    /** The mean of a curve's entries above -1 (pycocotools' AP over one IoU), or -1 when none. */
    private static double mean(double[] curve) {
        double sum = 0;
        int n = 0;
        for (double v : curve) {
            if (v > -1) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? -1 : sum / n;
    }

    private static String name(RunClasses classes, long categoryId) {
        long[] ids = classes.categoryIds();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == categoryId) return classes.name(i);
        }
        return "category " + categoryId;
    }
}
