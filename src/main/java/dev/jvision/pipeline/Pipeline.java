package dev.jvision.pipeline;

import dev.jvision.augment.Tta;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
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
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.RunDir;
import dev.jvision.train.CheckpointInfo;
import dev.jvision.train.CrossValidation;
import dev.jvision.train.FoldResult;
import dev.jvision.train.OofLogits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end flow of a run, as {@code jvision pipeline} runs it: data -> K-fold training
 * -> temperature fitted on the out-of-fold logits -> fold/multi-model ensemble with TTA ->
 * validated submission, all in one run folder. Each stage is also callable on its own
 * ({@link #train}, {@link #calibrate}, {@link #infer}) and the flow resumes from a run folder
 * whose folds are trained ({@link Options#resumeRun}). Not thread-safe: libtorch settings are
 * process-wide.
 */
public final class Pipeline {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private Pipeline() {}

    /** Training outcome: the run folder and cross-validation scores. */
    public record TrainOutcome(Path runDir, CrossValidation.Result cv) {}

    /**
     * Test-set scores of one inference variant (only when test labels exist).
     *
     * @param name       e.g. {@code "TTA + calibration"}
     * @param tta        whether TTA views were averaged
     * @param calibrated whether logits were divided by the temperature
     */
    public record VariantScore(String name, boolean tta, boolean calibrated, double macroF1, double accuracy, double nll,
                               double ece) {}

    /**
     * Inference outcome: the written files, the chosen variant's test macro-F1/accuracy when
     * test labels exist, every variant's scores, and how many IDs fell below the confidence threshold.
     */
    public record InferOutcome(Path submission, Path info, int rows, Optional<Double> testF1, Optional<Double> testAcc,
                               List<VariantScore> variants, int lowConfidence) {}

    /** All stages. */
    public record Outcome(TrainOutcome train, Optional<TemperatureScaling.Fit> calibration, InferOutcome infer) {}

    /**
     * Inference switches (the command line's flags; defaults from the {@code infer:} section).
     *
     * @param tta                 average the configured TTA views
     * @param useCalibration      divide logits by the members' temperatures
     * @param saveProbs           also write probs.csv
     * @param confidenceThreshold write low_confidence.csv with the IDs whose top probability is below it; 0 = off
     */
    public record InferOptions(boolean tta, boolean useCalibration, boolean saveProbs, double confidenceThreshold) {
        public InferOptions {
            if (!(confidenceThreshold >= 0 && confidenceThreshold <= 1)) {
                throw new IllegalArgumentException("confidence threshold: " + confidenceThreshold + " (expected: in [0, 1])");
            }
        }

        /** The settings of the experiment's {@code infer:} section. */
        public static InferOptions of(Experiment exp) {
            return new InferOptions(exp.infer().tta(), exp.infer().useCalibration(), exp.infer().saveProbs(),
                    exp.infer().confidenceThreshold());
        }
    }

    /**
     * Pipeline switches.
     *
     * @param infer     inference switches
     * @param resumeRun a run folder whose selected folds are already trained (training is skipped), or null
     */
    public record Options(InferOptions infer, Path resumeRun) {
        /** The experiment's settings, training from scratch. */
        public static Options of(Experiment exp) {
            return new Options(InferOptions.of(exp), null);
        }
    }

    /** Applies the experiment's runtime settings (natives, threads, seed, determinism) and returns the device. */
    public static Device setUp(Experiment exp) {
        NativeRuntime.init();
        int threads = TorchSettings.setThreads(exp.experiment().threads());
        TorchSettings.seed(exp.experiment().seed());
        TorchSettings.deterministic(exp.experiment().deterministic());
        Device device = Device.parse(exp.experiment().device());
        LOG.info("jvision: device {}, {} torch threads, seed {}, deterministic {}", device, threads,
                exp.experiment().seed(), exp.experiment().deterministic());
        return device;
    }

    /** Trains all folds into a new run folder. */
    public static TrainOutcome train(Experiment exp) throws IOException {
        return train(exp, null);
    }

    /**
     * Trains all folds; with {@code resumeDir} (a run folder of an interrupted run, whose
     * config.yaml {@code exp} should come from) finished folds are kept and the interrupted
     * fold continues from its last checkpoint, to the same result as an uninterrupted run.
     */
    public static TrainOutcome train(Experiment exp, Path resumeDir) throws IOException {
        Device device = setUp(exp);
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        ImageCache cache = new ImageCache(exp.data().imgSize(), cacheDir(exp));
        List<Sample> samples = CompetitionData.applyBadImagePolicy(data.train().samples(),
                cache.preload(data.train().samples(), "decode train"), exp.data().onBadImage(), "train images");
        try (RunDir run = resumeDir == null ? RunDir.create(exp) : RunDir.open(resumeDir)) {
            LOG.info("{} run folder {}", resumeDir == null ? "new" : "resuming", run.dir());
            CrossValidation.Result cv = CrossValidation.run(exp, samples, cache, device, data.classNames(), run,
                    resumeDir != null);
            for (FoldResult r : cv.folds()) {
                LOG.info("fold {}: val macro-F1 {} (accuracy {}, epoch {})", r.fold(), f4(r.bestF1()), f4(r.bestAcc()),
                        r.bestEpoch());
            }
            LOG.info("cross-validation: mean fold macro-F1 {}, out-of-fold macro-F1 {}", f4(cv.meanF1()), f4(cv.oofF1()));
            return new TrainOutcome(run.dir(), cv);
        }
    }

    /**
     * The trained folds of an existing run folder, for resuming: every selected fold must have
     * its {@code fold<k>/best.safetensors} and sidecar. Scores come from the sidecars and, when
     * present, {@code oof_logits.csv}; the folds' validation samples and logits are left empty.
     *
     * @throws IllegalArgumentException naming the folds that are missing
     */
    public static TrainOutcome resume(Experiment exp, Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            throw new IllegalArgumentException("--resume-run " + runDir + ": not a folder");
        }
        List<Integer> selected = selectedFolds(exp);
        List<Integer> missing = new ArrayList<>();
        List<FoldResult> folds = new ArrayList<>();
        for (int f : selected) {
            Path w = runDir.resolve("fold" + f).resolve("best.safetensors");
            if (!Files.isRegularFile(w) || !Files.isRegularFile(CheckpointInfo.sidecarOf(w))) {
                missing.add(f);
                continue;
            }
            CheckpointInfo i = CheckpointInfo.read(CheckpointInfo.sidecarOf(w));
            folds.add(new FoldResult(f, i.epoch(), i.valF1(), i.valAcc(), i.valLoss(), w, List.of(), new float[0][], 0));
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("--resume-run " + runDir + ": folds " + missing + " have no best.safetensors "
                    + "(expected: all of folds " + selected + " trained; run without --resume-run to train a new run)");
        }
        double mean = folds.stream().mapToDouble(FoldResult::bestF1).average().orElse(Double.NaN);
        double oofF1 = Double.NaN;
        double oofAcc = Double.NaN;
        Path oofFile = runDir.resolve(OofLogits.FILE);
        if (Files.isRegularFile(oofFile)) {
            OofLogits oof = OofLogits.read(oofFile);
            int[] pred = ClassificationMetrics.argmax(oof.logits());
            oofF1 = ClassificationMetrics.macroF1(pred, oof.targets(), exp.model().numClasses());
            oofAcc = ClassificationMetrics.accuracy(pred, oof.targets());
        }
        LOG.info("resuming {}: folds {} already trained (mean val macro-F1 {})", runDir, selected, f4(mean));
        return new TrainOutcome(runDir, new CrossValidation.Result(folds, mean, oofF1, oofAcc));
    }

    private static List<Integer> selectedFolds(Experiment exp) {
        if (exp.train().folds() != null) {
            return exp.train().folds();
        }
        List<Integer> all = new ArrayList<>();
        for (int f = 0; f < exp.train().nFolds(); f++) {
            all.add(f);
        }
        return all;
    }

    /**
     * Writes the folds' out-of-fold logits to {@code runDir/oof_logits.csv} (atomically) unless
     * the file exists or the folds carry none (a resumed run).
     */
    public static void saveOofLogits(TrainOutcome t) throws IOException {
        Path file = t.runDir().resolve(OofLogits.FILE);
        List<FoldResult> folds = t.cv().folds();
        if (Files.exists(file) || folds.isEmpty() || folds.stream().anyMatch(f -> f.validation().isEmpty())) {
            return;
        }
        OofLogits oof = OofLogits.of(folds);
        oof.write(file);
        LOG.info("wrote {} ({} out-of-fold rows)", file, oof.size());
    }

    /**
     * Recomputes the out-of-fold logits of a run whose folds were trained before
     * {@code oof_logits.csv} existed: the training samples are split again exactly as
     * cross-validation split them (same bad-image policy, seed and fold count) and each selected
     * fold's checkpoint predicts its validation part.
     */
    public static OofLogits recomputeOofLogits(Experiment exp, Path runDir) throws IOException {
        Device device = setUp(exp);
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        ImageCache cache = new ImageCache(exp.data().imgSize(), cacheDir(exp));
        List<Sample> samples = CompetitionData.applyBadImagePolicy(data.train().samples(),
                cache.preload(data.train().samples(), "decode train"), exp.data().onBadImage(), "train images");
        int[] labels = samples.stream().mapToInt(Sample::label).toArray();
        int[] fold = dev.jvision.data.Folds.stratified(labels, exp.train().nFolds(), exp.experiment().seed());
        List<FoldResult> folds = new ArrayList<>();
        for (int f : selectedFolds(exp)) {
            List<Sample> va = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                if (fold[i] == f) {
                    va.add(samples.get(i));
                }
            }
            Path w = runDir.resolve("fold" + f).resolve("best.safetensors");
            CheckpointInfo info = CheckpointInfo.read(CheckpointInfo.sidecarOf(w));
            if (info.imgSize() != exp.data().imgSize()) {
                throw new IllegalArgumentException(w + ": trained at " + info.imgSize() + " px (expected: data.img_size "
                        + exp.data().imgSize() + " of the config)");
            }
            try (dev.jvision.models.ImageModel m = dev.jvision.models.Models.create(info.model(),
                    dev.jvision.models.ModelOptions.of(info.numClasses()));
                 dev.jvision.augment.BatchTransform t = new dev.jvision.augment.BatchTransform(
                         dev.jvision.config.AugmentConfig.defaults(), info.mean(), info.std(), device, false)) {
                dev.jvision.models.Weights.load(m, w, false);
                m.to(device);
                float[][] logits = dev.jvision.train.Evaluator.logits(m, t, va, cache, exp.infer().batchSize(),
                        exp.data().prefetch(), device);
                folds.add(new FoldResult(f, info.epoch(), info.valF1(), info.valAcc(), info.valLoss(), w, va, logits, 0));
            }
        }
        return OofLogits.of(folds);
    }

    /**
     * The run's temperature: {@code calibration.json} when it exists, else fitted on
     * {@code oof_logits.csv} and written; logs NLL and ECE before and after.
     */
    public static Optional<TemperatureScaling.Fit> calibrate(Path runDir) throws IOException {
        boolean existed = Files.isRegularFile(runDir.resolve(TemperatureScaling.FILE));
        Optional<TemperatureScaling.Fit> fit = TemperatureScaling.forRun(runDir);
        if (fit.isEmpty()) {
            LOG.warn("{}: no {} or {}: cannot fit a temperature", runDir, TemperatureScaling.FILE, OofLogits.FILE);
            return fit;
        }
        TemperatureScaling.Fit f = fit.get();
        LOG.info("calibration ({}): temperature {} on {} out-of-fold rows; NLL {} -> {}, ECE {} -> {}",
                existed ? "reused " + TemperatureScaling.FILE : "fitted", String.format("%.4f", f.temperature()), f.samples(),
                f4(f.nllBefore()), f4(f.nllAfter()), f4(f.eceBefore()), f4(f.eceAfter()));
        return fit;
    }

    /**
     * Predicts the test set with every fold checkpoint of {@code runDir}, averages the
     * probabilities and writes submission.csv + submission_info.json there (and probs.csv when
     * {@code saveProbs}).
     */
    public static InferOutcome infer(Experiment exp, Path runDir, boolean saveProbs) throws IOException {
        return infer(exp, runDir, Predictor.runCheckpoints(runDir), saveProbs);
    }

    /** As {@link #infer(Experiment, Path, boolean)} with explicit checkpoints; outputs go to {@code outDir}. */
    public static InferOutcome infer(Experiment exp, Path outDir, List<Path> checkpoints, boolean saveProbs)
            throws IOException {
        return infer(exp, outDir, List.of(new EnsembleMember("checkpoints", checkpoints, 1.0, null, Optional.empty())),
                new InferOptions(false, false, saveProbs, 0));
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
    public static InferOutcome infer(Experiment exp, Path outDir, List<EnsembleMember> members, InferOptions opts)
            throws IOException {
        Device device = setUp(exp);
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
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
            ImageCache c = new ImageCache(s, cacheDir(exp));
            List<String> failed = c.preload(samples, "decode test");
            if (!failed.isEmpty()) {
                // a submission must list every test ID: a bad test image is always an error
                throw new dev.jvision.data.DataException("test images: " + failed.size() + " could not be loaded", failed);
            }
            return c;
        }), new EnsemblePredictor.Settings(exp.infer().batchSize(), exp.data().prefetch(), views,
                exp.model().channelsLast()), device);
        boolean calibrated = opts.useCalibration() && anyNotOne(temps);
        float[][] probs = preds.select(opts.tta(), calibrated);
        int numClasses = preds.numClasses();

        Path sub = outDir.resolve("submission.csv");
        Submission.writeSubmission(sub, samples, probs);
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
        Path sample = data.root().resolve(exp.data().sampleSubmission());
        List<String> problems = SubmissionValidator.validate(sub, sample, numClasses);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the written submission failed validation: " + String.join("; ", problems));
        }

        List<VariantScore> variants = new ArrayList<>();
        Optional<Double> f1 = Optional.empty();
        Optional<Double> acc = Optional.empty();
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
            for (VariantScore v : variants) {
                LOG.info("test {}: macro-F1 {}, accuracy {}, NLL {}, ECE {}", v.name(), f4(v.macroF1()), f4(v.accuracy()),
                        f4(v.nll()), f4(v.ece()));
            }
        }

        Map<String, Object> info = new LinkedHashMap<>();
        info.put("created", Instant.now().toString());
        info.put("out", outDir.toAbsolutePath().toString());
        List<Map<String, Object>> ms = new ArrayList<>();
        for (EnsemblePredictor.MemberReport r : preds.members()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", r.member().name());
            if (r.member().runDir() != null) {
                e.put("run", r.member().runDir().toAbsolutePath().toString());
            }
            e.put("weight", r.member().weight());
            e.put("normalised_weight", r.normalisedWeight());
            e.put("temperature", r.temperature());
            List<Map<String, Object>> cks = new ArrayList<>();
            for (int i = 0; i < r.checkpoints().size(); i++) {
                CheckpointInfo ci = r.checkpoints().get(i);
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("checkpoint", r.member().checkpoints().get(i).toString());
                c.put("model", ci.model());
                c.put("img_size", ci.imgSize());
                c.put("fold", ci.fold());
                c.put("epoch", ci.epoch());
                c.put("val_f1", ci.valF1());
                c.put("val_acc", ci.valAcc());
                c.put("val_loss", ci.valLoss());
                cks.add(c);
            }
            e.put("checkpoints", cks);
            ms.add(e);
        }
        info.put("members", ms);
        info.put("ensemble", "weighted mean of probabilities (checkpoints of a member equally weighted)");
        info.put("tta", opts.tta() ? views.stream().map(Tta.View::name).toList() : List.of("identity"));
        Map<String, Object> cal = new LinkedHashMap<>();
        cal.put("applied", calibrated);
        cal.put("temperatures", temps);
        info.put("calibration", cal);
        info.put("rows", samples.size());
        info.put("validated_against", sample.toAbsolutePath().toString());
        if (opts.confidenceThreshold() > 0) {
            info.put("confidence_threshold", opts.confidenceThreshold());
            info.put("low_confidence", low);
        }
        f1.ifPresent(v -> info.put("test_macro_f1", v));
        acc.ifPresent(v -> info.put("test_accuracy", v));
        if (!variants.isEmpty()) {
            List<Map<String, Object>> vs = new ArrayList<>();
            for (VariantScore v : variants) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("variant", v.name());
                e.put("tta", v.tta());
                e.put("calibrated", v.calibrated());
                e.put("macro_f1", v.macroF1());
                e.put("accuracy", v.accuracy());
                e.put("nll", v.nll());
                e.put("ece", v.ece());
                vs.add(e);
            }
            info.put("test_variants", vs);
        }
        Path infoFile = outDir.resolve("submission_info.json");
        Submission.writeInfo(infoFile, info);
        LOG.info("wrote {} ({} rows, validated against {})", sub, samples.size(), sample);
        if (f1.isPresent()) {
            LOG.info("test macro-F1 {} (accuracy {}) from {}", f4(f1.get()), f4(acc.get()),
                    data.root().resolve(exp.data().testLabels()));
        }
        return new InferOutcome(sub, infoFile, samples.size(), f1, acc, List.copyOf(variants), low);
    }

    private static double temperatureOf(EnsembleMember m, boolean useCalibration) throws IOException {
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

    private static boolean anyNotOne(double[] t) {
        for (double v : t) {
            if (v != 1.0) {
                return true;
            }
        }
        return false;
    }

    private static VariantScore score(String name, boolean tta, boolean cal, float[][] probs, List<Integer> rows,
                                      int[] targets, int numClasses) {
        float[][] p = new float[rows.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = probs[rows.get(i)];
        }
        int[] pred = ClassificationMetrics.argmax(p);
        return new VariantScore(name, tta, cal, ClassificationMetrics.macroF1(pred, targets, numClasses),
                ClassificationMetrics.accuracy(pred, targets), TemperatureScaling.nllOfProbs(p, targets),
                TemperatureScaling.ece(p, targets, TemperatureScaling.ECE_BINS));
    }

    /** Trains, then predicts the test set with the fold ensemble (TTA and calibration as configured). */
    public static Outcome run(Experiment exp) throws IOException {
        return run(exp, Options.of(exp));
    }

    /**
     * Trains all folds (or resumes a run whose folds are trained), saves the out-of-fold logits,
     * fits (or reuses) the temperature, predicts the test set with the fold ensemble and writes a
     * validated submission into the run folder.
     */
    public static Outcome run(Experiment exp, Options opts) throws IOException {
        TrainOutcome t = opts.resumeRun() != null ? resume(exp, opts.resumeRun()) : train(exp);
        try (RunDir run = RunDir.open(t.runDir())) {
            saveOofLogits(t);
            Path oofFile = run.dir().resolve(OofLogits.FILE);
            if (!Files.exists(oofFile) && !Files.exists(run.dir().resolve(TemperatureScaling.FILE))) {
                OofLogits oof = recomputeOofLogits(exp, run.dir());
                oof.write(oofFile);
                int[] pred = ClassificationMetrics.argmax(oof.logits());
                LOG.info("recomputed {} from the fold checkpoints ({} rows, out-of-fold macro-F1 {})", oofFile, oof.size(),
                        f4(ClassificationMetrics.macroF1(pred, oof.targets(), exp.model().numClasses())));
                t = new TrainOutcome(t.runDir(), new CrossValidation.Result(t.cv().folds(), t.cv().meanF1(),
                        ClassificationMetrics.macroF1(pred, oof.targets(), exp.model().numClasses()),
                        ClassificationMetrics.accuracy(pred, oof.targets())));
            }
            Optional<TemperatureScaling.Fit> fit = calibrate(run.dir());
            if (opts.infer().useCalibration() && fit.isEmpty()) {
                throw new IllegalArgumentException(run.dir() + ": --use-calibration needs " + OofLogits.FILE + " or "
                        + TemperatureScaling.FILE + " in the run folder (written by `jvision pipeline`)");
            }
            InferOutcome i = infer(exp, run.dir(), List.of(EnsembleMember.ofRun(run.dir(), 1.0)), opts.infer());
            return new Outcome(t, fit, i);
        }
    }

    private static Path cacheDir(Experiment exp) {
        return exp.data().cacheDir() == null ? null : Path.of(exp.data().cacheDir());
    }

    static String f4(double v) {
        return String.format("%.4f", v);
    }
}
