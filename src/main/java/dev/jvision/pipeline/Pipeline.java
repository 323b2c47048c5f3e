package dev.jvision.pipeline;

import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Manifest;
import dev.jvision.data.Sample;
import dev.jvision.infer.Predictor;
import dev.jvision.infer.Submission;
import dev.jvision.infer.SubmissionValidator;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.runtime.Devices;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.RunDir;
import dev.jvision.train.CrossValidation;
import dev.jvision.train.FoldResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.pytorch.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end flow of a run: data -> K-fold training -> fold-ensemble inference ->
 * validated submission, as {@code jvision pipeline} runs it. Each stage is also callable on its
 * own ({@link #train}, {@link #infer}). Not thread-safe: libtorch settings are process-wide.
 */
public final class Pipeline {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private Pipeline() {}

    /** Training outcome: the run folder and cross-validation scores. */
    public record TrainOutcome(Path runDir, CrossValidation.Result cv) {}

    /** Inference outcome: the written files and, when test labels exist, the test macro-F1. */
    public record InferOutcome(Path submission, Path info, int rows, Optional<Double> testF1, Optional<Double> testAcc) {}

    /** Both stages. */
    public record Outcome(TrainOutcome train, InferOutcome infer) {}

    /** Applies the experiment's runtime settings (natives, threads, seed, determinism) and returns the device. */
    public static Device setUp(Experiment exp) {
        NativeRuntime.init();
        int threads = TorchSettings.setThreads(exp.experiment().threads());
        TorchSettings.seed(exp.experiment().seed());
        TorchSettings.deterministic(exp.experiment().deterministic());
        Device device = Devices.resolve(exp.experiment().device());
        LOG.info("jvision: device {}, {} torch threads, seed {}, deterministic {}", Devices.describe(device), threads,
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
        Device device = setUp(exp);
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        Manifest test = data.test();
        try (Predictor predictor = Predictor.load(checkpoints, device)) {
            ImageCache cache = new ImageCache(predictor.imgSize(), cacheDir(exp));
            List<Sample> samples = test.samples();
            List<String> failed = cache.preload(samples, "decode test");
            if (!failed.isEmpty()) {
                // a submission must list every test ID: a bad test image is always an error
                throw new dev.jvision.data.DataException("test images: " + failed.size() + " could not be loaded", failed);
            }
            float[][] probs = predictor.predict(samples, cache, exp.infer().batchSize(), exp.data().prefetch());
            Path sub = outDir.resolve("submission.csv");
            Submission.writeSubmission(sub, samples, probs);
            if (saveProbs) {
                Submission.writeProbabilities(outDir.resolve("probs.csv"), samples, probs);
            }
            int numClasses = predictor.members().get(0).numClasses();
            Path sample = data.root().resolve(exp.data().sampleSubmission());
            List<String> problems = SubmissionValidator.validate(sub, sample, numClasses);
            if (!problems.isEmpty()) {
                throw new IllegalStateException("the written submission failed validation: " + String.join("; ", problems));
            }
            Optional<Double> f1 = Optional.empty();
            Optional<Double> acc = Optional.empty();
            Optional<Map<String, Integer>> labels = data.testLabels();
            if (labels.isPresent()) {
                int[] pred = ClassificationMetrics.argmax(probs);
                List<Integer> p = new ArrayList<>();
                List<Integer> t = new ArrayList<>();
                for (int i = 0; i < samples.size(); i++) {
                    Integer label = labels.get().get(samples.get(i).id());
                    if (label != null) {
                        p.add(pred[i]);
                        t.add(label);
                    }
                }
                int[] pa = p.stream().mapToInt(Integer::intValue).toArray();
                int[] ta = t.stream().mapToInt(Integer::intValue).toArray();
                f1 = Optional.of(ClassificationMetrics.macroF1(pa, ta, numClasses));
                acc = Optional.of(ClassificationMetrics.accuracy(pa, ta));
            }
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("created", Instant.now().toString());
            info.put("run", outDir.toAbsolutePath().toString());
            List<Map<String, Object>> members = new ArrayList<>();
            for (int i = 0; i < checkpoints.size(); i++) {
                var m = predictor.members().get(i);
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("checkpoint", checkpoints.get(i).toString());
                e.put("model", m.model());
                e.put("fold", m.fold());
                e.put("epoch", m.epoch());
                e.put("val_f1", m.valF1());
                e.put("val_acc", m.valAcc());
                members.add(e);
            }
            info.put("members", members);
            info.put("ensemble", "mean of probabilities");
            info.put("tta", "none");
            info.put("rows", samples.size());
            f1.ifPresent(v -> info.put("test_macro_f1", v));
            acc.ifPresent(v -> info.put("test_accuracy", v));
            Path infoFile = outDir.resolve("submission_info.json");
            Submission.writeInfo(infoFile, info);
            LOG.info("wrote {} ({} rows, validated against {})", sub, samples.size(), sample);
            if (f1.isPresent()) {
                LOG.info("test macro-F1 {} (accuracy {}) from {}", f4(f1.get()), f4(acc.get()),
                        data.root().resolve(exp.data().testLabels()));
            }
            return new InferOutcome(sub, infoFile, samples.size(), f1, acc);
        }
    }

    /** Trains, then predicts the test set with the fold ensemble. */
    public static Outcome run(Experiment exp) throws IOException {
        TrainOutcome t = train(exp);
        InferOutcome i = infer(exp, t.runDir(), exp.infer().saveProbs());
        return new Outcome(t, i);
    }

    private static Path cacheDir(Experiment exp) {
        return exp.data().cacheDir() == null ? null : Path.of(exp.data().cacheDir());
    }

    static String f4(double v) {
        return String.format("%.4f", v);
    }
}
