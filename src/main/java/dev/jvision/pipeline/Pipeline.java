package dev.jvision.pipeline;

import static dev.jvision.pipeline.RunSetup.f4;

import dev.jvision.config.Experiment;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.TemperatureScaling;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.track.OofLogits;
import dev.jvision.track.RunDir;
import dev.jvision.train.CrossValidation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end flow of a run, as {@code jvision pipeline} runs it: {@link TrainStage} (data ->
 * K-fold training, or one hold-out fit when image manifests bring validation rows) -> temperature fitted on the out-of-fold logits ({@link #calibrate}) ->
 * {@link InferStage} (fold/multi-model ensemble with TTA -> validated submission), all in one
 * run folder. The flow resumes from a run folder whose folds are trained
 * ({@link Options#resumeRun}). Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class Pipeline {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

    private Pipeline() {}

    /**
     * All stages; {@code infer} is null when there was nothing to predict (image manifests
     * without {@code data.test_manifest}).
     */
    public record Outcome(TrainStage.Outcome train, Optional<TemperatureScaling.Fit> calibration,
                          InferStage.Outcome infer) {}

    /**
     * Pipeline switches.
     *
     * @param infer     inference switches
     * @param resumeRun a run folder whose selected folds are already trained (training is skipped), or null
     */
    public record Options(InferStage.Options infer, Path resumeRun) {
        /** The experiment's settings, training from scratch. */
        public static Options of(Experiment exp) {
            return new Options(InferStage.Options.of(exp), null);
        }
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
        TrainStage.Outcome t = opts.resumeRun() != null ? TrainStage.resume(exp, opts.resumeRun()) : TrainStage.train(exp);
        try (RunDir run = RunDir.open(t.runDir())) {
            TrainStage.saveOofLogits(t);
            Path oofFile = run.dir().resolve(OofLogits.FILE);
            if (!Files.exists(oofFile) && !Files.exists(run.dir().resolve(TemperatureScaling.FILE))) {
                OofLogits oof = TrainStage.recomputeOofLogits(exp, run.dir());
                oof.write(oofFile);
                int[] pred = ClassificationMetrics.argmax(oof.logits());
                LOG.info("recomputed {} from the fold checkpoints ({} rows, out-of-fold macro-F1 {})", oofFile, oof.size(),
                        f4(ClassificationMetrics.macroF1(pred, oof.targets(), exp.model().numClasses())));
                t = new TrainStage.Outcome(t.runDir(), new CrossValidation.Result(t.cv().folds(), t.cv().meanF1(),
                        ClassificationMetrics.macroF1(pred, oof.targets(), exp.model().numClasses()),
                        ClassificationMetrics.accuracy(pred, oof.targets()), ClassificationMetrics.topKAccuracy(oof.logits(),
                        oof.targets(), Math.min(5, exp.model().numClasses()))));
            }
            Optional<TemperatureScaling.Fit> fit = calibrate(run.dir());
            if (opts.infer().useCalibration() && fit.isEmpty()) {
                throw new IllegalArgumentException(run.dir() + ": --use-calibration needs " + OofLogits.FILE + " or "
                        + TemperatureScaling.FILE + " in the run folder (written by `jvision pipeline`)");
            }
            InferStage.Outcome i = null;
            if (exp.data().manifests().train() != null && exp.data().manifests().test() == null) {
                LOG.info("no data.test_manifest: nothing to predict; the run ends after training and calibration "
                        + "(set data.test_manifest to an image_path[,label] CSV, or run `jvision infer --run {}` "
                        + "with one later)", run.dir());
            } else {
                i = InferStage.infer(exp, run.dir(), List.of(EnsembleMember.ofRun(run.dir(), 1.0)), opts.infer());
            }
            dev.jvision.track.report.RunReport.writeAfterRun(run.dir());
            return new Outcome(t, fit, i);
        }
    }
}
