package dev.jvision.pipeline;

import static dev.jvision.pipeline.RunSetup.f4;

import dev.jvision.augment.Tta;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.DataException;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Manifest;
import dev.jvision.data.Sample;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.EnsemblePredictor;
import dev.jvision.infer.Predictor;
import dev.jvision.infer.Submission;
import dev.jvision.infer.SubmissionValidator;
import dev.jvision.infer.TemperatureScaling;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference stage of a run ({@code jvision infer}): predicts the test set in
 * sample_submission order with a fold / multi-model ensemble, optionally with TTA and
 * temperature-calibrated probabilities, writes {@code submission.csv},
 * {@code submission_info.json} and optional extras, and validates the submission before
 * returning. With test labels (the demo data) every TTA / calibration variant is scored. In
 * manifest mode ({@code data.train_manifest}) the images of {@code data.test_manifest} are
 * predicted instead ({@link ManifestInference}: {@code predictions.csv} with top-5 classes).
 * Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class InferStage {
    private static final Logger LOG = LoggerFactory.getLogger(InferStage.class);

    private InferStage() {}

    /**
     * Test-set scores of one inference variant (only when test labels exist).
     *
     * @param name       e.g. {@code "TTA + calibration"}
     * @param tta        whether TTA views were averaged
     * @param calibrated whether logits were divided by the temperature
     */
    public record VariantScore(String name, boolean tta, boolean calibrated, double macroF1, double accuracy, double nll,
                               double ece, double top5) {
        /**
         * This variant as an ordered JSON map: {@code variant, tta, calibrated}, then the metrics
         * ({@code macro_f1, accuracy} in that order, or swapped when {@code accuracyFirst}: the
         * documented key orders of submission_info.json and predictions_info.json), then
         * {@code top5_accuracy, nll, ece}. Returns a new mutable map owned by the caller.
         */
        Map<String, Object> toJson(boolean accuracyFirst) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("variant", name);
            m.put("tta", tta);
            m.put("calibrated", calibrated);
            if (accuracyFirst) {
                m.put("accuracy", accuracy);
            }
            m.put("macro_f1", macroF1);
            if (!accuracyFirst) {
                m.put("accuracy", accuracy);
            }
            m.put("top5_accuracy", top5);
            m.put("nll", nll);
            m.put("ece", ece);
            return m;
        }
    }

    /**
     * Inference outcome: the written files, the chosen variant's test macro-F1/accuracy when
     * test labels exist, every variant's scores, and how many IDs fell below the confidence threshold.
     */
    public record Outcome(Path submission, Path info, int rows, Optional<Double> testF1, Optional<Double> testAcc,
                          List<VariantScore> variants, int lowConfidence) {}

    /**
     * Inference switches (the command line's flags; defaults from the {@code infer:} section).
     *
     * @param tta                 average the configured TTA views
     * @param useCalibration      divide logits by the members' temperatures
     * @param saveProbs           also write probs.csv
     * @param confidenceThreshold write low_confidence.csv with the IDs whose top probability is below it; 0 = off
     */
    public record Options(boolean tta, boolean useCalibration, boolean saveProbs, double confidenceThreshold) {
        public Options {
            if (!(confidenceThreshold >= 0 && confidenceThreshold <= 1)) {
                throw new IllegalArgumentException("confidence threshold: " + confidenceThreshold + " (expected: in [0, 1])");
            }
        }

        /** The settings of the experiment's {@code infer:} section. */
        public static Options of(Experiment exp) {
            return new Options(exp.infer().tta(), exp.infer().useCalibration(), exp.infer().saveProbs(),
                    exp.infer().confidenceThreshold());
        }
    }

    /**
     * Predicts the test set with every fold checkpoint of {@code runDir}, averages the
     * probabilities and writes submission.csv + submission_info.json there (and probs.csv when
     * {@code saveProbs}).
     */
    public static Outcome infer(Experiment exp, Path runDir, boolean saveProbs) throws IOException {
        return infer(exp, runDir, Predictor.runCheckpoints(runDir), saveProbs);
    }

    /** As {@link #infer(Experiment, Path, boolean)} with explicit checkpoints; outputs go to {@code outDir}. */
    public static Outcome infer(Experiment exp, Path outDir, List<Path> checkpoints, boolean saveProbs)
            throws IOException {
        return infer(exp, outDir, List.of(new EnsembleMember("checkpoints", checkpoints, 1.0, null, Optional.empty())),
                new Options(false, false, saveProbs, 0));
    }

    /**
     * Predicts the test set (in sample_submission order) with an ensemble of members, writes
     * {@code submission.csv}, {@code submission_info.json}, optionally {@code probs.csv} and
     * {@code low_confidence.csv} into {@code outDir}, and validates the submission against the
     * sample submission before returning.
     *
     * <p>With {@code useCalibration}, each member's temperature is its fixed one, else its run's
     * {@code calibration.json} (fitted from {@code oof_logits.csv} when missing), else 1 with a
     * warning. When test labels exist, the test macro-F1, NLL and ECE are reported with and
     * without TTA and calibration.
     */
    public static Outcome infer(Experiment exp, Path outDir, List<EnsembleMember> members, Options opts)
            throws IOException {
        Device device = RunSetup.apply(exp);
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        if (data.manifestMode()) {
            return ManifestInference.infer(exp, data, outDir, members, opts, device);
        }
        Manifest test = data.test();
        List<Sample> samples = test.samples();
        double[] temps = new double[members.size()];
        for (int m = 0; m < members.size(); m++) {
            temps[m] = temperatureOf(members.get(m), opts.useCalibration());
        }
        List<Tta.View> views = opts.tta() ? Tta.parse(exp.infer().ttaViews(), exp.infer().ttaNumAugments())
                : List.of(Tta.identity());
        Map<Integer, ImageCache> caches = new HashMap<>();
        EnsemblePredictor.Predictions preds = EnsemblePredictor.predict(members, temps, samples, size -> caches.computeIfAbsent(size, s -> {
            ImageCache c = RunSetup.cache(exp, s, samples.size());
            List<String> failed = c.preload(samples, "decode test");
            if (!failed.isEmpty()) {
                // a submission must list every test ID: a bad test image is always an error
                throw new DataException("test images: " + failed.size() + " could not be loaded", failed);
            }
            return c;
        }), new EnsemblePredictor.Settings(exp.infer().batchSize(), exp.data().loader().prefetch(), views,
                exp.model().channelsLast()), device);
        boolean calibrated = opts.useCalibration() && anyNotOne(temps);
        float[][] probs = preds.select(opts.tta(), calibrated);
        int numClasses = preds.numClasses();

        Path sub = outDir.resolve("submission.csv");
        Submission.writeSubmission(sub, samples, probs);
        int low = writeExtras(outDir, samples, probs, opts);
        Path sample = data.root().resolve(exp.data().layout().sampleSubmission());
        List<String> problems = SubmissionValidator.validate(sub, sample, numClasses);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the written submission failed validation: " + String.join("; ", problems));
        }

        List<VariantScore> variants = new ArrayList<>();
        Optional<Double> f1 = Optional.empty();
        Optional<Double> acc = Optional.empty();
        Optional<Double> chosenTop5 = Optional.empty();
        Optional<Map<String, Integer>> labels = data.testLabels();
        if (labels.isPresent()) {
            List<Integer> rows = new ArrayList<>();
            List<Integer> t = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                Integer label = labels.get().get(samples.get(i).id());
                if (label != null) {
                    rows.add(i);
                    t.add(label);
                }
            }
            int[] ta = t.stream().mapToInt(Integer::intValue).toArray();
            boolean haveT = anyNotOne(temps);
            for (boolean useTta : opts.tta() ? new boolean[] {false, true} : new boolean[] {false}) {
                for (boolean cal : haveT ? new boolean[] {false, true} : new boolean[] {false}) {
                    String name = (useTta ? "TTA x" + views.size() : "no TTA") + (cal ? ", calibrated" : ", uncalibrated");
                    variants.add(score(name, useTta, cal, preds.select(useTta, cal), rows, ta, numClasses));
                }
            }
            VariantScore chosen = score("chosen", opts.tta(), calibrated, probs, rows, ta, numClasses);
            f1 = Optional.of(chosen.macroF1());
            acc = Optional.of(chosen.accuracy());
            chosenTop5 = Optional.of(chosen.top5());
            for (VariantScore v : variants) {
                LOG.info("test {}: macro-F1 {}, accuracy {}, top-5 {}, NLL {}, ECE {}", v.name(), f4(v.macroF1()),
                        f4(v.accuracy()), f4(v.top5()), f4(v.nll()), f4(v.ece()));
            }
        }

        Map<String, Object> info = SubmissionReport.info(outDir, preds, views, opts, temps, calibrated, samples.size(),
                sample, low, f1, acc, variants);
        if (chosenTop5.isPresent()) {
            SubmissionReport.putTop5(info, chosenTop5.get());
        }
        Path infoFile = outDir.resolve("submission_info.json");
        Submission.writeInfo(infoFile, info);
        LOG.info("wrote {} ({} rows, validated against {})", sub, samples.size(), sample);
        if (f1.isPresent()) {
            LOG.info("test macro-F1 {} (accuracy {}) from {}", f4(f1.get()), f4(acc.get()),
                    data.root().resolve(exp.data().layout().testLabels()));
        }
        return new Outcome(sub, infoFile, samples.size(), f1, acc, List.copyOf(variants), low);
    }

    /**
     * Writes the optional extras into {@code outDir}: {@code probs.csv} when {@code saveProbs},
     * {@code low_confidence.csv} when a confidence threshold is set (and logs how many rows it lists).
     *
     * @return how many rows fell below the confidence threshold (0 when it is off)
     */
    static int writeExtras(Path outDir, List<Sample> samples, float[][] probs, Options opts) throws IOException {
        if (opts.saveProbs()) {
            Submission.writeProbabilities(outDir.resolve("probs.csv"), samples, probs);
        }
        int low = 0;
        if (opts.confidenceThreshold() > 0) {
            Path lowFile = outDir.resolve("low_confidence.csv");
            low = Submission.writeLowConfidence(lowFile, samples, probs, opts.confidenceThreshold());
            LOG.info("{} of {} test images have a top probability below {} (listed in {})", low, samples.size(),
                    opts.confidenceThreshold(), lowFile);
        }
        return low;
    }

    static double temperatureOf(EnsembleMember m, boolean useCalibration) throws IOException {
        if (m.temperature().isPresent()) {
            return m.temperature().get();
        }
        if (m.runDir() != null) {
            Optional<TemperatureScaling.Fit> f = useCalibration ? TemperatureScaling.forRun(m.runDir())
                    : readIfPresent(m.runDir());
            if (f.isPresent()) {
                return f.get().temperature();
            }
        }
        if (useCalibration) {
            LOG.warn("member {}: no temperature (no calibration.json or oof_logits.csv in its run, no temperature: in "
                    + "the ensemble file): using T = 1", m.name());
        }
        return 1.0;
    }

    private static Optional<TemperatureScaling.Fit> readIfPresent(Path runDir) throws IOException {
        Path cal = runDir.resolve(TemperatureScaling.FILE);
        return Files.isRegularFile(cal) ? Optional.of(TemperatureScaling.Fit.read(cal)) : Optional.empty();
    }

    static boolean anyNotOne(double[] t) {
        for (double v : t) {
            if (v != 1.0) {
                return true;
            }
        }
        return false;
    }

    static VariantScore score(String name, boolean tta, boolean cal, float[][] probs, List<Integer> rows,
                                      int[] targets, int numClasses) {
        float[][] p = new float[rows.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = probs[rows.get(i)];
        }
        int[] pred = ClassificationMetrics.argmax(p);
        return new VariantScore(name, tta, cal, ClassificationMetrics.macroF1(pred, targets, numClasses),
                ClassificationMetrics.accuracy(pred, targets), ProbabilityMetrics.nllOfProbs(p, targets),
                ProbabilityMetrics.ece(p, targets, TemperatureScaling.ECE_BINS),
                ClassificationMetrics.topKAccuracy(p, targets, Math.min(5, numClasses)));
    }
}
