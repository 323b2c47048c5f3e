package dev.jvision.infer.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.detect.DetectionModel;
import dev.jvision.detect.DetectionTraining;
import dev.jvision.detect.RunClasses;
import dev.jvision.infer.Predictor;
import dev.jvision.infer.TemperatureScaling;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.SafeTensors;
import dev.jvision.models.Weights;
import dev.jvision.models.detect.Detectors;
import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * What {@code jvision export} exports, as library calls: a run folder's fold ensemble (one graph
 * averaging the folds' calibrated probabilities), one checkpoint with its sidecar, or a
 * registered model with bare weights; a detection run or checkpoint as a detector graph
 * ({@link #detector}). Checkpoints load on the CPU through {@link Checkpoint}
 * (so a checkpoint of another model fails the same way as everywhere in jvision) and are closed
 * before returning; the file is written atomically by {@link OnnxExporter#write}. Stateless and
 * thread-safe.
 */
public final class ModelExport {
    private ModelExport() {}

    /**
     * What was written.
     *
     * @param file        the ONNX file
     * @param models      the member checkpoints (or the weights file)
     * @param imgSize     the graph's input size
     * @param temperature the calibration temperature in the graph
     * @param bytes       the file size
     */
    public record Result(Path file, List<Path> models, int imgSize, double temperature, long bytes, boolean detection) {}

    /**
     * How to export.
     *
     * @param opset                ONNX opset ({@link OnnxExporter#DEFAULT_OPSET} to {@link OnnxExporter#MAX_OPSET})
     * @param imgSize              input size, or 0 for the checkpoint's
     * @param includePreprocessing uint8 NHWC input normalised inside the graph
     * @param foldBatchNorm        fold BatchNorm into convolutions
     * @param temperature          a fixed temperature, or empty for the run's calibration (1 for a checkpoint)
     */
    public record Settings(int opset, int imgSize, boolean includePreprocessing, boolean foldBatchNorm,
                           OptionalDouble temperature) {
        public Settings {
            if (imgSize < 0) {
                throw new IllegalArgumentException("img_size: " + imgSize + " (expected: >= 1, or 0 for the checkpoint's)");
            }
            if (temperature.isPresent() && !(temperature.getAsDouble() > 0 && Double.isFinite(temperature.getAsDouble()))) {
                throw new IllegalArgumentException("temperature: " + temperature.getAsDouble() + " (expected: a number > 0)");
            }
            new OnnxExporter.Options(opset, Math.max(1, imgSize), includePreprocessing, foldBatchNorm); // validates opset
        }

        /** Opset 17, the checkpoint's size, float input, BatchNorm folded, the run's temperature. */
        public static Settings defaults() {
            return new Settings(OnnxExporter.DEFAULT_OPSET, 0, false, true, OptionalDouble.empty());
        }
    }

    /**
     * Exports every {@code fold*}/best.safetensors of {@code runDir} as one graph. The
     * temperature is {@code temperature} when present, else the run's {@code calibration.json}
     * (or one fitted on its {@code oof_logits.csv}, not written back), else 1.
     */
    public static Result run(Path runDir, Path out, Settings settings) throws IOException {
        if (!Files.isDirectory(runDir)) {
            throw new IllegalArgumentException("--run " + runDir + ": not a folder (expected: a run folder made by "
                    + "`jvision train` or `pipeline`)");
        }
        if (Files.isRegularFile(runDir.resolve(RunClasses.FILE))) {
            return detector(runDir.resolve("fold" + DetectionTraining.FOLD).resolve("best.safetensors"), runDir, out,
                    settings);
        }
        List<Path> files = Predictor.runCheckpoints(runDir);
        double t = settings.temperature().isPresent() ? settings.temperature().getAsDouble()
                : TemperatureScaling.forRun(runDir, false).map(TemperatureScaling.Fit::temperature).orElse(1.0);
        return export(files, null, 0, out, t, settings);
    }

    /** Exports one checkpoint ({@code .safetensors} with its {@code .json} sidecar); temperature 1 unless given. */
    public static Result checkpoint(Path weights, Path out, Settings settings) throws IOException {
        // the sidecar as written (Checkpoint.readInfo accepts classification models only)
        CheckpointInfo info = CheckpointInfo.read(CheckpointInfo.sidecarOf(weights));
        if (Detectors.specs().containsKey(info.model())) {
            Path run = weights.toAbsolutePath().getParent().getParent();
            return detector(weights, run != null && Files.isRegularFile(run.resolve(RunClasses.FILE)) ? run : null, out,
                    settings);
        }
        return export(List.of(weights), null, 0, out, settings.temperature().orElse(1.0), settings);
    }

    /** Exports the registered {@code model} with {@code numClasses} outputs and bare {@code weights}. */
    public static Result weights(String model, int numClasses, Path weights, Path out, Settings settings)
            throws IOException {
        return export(List.of(weights), model, numClasses, out, settings.temperature().orElse(1.0), settings);
    }

    /**
     * Exports a detection checkpoint ({@code DetectionModel} weights, {@code detector.*}) with
     * {@link OnnxExporter#buildDetector}. The detector's name comes from the sidecar (or the run's
     * {@code model.name}), its class count and {@code reg_max} from the head's weights; with
     * {@code runDir}, the class names and COCO category ids of its {@code classes.json}, its
     * {@code data.img_size} and {@code detect.conf / iou / max_det} go into the graph's metadata.
     */
    public static Result detector(Path weights, Path runDir, Path out, Settings settings) throws IOException {
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(weights + ": not found (expected: the best checkpoint of a detection run)");
        }
        String name;
        int size = settings.imgSize();
        OnnxExporter.DetectionInfo info = OnnxExporter.DetectionInfo.defaults();
        List<String> sidecarNames = List.of();
        if (runDir != null) {
            Experiment exp = Configs.load(runDir.resolve("config.yaml"), List.of());
            RunClasses classes = RunClasses.read(runDir);
            name = exp.model().name();
            size = size == 0 ? exp.data().imgSize() : size;
            info = new OnnxExporter.DetectionInfo(classes.names(), classes.categoryIds(), exp.detect().conf(),
                    exp.detect().iou(), exp.detect().maxDet());
        } else {
            CheckpointInfo ck = CheckpointInfo.read(CheckpointInfo.sidecarOf(weights));
            name = ck.model();
            size = size == 0 ? ck.imgSize() : size;
            sidecarNames = ck.classNames() == null ? List.of() : ck.classNames();
        }
        int[] shape = headShape(weights);
        if (runDir == null && !sidecarNames.isEmpty() && sidecarNames.size() == shape[0]) {
            info = new OnnxExporter.DetectionInfo(sidecarNames, new long[0], info.conf(), info.iou(), info.maxDet());
        }
        try (DetectionModel m = DetectionModel.create(name, shape[0], shape[1])) {
            Weights.load(m, weights, false);
            m.train(false);
            OnnxExporter.Options o = new OnnxExporter.Options(settings.opset(), size, settings.includePreprocessing(),
                    settings.foldBatchNorm());
            OnnxExporter.write(OnnxExporter.buildDetector(m.detector(), info, o), out);
        }
        return new Result(out, List.of(weights), size, 1.0, Files.size(out), true);
    }

    /** {classes, reg_max} of a detection checkpoint, from its head's last convolutions. */
    private static int[] headShape(Path weights) throws IOException {
        try (SafeTensors.Contents c = SafeTensors.read(weights)) {
            org.bytedeco.pytorch.Tensor cls = c.tensors().get("detector.head.cls.0.2.weight");
            org.bytedeco.pytorch.Tensor box = c.tensors().get("detector.head.box.0.2.weight");
            if (cls == null || box == null) {
                throw new IllegalArgumentException(weights + ": no detector.head.cls.0.2.weight / detector.head.box.0.2.weight"
                        + " (expected: a detection checkpoint written by jvision train)");
            }
            return new int[] {(int) cls.size(0), (int) (box.size(0) / 4)};
        }
    }

    private static Result export(List<Path> files, String bareModel, int numClasses, Path out, double temperature,
                                 Settings base) throws IOException {
        List<Checkpoint> loaded = new ArrayList<>();
        try {
            List<OnnxExporter.Member> members = new ArrayList<>();
            List<String> names = List.of();
            int size = base.imgSize();
            for (Path f : files) {
                Checkpoint ck = bareModel != null ? Checkpoint.load(bareModel, numClasses, f, Device.CPU)
                        : Checkpoint.load(f, Device.CPU);
                loaded.add(ck);
                CheckpointInfo info = ck.info();
                if (size == 0) {
                    size = info.imgSize();
                }
                if (info.classNames() != null && !info.classNames().isEmpty()) {
                    names = info.classNames();
                }
                members.add(new OnnxExporter.Member(ck.model(), info.mean(), info.std(), temperature, 1.0));
            }
            OnnxExporter.Options o = new OnnxExporter.Options(base.opset(), size, base.includePreprocessing(),
                    base.foldBatchNorm());
            ModelProto proto = OnnxExporter.build(members, names, o);
            OnnxExporter.write(proto, out);
            return new Result(out, List.copyOf(files), size, temperature, Files.size(out), false);
        } finally {
            loaded.forEach(Checkpoint::close);
        }
    }
}
