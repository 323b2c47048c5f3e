package dev.jvision.detect;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.metrics.detection.CocoEvalResult;
import dev.jvision.metrics.detection.CocoEvaluator;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The end-to-end score of a two-stage (detect, then classify each crop) pipeline against COCO
 * ground truth with class labels, beside the detector's own COCO mAP.
 *
 * <p><b>Matching.</b> Per image, predictions are taken in descending detector score (ties keep
 * their order); each one is matched to the not yet matched, non-crowd ground-truth box of the
 * highest IoU among those with IoU &gt;= {@code iouThreshold} whose category name is the
 * classifier's top-1 name (top-k variant: is among its first k names). A matched prediction is a
 * true positive; an unmatched one is a false positive, unless it lies in a crowd region (its
 * intersection with a crowd box covers &gt;= {@code iouThreshold} of its own area, as COCO measures
 * crowd overlap), in which case it is ignored. Ground-truth boxes left unmatched are misses.
 * So a right box with a wrong class is a false positive <i>and</i> a miss, and a second box on an
 * already matched object is a false positive.
 *
 * <p><b>Detector mAP.</b> The detector's boxes (with its own classes, mapped to ground-truth
 * categories by name) through {@link CocoEvaluator}; when a detector class name is not a category
 * of the ground truth (e.g. a one-class "object" detector), every box and every ground-truth
 * annotation count as one class ("class-agnostic").
 *
 * <p>Stateless; thread-safe.
 */
public final class EndToEndScore {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EndToEndScore() {}

    /**
     * One box of the pipeline's output.
     *
     * @param imageId       the ground truth's image id
     * @param x1            left, in original image pixels (likewise y1, x2, y2)
     * @param score         the detector's confidence
     * @param detectorClass the detector's class name
     * @param top           the classifier's class names, most probable first
     */
    public record Predicted(long imageId, double x1, double y1, double x2, double y2, double score, String detectorClass,
                            List<String> top) {
        public Predicted {
            top = List.copyOf(top);
        }
    }

    /**
     * Match counts.
     *
     * @param tp true positives, @param fp false positives, @param fn ground-truth boxes missed
     */
    public record Counts(int tp, int fp, int fn) {
        /** tp / (tp + fp), 0 without predictions. */
        public double precision() {
            return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
        }

        /** tp / (tp + fn), 0 without ground truth. */
        public double recall() {
            return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
        }

        /** Harmonic mean of precision and recall, 0 when both are 0. */
        public double f1() {
            double p = precision();
            double r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }

    /**
     * The whole score.
     *
     * @param images        ground-truth images
     * @param groundTruth   non-crowd ground-truth boxes
     * @param predictions   boxes predicted
     * @param top1          matches with the top-1 class
     * @param top5          matches with any of the first 5 classes
     * @param map50         detector AP at IoU 0.5 (COCO)
     * @param map5095       detector AP over IoU 0.50:0.95 (COCO)
     * @param classAgnostic whether the detector's mAP was computed with one class
     */
    public record Result(int images, int groundTruth, int predictions, Counts top1, Counts top5, double map50,
                         double map5095, boolean classAgnostic) {
        /** The score as JSON (keys {@code images, gt_boxes, predicted_boxes, iou_threshold, top1, top5, detector}). */
        public ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("images", images).put("gt_boxes", groundTruth).put("predicted_boxes", predictions).put("iou_threshold", 0.5);
            counts(o.putObject("top1"), top1);
            counts(o.putObject("top5"), top5);
            o.putObject("detector").put("map50", map50).put("map50_95", map5095).put("class_agnostic", classAgnostic);
            return o;
        }

        /** Writes {@link #toJson()} to {@code file} atomically. */
        public void writeJson(Path file) throws IOException {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            AtomicFiles.write(file, tmp -> JSON.writeValue(tmp.toFile(), toJson()));
        }

        /** A short table: one row per match rule, then the detector's mAP. */
        public String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "end-to-end on %d images, %d ground-truth boxes, %d predicted (IoU >= 0.5)%n",
                    images, groundTruth, predictions));
            b.append(String.format(Locale.ROOT, "%-8s %6s %6s %6s %9s %7s %7s%n", "match", "tp", "fp", "fn", "precision",
                    "recall", "f1"));
            row(b, "top-1", top1);
            row(b, "top-5", top5);
            b.append(String.format(Locale.ROOT, "detector%s: mAP50 %.4f, mAP50-95 %.4f%n",
                    classAgnostic ? " (class-agnostic)" : "", map50, map5095));
            return b.toString();
        }

        private static void row(StringBuilder b, String name, Counts c) {
            b.append(String.format(Locale.ROOT, "%-8s %6d %6d %6d %9.4f %7.4f %7.4f%n", name, c.tp(), c.fp(), c.fn(),
                    c.precision(), c.recall(), c.f1()));
        }

        private static void counts(ObjectNode o, Counts c) {
            o.put("tp", c.tp()).put("fp", c.fp()).put("fn", c.fn()).put("precision", c.precision())
                    .put("recall", c.recall()).put("f1", c.f1());
        }
    }

    /**
     * Scores {@code predictions} against {@code gt}: top-1 and top-5 matches and the detector's mAP.
     *
     * @throws IllegalArgumentException when a prediction names an image {@code gt} lacks, or no
     *     classifier name is a category name of {@code gt}
     */
    public static Result score(CocoInstances gt, List<Predicted> predictions) throws IOException {
        Set<String> catNames = new HashSet<>();
        gt.categories().forEach(c -> catNames.add(c.name()));
        if (!predictions.isEmpty() && predictions.stream().flatMap(p -> p.top().stream()).noneMatch(catNames::contains)) {
            throw new IllegalArgumentException(gt.file() + ": no classifier class name (e.g. '"
                    + predictions.get(0).top().get(0) + "') is a category name of the ground truth (expected: the "
                    + "classifier trained on the same names as " + catNames.stream().sorted().limit(5).toList() + "...)");
        }
        int nonCrowd = (int) gt.annotations().stream().filter(a -> !a.crowd()).count();
        boolean agnostic = predictions.stream().anyMatch(p -> !catNames.contains(p.detectorClass()));
        double[] map = detectorMap(gt, predictions, agnostic);
        return new Result(gt.images().size(), nonCrowd, predictions.size(), match(gt, predictions, 1, 0.5),
                match(gt, predictions, 5, 0.5), map[0], map[1], agnostic);
    }

    /** Greedy matching (see the class comment) where a class is right when it is among the first {@code k} names. */
    public static Counts match(CocoInstances gt, List<Predicted> predictions, int k, double iouThreshold) {
        Map<Long, String> catName = new HashMap<>();
        gt.categories().forEach(c -> catName.put(c.id(), c.name()));
        Map<Long, List<CocoInstances.Annotation>> byImage = new HashMap<>();
        gt.images().forEach(i -> byImage.put(i.id(), new ArrayList<>()));
        for (CocoInstances.Annotation a : gt.annotations()) {
            byImage.computeIfAbsent(a.imageId(), id -> new ArrayList<>()).add(a);
        }
        Map<Long, List<Predicted>> predByImage = new HashMap<>();
        for (Predicted p : predictions) {
            if (!byImage.containsKey(p.imageId())) {
                throw new IllegalArgumentException(gt.file() + ": no image with id " + p.imageId()
                        + " (expected: predictions only for the ground truth's images)");
            }
            predByImage.computeIfAbsent(p.imageId(), id -> new ArrayList<>()).add(p);
        }
        int tp = 0;
        int fp = 0;
        int gtCount = 0;
        for (Map.Entry<Long, List<CocoInstances.Annotation>> e : byImage.entrySet()) {
            List<CocoInstances.Annotation> boxes = e.getValue();
            List<CocoInstances.Annotation> crowd = boxes.stream().filter(CocoInstances.Annotation::crowd).toList();
            List<CocoInstances.Annotation> real = boxes.stream().filter(a -> !a.crowd()).toList();
            gtCount += real.size();
            boolean[] taken = new boolean[real.size()];
            List<Predicted> preds = new ArrayList<>(predByImage.getOrDefault(e.getKey(), List.of()));
            preds.sort(Comparator.comparingDouble(Predicted::score).reversed());
            for (Predicted p : preds) {
                List<String> names = p.top().subList(0, Math.min(k, p.top().size()));
                int best = -1;
                double bestIou = iouThreshold;
                for (int g = 0; g < real.size(); g++) {
                    CocoInstances.Annotation a = real.get(g);
                    if (taken[g] || !names.contains(catName.get(a.categoryId()))) {
                        continue;
                    }
                    double iou = iou(p, a);
                    if (iou >= bestIou) {
                        bestIou = iou;
                        best = g;
                    }
                }
                if (best >= 0) {
                    taken[best] = true;
                    tp++;
                } else if (crowd.stream().noneMatch(c -> intersection(p, c) >= iouThreshold * area(p))) {
                    fp++;
                }
            }
        }
        return new Counts(tp, fp, gtCount - tp);
    }

    private static double[] detectorMap(CocoInstances gt, List<Predicted> predictions, boolean agnostic)
            throws IOException {
        Map<String, Long> catId = new HashMap<>();
        gt.categories().forEach(c -> catId.putIfAbsent(c.name(), c.id()));
        List<CocoResults.Entry> entries = new ArrayList<>(predictions.size());
        for (Predicted p : predictions) {
            long cat = agnostic ? 1 : catId.get(p.detectorClass());
            entries.add(new CocoResults.Entry(p.imageId(), cat, p.x1(), p.y1(), p.x2() - p.x1(), p.y2() - p.y1(), p.score()));
        }
        CocoInstances truth = agnostic ? oneClass(gt) : gt;
        CocoEvalResult r = CocoEvaluator.evaluate(truth, entries);
        return new double[] {Math.max(0, r.map50()), Math.max(0, r.map())};
    }

    /** {@code gt} with every annotation in category 1 (written and read back: the reader is the one constructor). */
    private static CocoInstances oneClass(CocoInstances gt) throws IOException {
        List<CocoInstances.Annotation> anns = new ArrayList<>();
        for (CocoInstances.Annotation a : gt.annotations()) {
            anns.add(new CocoInstances.Annotation(a.id(), a.imageId(), 1, a.x(), a.y(), a.w(), a.h(), a.area(), a.crowd(),
                    a.index()));
        }
        Path tmp = Files.createTempFile("jvision-agnostic-", ".json");
        try {
            CocoInstances.write(tmp, gt.images(), List.of(new CocoInstances.Category(1, "object", 0)), anns);
            return CocoInstances.read(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static double iou(Predicted p, CocoInstances.Annotation a) {
        double inter = intersection(p, a);
        double union = area(p) + a.w() * a.h() - inter;
        return union <= 0 ? 0 : inter / union;
    }

    private static double intersection(Predicted p, CocoInstances.Annotation a) {
        double w = Math.min(p.x2(), a.x() + a.w()) - Math.max(p.x1(), a.x());
        double h = Math.min(p.y2(), a.y() + a.h()) - Math.max(p.y1(), a.y());
        return w <= 0 || h <= 0 ? 0 : w * h;
    }

    private static double area(Predicted p) {
        return Math.max(0, p.x2() - p.x1()) * Math.max(0, p.y2() - p.y1());
    }
}
