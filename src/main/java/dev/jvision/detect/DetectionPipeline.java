package dev.jvision.detect;

import dev.jvision.config.Experiment;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.metrics.detection.CocoEvalResult;
import dev.jvision.metrics.detection.CocoEvaluator;
import dev.jvision.track.report.RunReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jvision pipeline} for {@code task: detection}, in one run folder: train (or, with a
 * trained run, skip training), which also scores the best epoch on the validation split
 * ({@code eval_<val>.json}); predict the test split with the best checkpoint at {@code detect.conf}
 * into {@code detections.json} (what {@code jvision infer --run} writes); when the test split has
 * boxes, score it COCO-style (predicted again at {@code detect.val_conf} / {@code val_max_det},
 * as validation is, into {@code eval/detections.json}) into {@code eval_<test>.json}; then the
 * report. Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class DetectionPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionPipeline.class);

    private DetectionPipeline() {}

    /**
     * What a pipeline run made.
     *
     * @param runDir     the run folder
     * @param bestEpoch  the best checkpoint's epoch
     * @param valMap50   its validation mAP50 (from training, or its checkpoint sidecar)
     * @param valMap     its validation mAP50-95
     * @param detections the test split's detections.json
     * @param test       the test split's COCO evaluation, when it has boxes
     * @param report     report.html, or null when it could not be written
     */
    public record Outcome(Path runDir, int bestEpoch, double valMap50, double valMap, DetectionInference.Result detections,
                          Optional<CocoEvalResult> test, Path report) {}

    /** Runs the pipeline; {@code trainedRun} (null: train a new run) is a finished detection run to reuse. */
    public static Outcome run(Experiment exp, Path trainedRun) throws IOException {
        Path runDir;
        int epoch;
        double map50;
        double map;
        if (trainedRun == null) {
            DetectionTraining.Outcome t = DetectionTraining.train(exp, null);
            runDir = t.runDir();
            epoch = t.fit().best().epoch();
            map50 = t.fit().best().metric("val_map50");
            map = t.fit().best().metric(DetectionTask.MONITOR);
        } else {
            runDir = trainedRun;
            Path result = runDir.resolve("result.json");
            if (!Files.isRegularFile(result)) {
                throw new IllegalArgumentException("--resume-run " + runDir + ": no result.json (expected: a detection run "
                        + "that jvision train finished)");
            }
            var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(result.toFile());
            epoch = n.path("best_epoch").asInt(-1);
            map50 = n.path("val_map50").asDouble(Double.NaN);
            map = n.path(DetectionTask.MONITOR).asDouble(Double.NaN);
            LOG.info("reusing the trained run {} (best epoch {})", runDir, epoch);
        }
        int batch = exp.infer().batchSize();
        DetectionInference.Result dets = DetectionInference.run(exp, runDir, null, runDir, false, batch);
        Optional<CocoEvalResult> test = Optional.empty();
        String split = exp.detect().testSplit();
        DetectionImages testData = DetectionTraining.load(exp, split);
        if (testData.data().boxCount() > 0) {
            Experiment scoring = exp.with("detect.conf=" + exp.detect().valConf(), "detect.max_det=" + exp.detect().valMaxDet());
            DetectionInference.Result all = DetectionInference.run(scoring, runDir, null, runDir.resolve("eval"), false,
                    batch);
            CocoEvalResult r = CocoEvaluator.evaluate(testData.groundTruth(), CocoResults.read(all.detections()));
            Path f = DetectionEvalFile.write(runDir, r, RunClasses.read(runDir), split, epoch, testData.size());
            LOG.info("test split '{}': mAP50 {} mAP50-95 {} ({} images; {})", split, f4(r.map50()), f4(r.map()),
                    testData.size(), f);
            test = Optional.of(r);
        } else {
            LOG.info("test split '{}' has no boxes: detections written, nothing scored", split);
        }
        Path report = RunReport.writeAfterRun(runDir);
        return new Outcome(runDir, epoch, map50, map, dets, test, report);
    }

    private static String f4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
