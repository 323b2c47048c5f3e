package dev.jvision.metrics.detection;

import dev.jvision.data.detection.CocoInstances;
import dev.jvision.data.detection.CocoResults;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * COCO box evaluation with the semantics of pycocotools' {@code COCOeval} ({@code iouType="bbox"},
 * default parameters), so its numbers equal the reference implementation's:
 * <ul>
 *   <li>IoU thresholds 0.50:0.05:0.95, 101 recall points, area ranges all / small (area &lt;= 32²) /
 *       medium (32²..96²) / large (&gt;= 96²; both ends inclusive, using the ground truth's
 *       {@code area} field and the detection's {@code w * h}), maxDets 1 / 10 / 100;</li>
 *   <li>per image and category, detections sorted by descending score with a stable sort (ties keep
 *       file order) and cut to 100; each is matched greedily to the unmatched ground truth of highest
 *       IoU at or above the threshold, regular boxes before ignored ones; crowd regions may take many
 *       detections and their IoU divides by the detection's area;</li>
 *   <li>ground truth outside the area range or crowd is ignored, as are unmatched detections outside
 *       the range; categories or areas without ground truth give -1, left out of the means;</li>
 *   <li>like pycocotools, a detection matched to a ground truth whose {@code id} is 0 counts as
 *       unmatched (its match is stored as the id): give annotations ids from 1.</li>
 * </ul>
 * Images are those of the ground truth's {@code images} (sorted by id), categories those of its
 * {@code categories}; detections of other categories are ignored, detections of images not in the
 * ground truth are an error (as in pycocotools' {@code loadRes}).
 *
 * <p>Stateless; thread-safe. The result belongs to the caller.
 */
public final class CocoEvaluator {
    /** IoU thresholds, bit for bit numpy's {@code linspace(.5, .95, 10)}. */
    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    /** Recall points, bit for bit numpy's {@code linspace(0, 1, 101)}. */
    static final double[] RECALL_POINTS = linspace(0.0, 1.0, 101);
    /** Area ranges all, small, medium, large (inclusive bounds). */
    static final double[][] AREA_RANGES = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};
    static final String[] AREA_NAMES = {"all", "small", "medium", "large"};
    static final int[] MAX_DETS = {1, 10, 100};

    private static final double EPS = Math.ulp(1.0); // numpy's spacing(1)

    private CocoEvaluator() {}

    /**
     * Evaluates {@code detections} against {@code gt}.
     *
     * @throws IllegalArgumentException when a detection names an image that {@code gt} does not have
     */
    public static CocoEvalResult evaluate(CocoInstances gt, List<CocoResults.Entry> detections) {
        long[] imgIds = gt.images().stream().mapToLong(CocoInstances.Image::id).distinct().sorted().toArray();
        long[] catIds = new TreeSet<>(gt.categories().stream().map(CocoInstances.Category::id).toList())
                .stream().mapToLong(Long::longValue).toArray();
        Map<Long, Integer> imgIndex = index(imgIds);
        Map<Long, Integer> catIndex = index(catIds);
        int nI = imgIds.length;
        int nK = catIds.length;

        Map<Long, List<Box>> gts = new HashMap<>();
        for (CocoInstances.Annotation a : gt.annotations()) {
            Integer i = imgIndex.get(a.imageId());
            Integer k = catIndex.get(a.categoryId());
            if (i == null || k == null) continue;
            gts.computeIfAbsent(key(k, i, nI), x -> new ArrayList<>())
                    .add(new Box(a.id(), a.x(), a.y(), a.w(), a.h(), a.area(), a.crowd(), 0));
        }
        Map<Long, List<Box>> dts = new HashMap<>();
        Set<Long> known = new HashSet<>(imgIndex.keySet());
        for (int n = 0; n < detections.size(); n++) {
            CocoResults.Entry d = detections.get(n);
            if (!known.contains(d.imageId())) {
                throw new IllegalArgumentException("detections[" + n + "].image_id: " + d.imageId()
                        + " (expected: an image id of the ground truth)");
            }
            Integer k = catIndex.get(d.categoryId());
            if (k == null) continue;
            dts.computeIfAbsent(key(k, imgIndex.get(d.imageId()), nI), x -> new ArrayList<>())
                    .add(new Box(n + 1, d.x(), d.y(), d.w(), d.h(), d.w() * d.h(), false, d.score()));
        }

        int nA = AREA_RANGES.length;
        // only the (category, image) pairs with boxes, in category then image order (key = k * nI + i)
        TreeSet<Long> keys = new TreeSet<>(gts.keySet());
        keys.addAll(dts.keySet());
        List<List<ImageEval[]>> evals = new ArrayList<>(nK);
        for (int k = 0; k < nK; k++) evals.add(new ArrayList<>());
        for (long key : keys) {
            List<Box> g = gts.getOrDefault(key, List.of());
            List<Box> d = dts.getOrDefault(key, List.of());
            Box[] sorted = sortByScore(d, MAX_DETS[MAX_DETS.length - 1]);
            double[][] ious = ious(sorted, g);
            ImageEval[] perArea = new ImageEval[nA];
            for (int a = 0; a < nA; a++) perArea[a] = evaluateImage(g, sorted, ious, AREA_RANGES[a]);
            evals.get((int) (key / nI)).add(perArea);
        }
        return accumulate(catIds, evals);
    }

    private static Map<Long, Integer> index(long[] ids) {
        Map<Long, Integer> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) m.put(ids[i], i);
        return m;
    }

    private static long key(int k, int i, int nI) {
        return (long) k * nI + i;
    }

    /** A box with its COCO id, {@code [x, y, w, h]}, area, crowd flag and (detections) score. */
    private record Box(long id, double x, double y, double w, double h, double area, boolean crowd, double score) {}

    /** One image and category at one area range: pycocotools' {@code evalImgs} entry. */
    private record ImageEval(double[] scores, boolean[][] matched, boolean[][] ignored, int regularGt) {}

    /** Stable descending sort on score (equal scores, including 0 and -0, keep their order), cut to {@code max}. */
    private static Box[] sortByScore(List<Box> d, int max) {
        Box[] s = d.toArray(new Box[0]);
        Arrays.sort(s, (p, q) -> p.score() > q.score() ? -1 : p.score() < q.score() ? 1 : 0);
        return s.length > max ? Arrays.copyOf(s, max) : s;
    }

    /** IoU of every detection with every ground truth (file order); a crowd box divides by the detection's area. */
    private static double[][] ious(Box[] d, List<Box> g) {
        double[][] o = new double[d.length][g.size()];
        for (int j = 0; j < g.size(); j++) {
            Box gb = g.get(j);
            double ga = gb.w() * gb.h();
            for (int i = 0; i < d.length; i++) {
                Box db = d[i];
                double w = Math.min(db.w() + db.x(), gb.w() + gb.x()) - Math.max(db.x(), gb.x());
                if (w <= 0) continue;
                double h = Math.min(db.h() + db.y(), gb.h() + gb.y()) - Math.max(db.y(), gb.y());
                if (h <= 0) continue;
                double inter = w * h;
                double da = db.w() * db.h();
                o[i][j] = inter / (gb.crowd() ? da : da + ga - inter);
            }
        }
        return o;
    }

    private static ImageEval evaluateImage(List<Box> gtList, Box[] dt, double[][] ious, double[] range) {
        int nG = gtList.size();
        int nD = dt.length;
        int nT = IOU_THRESHOLDS.length;
        // ground truth order: regular first, ignored last, each group in file order (a stable sort)
        int[] order = new int[nG];
        boolean[] gtIgnore = new boolean[nG];
        int pos = 0;
        int regular = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < nG; j++) {
                Box g = gtList.get(j);
                boolean ig = g.crowd() || g.area() < range[0] || g.area() > range[1];
                if (ig == (pass == 1)) {
                    gtIgnore[pos] = ig;
                    order[pos++] = j;
                    if (!ig) regular++;
                }
            }
        }
        boolean[][] matched = new boolean[nT][nD];
        boolean[][] ignored = new boolean[nT][nD];
        if (nG > 0 && nD > 0) {
            for (int t = 0; t < nT; t++) {
                boolean[] gtTaken = new boolean[nG];
                for (int d = 0; d < nD; d++) {
                    double best = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
                    int m = -1;
                    for (int gi = 0; gi < nG; gi++) {
                        Box g = gtList.get(order[gi]);
                        if (gtTaken[gi] && !g.crowd()) continue;
                        if (m > -1 && !gtIgnore[m] && gtIgnore[gi]) break;
                        double iou = ious[d][order[gi]];
                        if (iou < best) continue;
                        best = iou;
                        m = gi;
                    }
                    if (m == -1) continue;
                    ignored[t][d] = gtIgnore[m];
                    matched[t][d] = gtList.get(order[m]).id() != 0;
                    gtTaken[m] = true;
                }
            }
        }
        double[] scores = new double[nD];
        for (int d = 0; d < nD; d++) {
            scores[d] = dt[d].score();
            boolean outside = dt[d].area() < range[0] || dt[d].area() > range[1];
            for (int t = 0; t < nT; t++) ignored[t][d] |= !matched[t][d] && outside;
        }
        return new ImageEval(scores, matched, ignored, regular);
    }

    private static CocoEvalResult accumulate(long[] catIds, List<List<ImageEval[]>> evals) {
        int nT = IOU_THRESHOLDS.length;
        int nR = RECALL_POINTS.length;
        int nK = catIds.length;
        int nA = AREA_RANGES.length;
        int nM = MAX_DETS.length;
        double[] precision = new double[nT * nR * nK * nA * nM]; // [t][r][k][a][m], flat
        double[] recall = new double[nT * nK * nA * nM]; // [t][k][a][m]
        Arrays.fill(precision, -1);
        Arrays.fill(recall, -1);
        for (int k = 0; k < nK; k++) {
            for (int a = 0; a < nA; a++) {
                for (int m = 0; m < nM; m++) {
                    int maxDet = MAX_DETS[m];
                    List<ImageEval> e = new ArrayList<>();
                    for (ImageEval[] x : evals.get(k)) e.add(x[a]);
                    if (e.isEmpty()) continue;
                    int regular = 0;
                    int nd = 0;
                    for (ImageEval x : e) {
                        regular += x.regularGt();
                        nd += Math.min(maxDet, x.scores().length);
                    }
                    if (regular == 0) continue;
                    // concatenate in image order, then a stable sort on descending score
                    double[] scores = new double[nd];
                    int[] src = new int[nd];
                    int[] col = new int[nd];
                    int p = 0;
                    for (int ei = 0; ei < e.size(); ei++) {
                        int n = Math.min(maxDet, e.get(ei).scores().length);
                        for (int d = 0; d < n; d++) {
                            scores[p] = e.get(ei).scores()[d];
                            src[p] = ei;
                            col[p++] = d;
                        }
                    }
                    Integer[] idx = new Integer[nd];
                    for (int i = 0; i < nd; i++) idx[i] = i;
                    Arrays.sort(idx, (x, y) -> scores[x] > scores[y] ? -1 : scores[x] < scores[y] ? 1 : 0);
                    for (int t = 0; t < nT; t++) {
                        double[] rc = new double[nd];
                        double[] pr = new double[nd];
                        double tp = 0;
                        double fp = 0;
                        for (int i = 0; i < nd; i++) {
                            ImageEval x = e.get(src[idx[i]]);
                            int d = col[idx[i]];
                            if (!x.ignored()[t][d]) {
                                if (x.matched()[t][d]) tp++;
                                else fp++;
                            }
                            rc[i] = tp / regular;
                            pr[i] = tp / (fp + tp + EPS);
                        }
                        recall[((t * nK + k) * nA + a) * nM + m] = nd > 0 ? rc[nd - 1] : 0;
                        for (int i = nd - 1; i > 0; i--) if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                        int i = 0;
                        for (int r = 0; r < nR; r++) {
                            while (i < nd && rc[i] < RECALL_POINTS[r]) i++; // searchsorted, side='left'
                            precision[(((t * nR + r) * nK + k) * nA + a) * nM + m] = i < nd ? pr[i] : 0;
                        }
                    }
                }
            }
        }
        return new CocoEvalResult(catIds, precision, recall);
    }

    /** numpy's {@code linspace(start, stop, num)}: {@code i * step + start}, the last value exactly {@code stop}. */
    static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] y = new double[num];
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }
}
