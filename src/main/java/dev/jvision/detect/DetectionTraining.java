package dev.jvision.detect;

import dev.jvision.config.Experiment;
import dev.jvision.data.detection.DetectionDataset;
import dev.jvision.data.detection.DetectionSource;
import dev.jvision.pipeline.RunSetup;
import dev.jvision.pipeline.TrainStage;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.dist.Distributed;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.track.RunDir;
import dev.jvision.track.report.RunReport;
import dev.jvision.train.FitResult;
import dev.jvision.train.ModelFactory;
import dev.jvision.train.Trainer;
import dev.jvision.train.listeners.LoggingListener;
import dev.jvision.train.listeners.ProgressListener;
import dev.jvision.train.listeners.TensorBoardListener;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jvision train} for {@code task: detection}: loads the {@code detect:} section's train and
 * validation splits, builds {@code model.name} from the detector registry and trains it with the
 * {@link Trainer} and a {@link DetectionTask} into a new run folder (or resumes one): one fit in
 * {@code fold0/} (best / last / top-k checkpoints, resumable after a kill), {@code metrics.csv}
 * with mAP per epoch, TensorBoard scalars, {@code run.log}, and {@code result.json} with the best
 * epoch's scores. Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class DetectionTraining {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionTraining.class);
    /** The fold folder of the one detection fit. */
    public static final int FOLD = 0;

    private DetectionTraining() {}

    /** The run folder and the best epoch's fit. */
    public record Outcome(Path runDir, FitResult fit) {}

    /** The letterboxed images of {@code split} as the config's {@code detect.format} lays them out. */
    public static DetectionImages load(Experiment exp, String split) throws IOException {
        Path root = exp.data().root();
        DetectionSource src = exp.detect().format().equals("coco") ? DetectionSource.coco(root, split)
                : DetectionSource.yoloLayout(root, split, null);
        DetectionDataset d = DetectionDataset.load(src, exp.data().loader().onBadImage().skips());
        return new DetectionImages(d, exp.data().imgSize());
    }

    /** The detector of {@code exp} ({@code model.name}, {@code model.num_classes}, {@code detect.reg_max}) on {@code device}. */
    public static ModelFactory factory(Experiment exp, Device device) {
        if (exp.model().weights() != null || exp.model().pretrained() != null) {
            throw new IllegalArgumentException("model.weights / model.pretrained: set (expected: null for task: "
                    + "detection; detectors train from scratch in this version)");
        }
        return () -> {
            DetectionModel m = DetectionModel.create(exp.model().name(), exp.model().numClasses(), exp.detect().regMax());
            try {
                m.to(device);
                return m;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        };
    }

    /**
     * Trains into a new run folder, or continues the interrupted run in {@code resumeDir}. In a
     * data-parallel job (the torchrun environment of {@code jvision train --nproc-per-node N}) every
     * rank trains its shard with {@code train.batch_size} images a step, rank 0 writes the run folder.
     * At the end (rank 0): {@code result.json}, {@code eval_<val split>.json} (the best epoch's COCO
     * evaluation with per-class AP and PR curves, see {@link DetectionEvalFile}) and the report.
     */
    public static Outcome train(Experiment exp, Path resumeDir) throws IOException {
        Device device = RunSetup.apply(exp);
        ProcessGroup group = Distributed.join(device, exp.experiment().threads(), ProcessGroup.Kind.valueOf(
                exp.experiment().distributed().backend().toUpperCase(Locale.ROOT)));
        boolean main = group == null || group.rank() == 0;
        DetectionImages train = load(exp, exp.detect().trainSplit());
        DetectionImages val = load(exp, exp.detect().valSplit());
        LOG.info("detection data: {} train images ({} boxes), {} validation images ({} boxes), {} classes, {} px",
                train.size(), train.data().boxCount(), val.size(), val.data().boxCount(), train.numClasses(),
                train.imageSize());
        try (RunDir run = TrainStage.openRunDir(exp, resumeDir, group);
             ProgressListener progress = new ProgressListener();
             TensorBoardListener tb = new TensorBoardListener(run.dir().resolve("tensorboard"))) {
            LOG.info("{} run folder {}", resumeDir == null ? "new" : "resuming", run.dir());
            RunClasses classes = RunClasses.of(train.data());
            if (main) {
                classes.write(run.dir());
            }
            Trainer.Builder b = Trainer.builder(exp).device(device).task(new DetectionTask(exp.detect(), group))
                    .fold(FOLD).checkpoints(run.foldDir(FOLD)).resume(resumeDir != null)
                    .classNames(train.data().classNames())
                    .callback(new LoggingListener()).callback(new DetectionMetricsCsv(run.dir().resolve("metrics.csv")))
                    .callback(progress);
            if (exp.train().logging().tensorboard()) {
                b.callback(tb);
            }
            if (group != null) {
                var d = exp.experiment().distributed();
                b.distributed(group, (long) d.bucketMb() << 20, d.overlap(), d.syncBn());
            }
            FitResult fit = b.build().fit(factory(exp, device), train, val);
            if (main) {
                writeResults(exp, run.dir(), fit, val, classes);
            }
            LOG.info("detection: best epoch {}: val mAP50 {} mAP50-95 {} in {} s", fit.best().epoch(),
                    String.format("%.4f", fit.best().metric("val_map50")),
                    String.format("%.4f", fit.best().metric(DetectionTask.MONITOR)),
                    String.format("%.0f", fit.seconds()));
            return new Outcome(run.dir(), fit);
        }
    }

    private static void writeResults(Experiment exp, Path runDir, FitResult fit, DetectionImages val, RunClasses classes)
            throws IOException {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", exp.model().name());
        result.put("best_epoch", fit.best().epoch());
        result.putAll(fit.best().metrics());
        result.put("seconds", fit.seconds());
        result.put("checkpoint", fit.bestCheckpoint() == null ? null : fit.bestCheckpoint().toString());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(runDir.resolve("result.json"), tmp -> json.writeValue(tmp.toFile(), result));
        float[][] rows = fit.bestLogits();
        if (rows != null && rows.length == val.size()) {
            Path f = DetectionEvalFile.write(runDir, DetectionTask.evaluate(rows, val), classes,
                    exp.detect().valSplit(), fit.best().epoch(), val.size());
            LOG.info("wrote {} (best epoch's per-class AP and PR curves)", f);
        }
        RunReport.writeAfterRun(runDir);
    }
}
