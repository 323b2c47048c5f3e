package dev.jvision.pipeline;

import static dev.jvision.pipeline.RunSetup.f4;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.augment.Tta;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.DataException;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Manifest;
import dev.jvision.data.Sample;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.EnsemblePredictor;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inference in manifest mode ({@code data.train_manifest} set): predicts the rows of
 * {@code data.test_manifest} ({@code image_path[,label]}) with an ensemble and writes, atomically,
 *
 * <ul>
 *   <li>{@code predictions.csv}: {@code image_path[,label],prediction,probability,top5,top5_probabilities}
 *       in manifest order; classes are class names, the top-k lists (k = min(5, classes)) are
 *       joined by {@code |}, probabilities with 6 decimals;</li>
 *   <li>{@code predictions_info.json}: members, temperatures, TTA views, rows and, when the test
 *       manifest has labels, the test accuracy, macro-F1, top-5 accuracy, NLL and ECE of every
 *       TTA / calibration variant;</li>
 *   <li>optionally {@code probs.csv} and {@code low_confidence.csv}, as in the competition layout.</li>
 * </ul>
 *
 * Rows whose image does not decode follow {@code data.on_bad_image} (skip: left out with a
 * warning). Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class ManifestInference {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestInference.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The predictions table written into the output folder. */
    public static final String PREDICTIONS = "predictions.csv";
    /** The summary written beside it. */
    public static final String INFO = "predictions_info.json";
    /** How many classes the predictions table lists per row (fewer when the model has fewer). */
    public static final int TOP = 5;

    private ManifestInference() {}

    /**
     * Predicts {@code data}'s test manifest with {@code members} and writes the files above into
     * {@code outDir}.
     *
     * @throws IllegalArgumentException when {@code data.test_manifest} is not set
     */
    static InferStage.Outcome infer(Experiment exp, CompetitionData data, Path outDir, List<EnsembleMember> members,
                                    InferStage.Options opts, Device device) throws IOException {
        Manifest test = data.testManifest().orElseThrow(() -> new IllegalArgumentException("data.test_manifest: not set "
                + "(expected: an image_path[,label] CSV of the images to predict, relative to data.root; image "
                + "manifests have no sample_submission.csv)"));
        if (test.samples().isEmpty()) {
            throw new IllegalArgumentException("data.test_manifest: " + test.csv() + " has no rows to predict (expected: "
                    + "image_path[,label] rows; rows with another split than 'test' are left out)");
        }
        double[] temps = new double[members.size()];
        for (int m = 0; m < members.size(); m++) {
            temps[m] = InferStage.temperatureOf(members.get(m), opts.useCalibration());
        }
        List<Tta.View> views = opts.tta() ? Tta.parse(exp.infer().ttaViews(), exp.infer().ttaNumAugments())
                : List.of(Tta.identity());
        Map<Integer, ImageCache> caches = new HashMap<>();
        ImageCache first = RunSetup.cache(exp, exp.data().imgSize(), test.samples().size());
        List<Sample> samples = CompetitionData.applyBadImagePolicy(test.samples(),
                first.preload(test.samples(), "decode test"), exp.data().onBadImage(), "test images");
        caches.put(exp.data().imgSize(), first);
        EnsemblePredictor.Predictions preds = EnsemblePredictor.predict(members, temps, samples,
                size -> caches.computeIfAbsent(size, s -> {
                    ImageCache c = RunSetup.cache(exp, s, samples.size());
                    List<String> failed = c.preload(samples, "decode test");
                    if (!failed.isEmpty()) {
                        throw new DataException("test images: " + failed.size() + " could not be loaded at " + s + " px",
                                failed);
                    }
                    return c;
                }), new EnsemblePredictor.Settings(exp.infer().batchSize(), exp.data().prefetch(), views,
                        exp.model().channelsLast()), device);
        boolean calibrated = opts.useCalibration() && InferStage.anyNotOne(temps);
        float[][] probs = preds.select(opts.tta(), calibrated);
        List<String> names = data.classNames();
        boolean labelled = test.labelled();

        Path out = outDir.resolve(PREDICTIONS);
        writePredictions(out, samples, probs, names, labelled);
        int low = InferStage.writeExtras(outDir, samples, probs, opts);

        List<InferStage.VariantScore> variants = new ArrayList<>();
        Map<String, Object> scores = new LinkedHashMap<>();
        Optional<Double> f1 = Optional.empty();
        Optional<Double> acc = Optional.empty();
        if (labelled) {
            int[] targets = samples.stream().mapToInt(Sample::label).toArray();
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                rows.add(i);
            }
            int numClasses = preds.numClasses();
            boolean haveT = InferStage.anyNotOne(temps);
            List<Map<String, Object>> vs = new ArrayList<>();
            for (boolean useTta : opts.tta() ? new boolean[] {false, true} : new boolean[] {false}) {
                for (boolean cal : haveT ? new boolean[] {false, true} : new boolean[] {false}) {
                    String name = (useTta ? "TTA x" + views.size() : "no TTA") + (cal ? ", calibrated" : ", uncalibrated");
                    float[][] p = preds.select(useTta, cal);
                    InferStage.VariantScore v = InferStage.score(name, useTta, cal, p, rows, targets, numClasses);
                    variants.add(v);
                    vs.add(v.toJson(true));
                    LOG.info("test {}: accuracy {}, macro-F1 {}, top-5 accuracy {}, NLL {}, ECE {}", name,
                            f4(v.accuracy()), f4(v.macroF1()), f4(v.top5()), f4(v.nll()), f4(v.ece()));
                }
            }
            InferStage.VariantScore chosen = InferStage.score("chosen", opts.tta(), calibrated, probs, rows, targets,
                    numClasses);
            double top5 = chosen.top5();
            f1 = Optional.of(chosen.macroF1());
            acc = Optional.of(chosen.accuracy());
            scores.put("test_accuracy", chosen.accuracy());
            scores.put("test_macro_f1", chosen.macroF1());
            scores.put("test_top5_accuracy", top5);
            scores.put("test_nll", chosen.nll());
            scores.put("test_ece", chosen.ece());
            scores.put("variants", vs);
            LOG.info("test set ({} labelled rows of {}): accuracy {}, macro-F1 {}, top-5 accuracy {}", samples.size(),
                    test.csv(), f4(chosen.accuracy()), f4(chosen.macroF1()), f4(top5));
        }
        Path infoFile = outDir.resolve(INFO);
        Map<String, Object> info = info(outDir, test, preds, views, opts, temps, calibrated, samples.size(), low);
        info.putAll(scores);
        AtomicFiles.writeText(infoFile, w -> JSON.writeValue(w, info));
        LOG.info("wrote {} ({} rows of {}, top-{} classes per row)", out, samples.size(), test.csv(),
                Math.min(TOP, preds.numClasses()));
        return new InferStage.Outcome(out, infoFile, samples.size(), f1, acc, List.copyOf(variants), low);
    }

    /**
     * Writes {@code image_path[,label],prediction,probability,top5,top5_probabilities} atomically.
     *
     * @param names class names by id (ids without a name are written as {@code class_<id>})
     */
    static void writePredictions(Path file, List<Sample> samples, float[][] probs, List<String> names, boolean labelled)
            throws IOException {
        if (probs.length != samples.size()) {
            throw new IllegalArgumentException("probabilities for " + probs.length + " samples (expected: "
                    + samples.size() + ", one row per sample)");
        }
        AtomicFiles.writeText(file, w -> {
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                List<String> header = new ArrayList<>(List.of("image_path"));
                if (labelled) header.add("label");
                header.addAll(List.of("prediction", "probability", "top" + TOP, "top" + TOP + "_probabilities"));
                p.printRecord(header);
                for (int i = 0; i < samples.size(); i++) {
                    int[] top = topClasses(probs[i], TOP);
                    List<String> row = new ArrayList<>();
                    row.add(samples.get(i).id());
                    if (labelled) row.add(name(names, samples.get(i).label()));
                    row.add(name(names, top[0]));
                    row.add(prob(probs[i][top[0]]));
                    StringBuilder cs = new StringBuilder();
                    StringBuilder ps = new StringBuilder();
                    for (int j = 0; j < top.length; j++) {
                        cs.append(j == 0 ? "" : "|").append(name(names, top[j]));
                        ps.append(j == 0 ? "" : "|").append(prob(probs[i][top[j]]));
                    }
                    row.add(cs.toString());
                    row.add(ps.toString());
                    p.printRecord(row);
                }
            }
        });
    }

    /** The ids of the {@code min(k, classes)} largest entries, largest first (ties: lower id first). */
    static int[] topClasses(float[] p, int k) {
        int n = Math.min(k, p.length);
        int[] top = new int[n];
        int filled = 0;
        for (int c = 0; c < p.length; c++) {
            if (filled < n) {
                filled++;
            } else if (!(p[c] > p[top[n - 1]])) {
                continue;
            }
            int j = filled - 1;
            while (j > 0 && p[c] > p[top[j - 1]]) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = c;
        }
        return top;
    }

    private static String name(List<String> names, int c) {
        return c >= 0 && c < names.size() ? names.get(c) : "class_" + c;
    }

    private static String prob(float v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static Map<String, Object> info(Path outDir, Manifest test, EnsemblePredictor.Predictions preds,
                                            List<Tta.View> views, InferStage.Options opts, double[] temps,
                                            boolean calibrated, int rows, int low) {
        Map<String, Object> info = SubmissionReport.header(outDir);
        info.put("test_manifest", test.csv().toAbsolutePath().toString());
        info.put("rows", rows);
        info.put("skipped_rows", test.samples().size() - rows + test.skipped().size());
        List<Map<String, Object>> ms = new ArrayList<>();
        for (EnsemblePredictor.MemberReport r : preds.members()) {
            Map<String, Object> e = SubmissionReport.memberHead(r);
            e.put("normalised_weight", r.normalisedWeight());
            e.put("temperature", r.temperature());
            e.put("checkpoints", r.member().checkpoints().stream().map(Path::toString).toList());
            ms.add(e);
        }
        info.put("members", ms);
        SubmissionReport.putTtaCalibration(info, views, opts, temps, calibrated);
        SubmissionReport.putLowConfidence(info, opts, low);
        return info;
    }
}
