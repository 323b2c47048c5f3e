package dev.jvision.pipeline;

import static dev.jvision.pipeline.RunSetup.f4;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Manifest;
import dev.jvision.data.Sample;
import dev.jvision.memprof.MemoryPlanner;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.dist.Distributed;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.track.OofLogits;
import dev.jvision.track.RunDir;
import dev.jvision.train.AutoBatch;
import dev.jvision.train.CrossValidation;
import dev.jvision.train.RunContext;
import dev.jvision.train.Evaluator;
import dev.jvision.train.FoldResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training stage of a run: K-fold cross-validation of the competition data into a run
 * folder ({@code jvision train}), or one hold-out fit when image manifests bring validation rows
 * ({@link CrossValidation#holdout}), resuming an interrupted run, and the run's out-of-fold
 * (hold-out: validation-set) logits.
 * Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class TrainStage {
    private static final Logger LOG = LoggerFactory.getLogger(TrainStage.class);

    private TrainStage() {}

    /** Training outcome: the run folder and cross-validation scores. */
    public record Outcome(Path runDir, CrossValidation.Result cv) {}

    /**
     * Whether {@code exp} trains one hold-out model on fixed validation rows (image manifests with
     * {@code data.val_manifest} or split {@code val} rows) rather than K folds.
     */
    public static boolean isHoldout(Experiment exp) throws IOException {
        return RunSetup.holdout(exp);
    }

    /** Trains all folds into a new run folder. */
    public static Outcome train(Experiment exp) throws IOException {
        return train(exp, null);
    }

    /**
     * Trains all folds; with {@code resumeDir} (a run folder of an interrupted run, whose
     * config.yaml {@code exp} should come from) finished folds are kept and the interrupted
     * fold continues from its last checkpoint, to the same result as an uninterrupted run.
     */
    public static Outcome train(Experiment exp, Path resumeDir) throws IOException {
        Device device = RunSetup.apply(exp);
        ProcessGroup group = Distributed.join(device, exp.experiment().threads(), ProcessGroup.Kind.valueOf(
                exp.experiment().distributed().backend().toUpperCase(java.util.Locale.ROOT)));
        RunContext loaded = RunContext.load(exp, device, group);
        // train.auto_batch_size: chosen once, after the image cache is loaded (the CPU budget covers the process),
        // and recorded as the run's batch_size in config.yaml
        AutoBatch.Resolved auto = AutoBatch.resolve(exp, device, MemoryPlanner.forTraining(), group);
        RunContext ctx = loaded.with(auto.experiment());
        try (RunDir run = openRunDir(ctx.experiment(), resumeDir, group)) {
            LOG.info("{} run folder {}", resumeDir == null ? "new" : "resuming", run.dir());
            if (ctx.isMain()) {
                auto.write(run.dir());
            }
            CrossValidation.Result cv = CrossValidation.run(ctx, run, resumeDir != null);
            for (FoldResult r : cv.folds()) {
                LOG.info("fold {}: val macro-F1 {} (accuracy {}, epoch {})", r.fold(), f4(r.bestF1()), f4(r.bestAcc()),
                        r.bestEpoch());
            }
            if (ctx.holdout()) {
                LOG.info("hold-out validation ({} rows): macro-F1 {}, accuracy {}, top-5 {}", ctx.validation().size(),
                        f4(cv.oofF1()), f4(cv.oofAcc()), f4(cv.oofTop5()));
            } else {
                LOG.info("cross-validation: mean fold macro-F1 {}, out-of-fold macro-F1 {}, accuracy {}, top-5 {}",
                        f4(cv.meanF1()), f4(cv.oofF1()), f4(cv.oofAcc()), f4(cv.oofTop5()));
            }
            return new Outcome(run.dir(), cv);
        }
    }

    /**
     * The run folder ({@code resumeDir}, or a new one): rank 0 (or the only process, {@code group}
     * null) creates or opens it, the other ranks open the folder rank 0 names. The caller closes it.
     */
    public static RunDir openRunDir(Experiment exp, Path resumeDir, ProcessGroup group) throws IOException {
        if (group == null) {
            return resumeDir == null ? RunDir.create(exp) : RunDir.open(resumeDir);
        }
        if (group.rank() == 0) {
            RunDir run = resumeDir == null ? RunDir.create(exp) : RunDir.open(resumeDir);
            group.broadcastString(run.dir().toAbsolutePath().toString());
            return run;
        }
        return RunDir.openAsWorker(Path.of(group.broadcastString(null)));
    }

    /**
     * The trained folds of an existing run folder, for resuming: every selected fold must have
     * its {@code fold<k>/best.safetensors} and sidecar. Scores come from the sidecars and, when
     * present, {@code oof_logits.csv}; the folds' validation samples and logits are left empty.
     *
     * @throws IllegalArgumentException naming the folds that are missing
     */
    public static Outcome resume(Experiment exp, Path runDir) throws IOException {
        if (!Files.isDirectory(runDir)) {
            throw new IllegalArgumentException("--resume-run " + runDir + ": not a folder");
        }
        List<Integer> selected = RunSetup.folds(exp);
        List<Integer> missing = new ArrayList<>();
        List<FoldResult> folds = new ArrayList<>();
        for (int f : selected) {
            Path w = runDir.resolve("fold" + f).resolve("best.safetensors");
            if (!Files.isRegularFile(w) || !Files.isRegularFile(CheckpointInfo.sidecarOf(w))) {
                missing.add(f);
                continue;
            }
            CheckpointInfo i = Checkpoint.readInfo(w);
            folds.add(new FoldResult(f, i.epoch(), i.valF1(), i.valAcc(), i.valLoss(), w, List.of(), new float[0][], 0));
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("--resume-run " + runDir + ": folds " + missing + " have no best.safetensors "
                    + "(expected: all of folds " + selected + " trained; run without --resume-run to train a new run)");
        }
        double mean = folds.stream().mapToDouble(FoldResult::bestF1).average().orElse(Double.NaN);
        double oofF1 = Double.NaN;
        double oofAcc = Double.NaN;
        double oofTop5 = Double.NaN;
        Path oofFile = runDir.resolve(OofLogits.FILE);
        if (Files.isRegularFile(oofFile)) {
            OofLogits oof = OofLogits.read(oofFile);
            int[] pred = ClassificationMetrics.argmax(oof.logits());
            oofF1 = ClassificationMetrics.macroF1(pred, oof.targets(), exp.model().numClasses());
            oofAcc = ClassificationMetrics.accuracy(pred, oof.targets());
            oofTop5 = ClassificationMetrics.topKAccuracy(oof.logits(), oof.targets(), Math.min(5, exp.model().numClasses()));
        }
        LOG.info("resuming {}: folds {} already trained (mean val macro-F1 {})", runDir, selected, f4(mean));
        return new Outcome(runDir, new CrossValidation.Result(folds, mean, oofF1, oofAcc, oofTop5));
    }

    /**
     * Writes the folds' out-of-fold logits to {@code runDir/oof_logits.csv} (atomically) unless
     * the file exists or the folds carry none (a resumed run).
     */
    public static void saveOofLogits(Outcome t) throws IOException {
        Path file = t.runDir().resolve(OofLogits.FILE);
        List<FoldResult> folds = t.cv().folds();
        if (Files.exists(file) || folds.isEmpty() || folds.stream().anyMatch(f -> f.validation().isEmpty())) {
            return;
        }
        OofLogits oof = FoldResult.gatherOof(folds);
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
        Device device = RunSetup.apply(exp);
        CompetitionData data = RunSetup.data(exp);
        Optional<Manifest> val = data.validation();
        ImageCache cache = RunSetup.cache(exp, exp.data().imgSize(),
                val.isPresent() ? val.get().samples().size() : data.train().samples().size());
        Optional<List<Sample>> holdout = RunSetup.validationSamples(data, cache, exp);
        List<Sample> samples = holdout.isPresent() ? List.of() : RunSetup.trainSamples(data, cache, exp);
        List<FoldResult> folds = new ArrayList<>();
        for (RunContext.Split split : RunContext.splits(exp, samples, holdout.orElse(null),
                CrossValidation.selectedFolds(exp))) {
            int f = split.fold();
            List<Sample> va = split.validation();
            Path w = runDir.resolve("fold" + f).resolve("best.safetensors");
            CheckpointInfo info = Checkpoint.readInfo(w);
            if (info.imgSize() != exp.data().imgSize()) {
                throw new IllegalArgumentException(w + ": trained at " + info.imgSize() + " px (expected: data.img_size "
                        + exp.data().imgSize() + " of the config)");
            }
            try (Checkpoint ck = Checkpoint.load(w, device);
                 BatchTransform t = new BatchTransform(AugmentConfig.defaults(), info.mean(), info.std(), device, false)) {
                float[][] logits = Evaluator.logits(ck.model(), t, va, cache, exp.infer().batchSize(), exp.data().loader().prefetch(),
                        device);
                folds.add(new FoldResult(f, info.epoch(), info.valF1(), info.valAcc(), info.valLoss(), w, va, logits, 0));
            }
        }
        return FoldResult.gatherOof(folds);
    }
}
