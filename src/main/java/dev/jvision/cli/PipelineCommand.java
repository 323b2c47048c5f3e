package dev.jvision.cli;

import dev.jvision.config.Experiment;
import dev.jvision.pipeline.InferStage;
import dev.jvision.pipeline.Pipeline;
import dev.jvision.pipeline.TrainStage;
import dev.jvision.train.FoldResult;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvision pipeline}: train all folds, fit a temperature on the out-of-fold logits, predict
 * the test set with the fold ensemble (+ TTA, + calibration) and write a validated submission;
 * for {@code task: detection}, {@link dev.jvision.detect.DetectionPipeline} (train, score the
 * validation and test splits, detections.json, report).
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Train K folds, calibrate on out-of-fold logits, ensemble (+TTA) on the test set and write a "
                + "validated submission, all in one run folder.")
final class PipelineCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--tta", description = "average the TTA views of infer.tta_views (first infer.tta_num_augments)")
    boolean tta;

    @Option(names = "--use-calibration", description = "apply the temperature fitted on the out-of-fold logits")
    boolean useCalibration;

    @Option(names = "--confidence-threshold", paramLabel = "P",
            description = "write low_confidence.csv with the IDs whose top probability is below P")
    Double confidenceThreshold;

    @Option(names = "--resume-run", paramLabel = "RUN_DIR",
            description = "a run folder whose folds are trained: skip training (and reuse calibration.json)")
    Path resumeRun;

    @Option(names = "--optimize", description = "first search hyper-parameters (--space, --n-trials, ... as for tune) "
            + "and write the best config to configs/optimized/<name>_<yyyyMMdd_HHmm>.yaml")
    boolean optimize;

    @Option(names = "--auto-continue", description = "with --optimize: run the pipeline on the optimized config")
    boolean autoContinue;

    @Mixin
    TuneCommand.TuneOptions tune;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        if (optimize) {
            Path best = TuneCommand.optimize(options, tune);
            if (!autoContinue) {
                System.out.println("optimized config: " + best + " (run the pipeline on it, or add --auto-continue)");
                return 0;
            }
            options.config = best;
            options.overrides = new java.util.ArrayList<>();
        } else if (autoContinue) {
            throw new IllegalArgumentException("--auto-continue: only with --optimize");
        }
        Experiment exp = options.load();
        if (exp.isDetection()) {
            return detection(exp, start);
        }
        InferStage.Options base = InferStage.Options.of(exp);
        InferStage.Options inf = new InferStage.Options(tta || base.tta(), useCalibration || base.useCalibration(),
                base.saveProbs(), confidenceThreshold != null ? confidenceThreshold : base.confidenceThreshold());
        Pipeline.Outcome o = Pipeline.run(exp, new Pipeline.Options(inf, resumeRun));
        System.out.println();
        System.out.println("== jvision pipeline summary (" + exp.experiment().name() + ") ==");
        for (FoldResult r : o.train().cv().folds()) {
            System.out.printf("fold %d: val macro-F1 %.4f (accuracy %.4f, best epoch %d)%n", r.fold(), r.bestF1(),
                    r.bestAcc(), r.bestEpoch());
        }
        boolean holdout = TrainStage.isHoldout(exp);
        TrainCommand.printScores(o.train().cv(), holdout);
        o.calibration().ifPresent(f -> System.out.printf(
                "calibration: temperature %.3f on %d " + (holdout ? "validation" : "out-of-fold") + " rows: NLL %.4f -> %.4f, ECE %.4f -> %.4f%s%n",
                f.temperature(), f.samples(), f.nllBefore(), f.nllAfter(), f.eceBefore(), f.eceAfter(),
                inf.useCalibration() ? "" : " (not applied: add --use-calibration)"));
        if (o.infer() == null) {
            System.out.println("no data.test_manifest: nothing predicted");
        } else {
            printVariants(o.infer());
            o.infer().testF1().ifPresent(f -> System.out.printf("test macro-F1 %.4f (accuracy %.4f, %d images)%s%n", f,
                    o.infer().testAcc().orElse(0.0), o.infer().rows(), chosen(inf)));
            if (inf.confidenceThreshold() > 0) {
                System.out.printf("low confidence (< %.2f): %d of %d images, see low_confidence.csv%n",
                        inf.confidenceThreshold(), o.infer().lowConfidence(), o.infer().rows());
            }
            System.out.println(exp.data().manifests().train() != null ? "predictions: " + o.infer().submission()
                    : "submission: " + o.infer().submission() + " (validated)");
        }
        System.out.println("run folder: " + o.train().runDir());
        System.out.printf("elapsed: %.1f min%n", (System.nanoTime() - start) / 60e9);
        return 0;
    }

    /** task: detection: train (or reuse --resume-run), score validation and test, detections.json, report. */
    private int detection(Experiment exp, long start) throws Exception {
        if (tta || useCalibration || confidenceThreshold != null) {
            throw new IllegalArgumentException("--tta / --use-calibration / --confidence-threshold: classification only "
                    + "(expected: none of them for task: detection)");
        }
        var o = dev.jvision.detect.DetectionPipeline.run(exp, resumeRun);
        System.out.println();
        System.out.println("== jvision pipeline summary (" + exp.experiment().name() + ", detection) ==");
        System.out.printf("validation: mAP50 %.4f, mAP50-95 %.4f (best epoch %d)%n", o.valMap50(), o.valMap(), o.bestEpoch());
        o.test().ifPresentOrElse(r -> {
            System.out.printf("test split '%s': mAP50 %.4f, mAP50-95 %.4f%n", exp.detect().testSplit(), r.map50(), r.map());
            System.out.print(r.summary());
        }, () -> System.out.println("test split '" + exp.detect().testSplit() + "' has no boxes: not scored"));
        System.out.printf("detections: %s (%d boxes on %d images)%n", o.detections().detections(), o.detections().boxes(),
                o.detections().images());
        if (o.report() != null) System.out.println("report: " + o.report());
        System.out.println("run folder: " + o.runDir());
        System.out.printf("elapsed: %.1f min%n", (System.nanoTime() - start) / 60e9);
        return 0;
    }

    private static String chosen(InferStage.Options inf) {
        return " [submitted: " + (inf.tta() ? "TTA" : "no TTA") + ", " + (inf.useCalibration() ? "calibrated" : "uncalibrated")
                + "]";
    }

    /** Prints the test-set comparison of the inference variants (when test labels exist). */
    static void printVariants(InferStage.Outcome o) {
        if (o.variants().size() < 2) {
            return;
        }
        System.out.println("test set, what TTA and calibration buy:");
        System.out.printf("  %-28s %9s %9s %8s %8s%n", "variant", "macro-F1", "accuracy", "NLL", "ECE");
        for (InferStage.VariantScore v : o.variants()) {
            System.out.printf("  %-28s %9.4f %9.4f %8.4f %8.4f%n", v.name(), v.macroF1(), v.accuracy(), v.nll(), v.ece());
        }
    }
}
