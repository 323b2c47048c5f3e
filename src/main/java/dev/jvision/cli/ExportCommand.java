package dev.jvision.cli;

import dev.jvision.infer.export.ModelExport;
import dev.jvision.infer.export.OnnxExporter;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvision export}: writes a run's fold ensemble, a checkpoint or a registered model with
 * bare weights as an ONNX file (see {@link OnnxExporter} and docs/onnx.md).
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export a run's fold ensemble (one graph averaging the folds' probabilities), a checkpoint or a "
                + "model with bare weights to ONNX, written from jvision's own layer definitions.",
                "Outputs: logits and probabilities (softmax of logits / temperature); an ensemble has probabilities only; "
                        + "a detector: boxes, scores and the raw predictions, before NMS (docs/onnx.md)."})
final class ExportCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--run", paramLabel = "RUN_DIR",
                description = "a run folder: all its folds as one graph (a detection run: its detector)")
        Path run;

        @Option(names = "--checkpoint", paramLabel = "FILE", description = "a .safetensors checkpoint with its .json sidecar")
        Path checkpoint;

        @Option(names = "--model", paramLabel = "NAME", description = "a registered model (with --weights and --num-classes)")
        String model;
    }

    @Option(names = "--weights", paramLabel = "FILE", description = "with --model: a .safetensors file (e.g. timm's model.safetensors)")
    Path weights;

    @Option(names = "--num-classes", paramLabel = "N", description = "with --model: classifier outputs (default 1000)")
    Integer numClasses;

    @Option(names = "--out", paramLabel = "MODEL.onnx", required = true, description = "the ONNX file to write (atomically)")
    Path out;

    @Option(names = "--opset", paramLabel = "N", defaultValue = "17",
            description = "ONNX opset, 17 (default) to 22 (the newest ONNX Runtime 1.22 runs; 20+ writes Gelu)")
    int opset;

    @Option(names = "--img-size", paramLabel = "S", description = "input size in pixels (default: the checkpoint's or model's)")
    Integer imgSize;

    @Option(names = "--include-preprocessing",
            description = "the graph takes uint8 NHWC RGB pixels (0-255) and normalises them inside")
    boolean includePreprocessing;

    @Option(names = "--keep-batchnorm", description = "emit BatchNormalization nodes instead of folding them into convolutions")
    boolean keepBatchNorm;

    @Option(names = "--temperature", paramLabel = "T",
            description = "calibration temperature in the graph (default: the run's calibration.json, else 1)")
    Double temperature;

    @Override
    public Integer call() throws Exception {
        if (source.model != null) {
            if (weights == null) {
                throw new IllegalArgumentException("export --model " + source.model + ": --weights FILE is required");
            }
        } else if (weights != null || numClasses != null) {
            throw new IllegalArgumentException("export: --weights and --num-classes go with --model NAME");
        }
        if (imgSize != null && imgSize < 1) {
            throw new IllegalArgumentException("--img-size: " + imgSize + " (expected: >= 1)");
        }
        NativeRuntime.init();
        TorchSettings.setThreads(0);
        ModelExport.Settings s = new ModelExport.Settings(opset, imgSize == null ? 0 : imgSize, includePreprocessing,
                !keepBatchNorm, temperature == null ? OptionalDouble.empty() : OptionalDouble.of(temperature));
        ModelExport.Result r;
        if (source.run != null) {
            r = ModelExport.run(source.run, out, s);
        } else if (source.checkpoint != null) {
            r = ModelExport.checkpoint(source.checkpoint, out, s);
        } else {
            r = ModelExport.weights(source.model, numClasses == null ? 1000 : numClasses, weights, out, s);
        }
        if (r.detection()) {
            System.out.printf("wrote %s (%.1f MB): detector, %d px, opset %d, %s input; outputs boxes, scores, predictions "
                    + "(before NMS)%n", r.file(), r.bytes() / 1e6, r.imgSize(), opset,
                    includePreprocessing ? "uint8 NHWC" : "float32 NCHW 0-1");
            return 0;
        }
        System.out.printf("wrote %s (%.1f MB): %d model%s, %d px, opset %d, %s input, temperature %.4g%n", r.file(),
                r.bytes() / 1e6, r.models().size(), r.models().size() == 1 ? "" : "s (probabilities averaged)",
                r.imgSize(), opset, includePreprocessing ? "uint8 NHWC" : "float32 NCHW normalised", r.temperature());
        return 0;
    }
}
