package dev.jvision.cli;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.infer.EnsembleFile;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.FolderInference;
import dev.jvision.infer.LatencyBenchmark;
import dev.jvision.infer.Predictor;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.pipeline.InferStage;
import dev.jvision.runtime.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvision infer}: predict the test set with a run's folds, explicit checkpoints or a
 * multi-model ensemble file (TTA, calibration, submission, low-confidence report), predict with a
 * detection run or a two-stage pipeline file ({@link TwoStageModes}), or measure latency with
 * {@code --benchmark}.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = {"Predict the test set (sample_submission.csv order) with a run's fold ensemble, checkpoints or an "
                + "ensemble file, and write a validated submission.",
                "With --benchmark: batch latency p50/p99 and throughput of one model on the current device; "
                        + "per stage at batch 1 for a detection run or --two-stage CONFIG."})
final class InferCommand implements Callable<Integer> {
    // optional here: call() checks that a mode was chosen (other modes have their own options)
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    static final class Source {
        @Option(names = "--run", paramLabel = "RUN_DIR", description = "a run folder made by train/pipeline (all its folds)")
        Path run;

        @Option(names = "--checkpoint", paramLabel = "FILE", description = "a .safetensors checkpoint with its .json sidecar (repeatable)")
        List<Path> checkpoints;

        @Option(names = "--ensemble", paramLabel = "MEMBERS_YAML",
                description = "ensemble file: members: [{run: DIR | checkpoint: FILE, weight: W, temperature: T}]")
        Path ensemble;

        @Option(names = "--two-stage", paramLabel = "CONFIG",
                description = "two-stage pipeline file (detector + classifier, docs/detection.md): with --input writes "
                        + "recognitions.json (+ two_stage_score.json with --gt); with --benchmark times each stage")
        Path twoStage;
    }

    @Option(names = "--input", paramLabel = "DIR|CSV",
            description = "with --two-stage (or a detection --benchmark): a folder of images or a CSV whose first column "
                    + "is an image path")
    Path input;

    @Option(names = "--gt", paramLabel = "GT.json",
            description = "with --two-stage: COCO ground truth of the input images: end-to-end score beside the detector's mAP")
    Path gt;

    @Option(names = {"-c", "--config"}, description = "experiment YAML for data settings (default: the run's config.yaml)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config value (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "where to write submission.csv (default: the run folder, or .)")
    Path out;

    @Option(names = "--save-probs", description = "also write probs.csv with the averaged class probabilities")
    boolean saveProbs;

    @Option(names = "--tta", description = "average the TTA views of infer.tta_views (first infer.tta_num_augments)")
    boolean tta;

    @Option(names = "--use-calibration", description = "divide logits by each run's fitted temperature (calibration.json)")
    boolean useCalibration;

    @Option(names = "--confidence-threshold", paramLabel = "P",
            description = "write low_confidence.csv with the IDs whose top probability is below P")
    Double confidenceThreshold;

    @Option(names = "--batch-size", paramLabel = "N", description = "inference batch size (default: infer.batch_size)")
    Integer batchSize;

    @Option(names = "--benchmark", description = "measure latency and throughput instead of predicting")
    boolean benchmark;

    @Option(names = "--model", paramLabel = "NAME", description = "with --benchmark: a registered model (random weights)")
    String model;

    @Option(names = "--num-classes", paramLabel = "N", description = "with --model: classifier size (--benchmark default 17, --images default 1000)")
    Integer numClasses;

    @Option(names = "--img-size", paramLabel = "S", description = "with --benchmark: input size (default: the checkpoint's or model's)")
    Integer imgSize;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1", description = "with --benchmark: images per call (default 1)")
    int batch;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "100", description = "with --benchmark: timed calls (default 100)")
    int iterations;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "10", description = "with --benchmark: untimed calls first (default 10)")
    int warmup;

    @Option(names = "--device", paramLabel = "DEV", description = "with --benchmark or --images: auto, cpu, cuda or cuda:N (default: config or auto)")
    String device;

    @Option(names = "--weights", paramLabel = "FILE", description = "with --model --images: a .safetensors file (e.g. timm's model.safetensors)")
    Path weights;

    @Option(names = "--images", paramLabel = "DIR", description = "with --model --weights: a folder of images to run")
    Path images;

    @Option(names = "--save-logits", paramLabel = "OUT_CSV", description = "with --images: where to write image,c0,...,cN-1")
    Path saveLogits;

    @Option(names = "--no-resize", description = "with --images: feed images at their own size (no resize)")
    boolean noResize;

    @Option(names = "--channels-last", description = "with --images: channels-last memory format for weights and inputs")
    boolean channelsLast;

    @Option(names = "--onnx", paramLabel = "MODEL.onnx",
            description = "run a file made by `jvision export` with ONNX Runtime: a classifier with -c CONFIG (the test "
                    + "set's submission.csv in --out), --images DIR --save-logits OUT.csv, or --benchmark (--batch, "
                    + "--iterations, --warmup; --threads); a detector with --images DIR or -c CONFIG (detections.json in --out)")
    Path onnx;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "with --onnx: ONNX Runtime intra-op threads (default 0: ONNX Runtime's choice)")
    int threads;

    @Option(names = "--draw", description = "detection runs: also write each image with its boxes to OUT/draw/")
    boolean draw;

    @Override
    public Integer call() throws Exception {
        if (onnx != null) {
            return onnx();
        }
        if (source != null && source.twoStage != null) {
            return benchmark
                    ? TwoStageModes.benchmark(null, source.twoStage, input, overrides, device, warmup, iterations)
                    : TwoStageModes.recognize(source.twoStage, input, out, gt);
        }
        if (gt != null || (input != null && !benchmark)) {
            throw new IllegalArgumentException("--input and --gt: only with --two-stage CONFIG (or --benchmark of a "
                    + "detection run for --input)");
        }
        if (benchmark) {
            return benchmark();
        }
        if (source != null && source.run != null) {
            Path cfg = config != null ? config : source.run.resolve("config.yaml");
            if (Files.isRegularFile(cfg)) {
                Experiment exp = Configs.load(cfg, overrides);
                if (exp.isDetection()) {
                    return detect(exp);
                }
            }
        }
        if (draw) {
            throw new IllegalArgumentException("--draw: only for detection runs (expected: --run of a task: detection run)");
        }
        if (images != null || saveLogits != null || weights != null) {
            return folderLogits();
        }
        if (source == null) {
            throw new IllegalArgumentException("infer: choose what to predict with: --run RUN_DIR, --checkpoint FILE "
                    + "(repeatable) or --ensemble MEMBERS_YAML (or --benchmark)");
        }
        List<EnsembleMember> members;
        Path defaultOut;
        Path runForConfig = source.run;
        if (source.run != null) {
            members = List.of(EnsembleMember.ofRun(source.run, 1.0));
            defaultOut = source.run;
        } else if (source.ensemble != null) {
            members = EnsembleFile.read(source.ensemble);
            defaultOut = Path.of(".");
            runForConfig = members.stream().map(EnsembleMember::runDir).filter(d -> d != null).findFirst().orElse(null);
        } else {
            members = EnsembleMember.ofCheckpoints(source.checkpoints);
            defaultOut = Path.of(".");
        }
        Path cfg = config;
        if (cfg == null) {
            if (runForConfig != null && Files.isRegularFile(runForConfig.resolve("config.yaml"))) {
                cfg = runForConfig.resolve("config.yaml");
            } else {
                cfg = Path.of("configs/quickstart.yaml");
            }
        }
        List<String> sets = new ArrayList<>(overrides);
        if (batchSize != null) {
            sets.add("infer.batch_size=" + batchSize);
        }
        Experiment exp = Configs.load(cfg, sets);
        InferStage.Options base = InferStage.Options.of(exp);
        InferStage.Options opts = new InferStage.Options(tta || base.tta(), useCalibration || base.useCalibration(),
                saveProbs || base.saveProbs(), confidenceThreshold != null ? confidenceThreshold : base.confidenceThreshold());
        InferStage.Outcome o = InferStage.infer(exp, out != null ? out : defaultOut, members, opts);
        PipelineCommand.printVariants(o);
        o.testF1().ifPresent(f -> System.out.printf("test macro-F1 %.4f (accuracy %.4f, %d images)%n", f,
                o.testAcc().orElse(0.0), o.rows()));
        if (opts.confidenceThreshold() > 0) {
            System.out.printf("low confidence (< %.2f): %d of %d images%n", opts.confidenceThreshold(), o.lowConfidence(),
                    o.rows());
        }
        System.out.println((exp.data().manifests().train() != null ? "predictions: " : "submission: ") + o.submission());
        return 0;
    }

    /**
     * {@code --onnx MODEL.onnx}: a detector export writes detections.json ({@code --images DIR} or
     * {@code -c CONFIG}'s test split); a classifier export writes the folder's logits
     * ({@code --images DIR --save-logits OUT.csv}), the test set's submission ({@code -c CONFIG}), or
     * measures latency ({@code --benchmark}).
     */
    private int onnx() throws Exception {
        if (source != null || model != null || weights != null) {
            throw new IllegalArgumentException("infer --onnx: the ONNX file is the model (drop --run, --checkpoint, "
                    + "--ensemble, --model, --weights)");
        }
        if (tta || draw) {
            throw new IllegalArgumentException("infer --onnx: " + (tta ? "--tta" : "--draw") + " is not supported with an "
                    + "ONNX model (expected: the libtorch path, --run or --checkpoint)");
        }
        if (!benchmark && dev.jvision.infer.onnx.OnnxDetector.isDetection(onnx)) {
            return onnxDetect();
        }
        if (!benchmark && images == null && saveLogits == null && config != null) {
            return onnxSubmission();
        }
        if (!benchmark && (images == null || saveLogits == null)) {
            throw new IllegalArgumentException("infer --onnx " + onnx + " needs --images DIR --save-logits OUT.csv, "
                    + "-c CONFIG (the test set's submission) or --benchmark");
        }
        try (dev.jvision.infer.onnx.OnnxModel m = dev.jvision.infer.onnx.OnnxModel.open(onnx, threads)) {
            if (benchmark) {
                double[] r = dev.jvision.infer.onnx.OnnxInference.latencyMs(m, batch, warmup, iterations);
                System.out.printf("ONNX Runtime %s, %d px, batch %d, %s threads: after %d warm-up calls, %d timed calls%n",
                        onnx, m.imgSize(), batch, threads == 0 ? "default" : Integer.toString(threads), warmup, iterations);
                System.out.printf("latency per call: p50 %.2f ms, p99 %.2f ms, mean %.2f ms; throughput %.1f images/s%n",
                        r[0], r[1], r[2], batch * 1000.0 / r[2]);
                return 0;
            }
            var r = dev.jvision.infer.onnx.OnnxInference.writeFolder(m, images, saveLogits);
            System.out.printf("wrote %s of %d images to %s (ONNX Runtime, %d px)%n", r.outputs(), r.images(), saveLogits,
                    m.imgSize());
        }
        return 0;
    }

    /** {@code --onnx CLASSIFIER.onnx -c CONFIG [--out DIR]}: submission.csv as the libtorch path writes it. */
    private int onnxSubmission() throws Exception {
        List<String> sets = new ArrayList<>(overrides);
        if (batchSize != null) {
            sets.add("infer.batch_size=" + batchSize);
        }
        Experiment exp = Configs.load(config, sets);
        if (exp.isDetection()) {
            throw new IllegalArgumentException("infer --onnx " + onnx + ": a classifier export with a task: detection "
                    + "config (expected: a classification config, or a detector export)");
        }
        if (exp.infer().tta()) {
            throw new IllegalArgumentException("infer --onnx: infer.tta is on in " + config + " (expected: off; the "
                    + "exported graph has one view: --set infer.tta=false)");
        }
        Path dir = out != null ? out : Path.of(".");
        Files.createDirectories(dir);
        try (dev.jvision.infer.onnx.OnnxModel m = dev.jvision.infer.onnx.OnnxModel.open(onnx, threads)) {
            var r = dev.jvision.infer.onnx.OnnxSubmission.write(exp, m, dir,
                    useCalibration || exp.infer().useCalibration(), saveProbs || exp.infer().saveProbs());
            System.out.printf("submission: %s (%d rows, ONNX Runtime, %s)%n", r.submission(), r.rows(), r.output());
        }
        return 0;
    }

    /** {@code --onnx DETECTOR.onnx (--images DIR | -c CONFIG) [--out DIR]}: detections.json. */
    private int onnxDetect() throws Exception {
        Experiment exp = config != null ? Configs.load(config, overrides) : null;
        Path dir = out != null ? out : Path.of(".");
        try (dev.jvision.infer.onnx.OnnxDetector m = dev.jvision.infer.onnx.OnnxDetector.open(onnx, threads)) {
            var opts = exp == null ? m.decoderOptions() : new dev.jvision.models.detect.DetectionDecoder.Options(
                    exp.detect().conf(), exp.detect().iou(), exp.detect().maxDet(), Math.max(3000, exp.detect().maxDet()),
                    false);
            int bs = batchSize != null ? batchSize : exp != null ? exp.infer().batchSize() : 8;
            var r = dev.jvision.infer.onnx.OnnxDetection.run(m, exp, images, dir, bs, opts);
            System.out.printf("detections: %s (%d boxes on %d images, ONNX Runtime)%n", r.detections(), r.boxes(),
                    r.images());
        }
        return 0;
    }

    /** {@code --run DETECTION_RUN [--images DIR] [--out DIR] [--draw]}: detections.json (COCO results). */
    private int detect(Experiment exp) throws Exception {
        var r = dev.jvision.detect.DetectionInference.run(exp, source.run, images, out != null ? out : source.run, draw,
                batchSize != null ? batchSize : exp.infer().batchSize());
        System.out.printf("detections: %s (%d boxes on %d images)%n", r.detections(), r.boxes(), r.images());
        if (r.drawDir() != null) {
            System.out.println("drawings: " + r.drawDir());
        }
        return 0;
    }

    /** {@code --model NAME --weights FILE --num-classes N --images DIR --save-logits OUT.csv}. */
    private int folderLogits() throws Exception {
        List<String> missing = new ArrayList<>();
        if (model == null) {
            missing.add("--model NAME");
        }
        if (weights == null) {
            missing.add("--weights FILE");
        }
        if (images == null) {
            missing.add("--images DIR");
        }
        if (saveLogits == null) {
            missing.add("--save-logits OUT.csv");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("infer on an image folder needs " + String.join(", ", missing));
        }
        if (noResize && imgSize != null) {
            throw new IllegalArgumentException("infer: --img-size " + imgSize + " and --no-resize exclude each other");
        }
        dev.jvision.runtime.NativeRuntime.init();
        dev.jvision.runtime.TorchSettings.setThreads(0);
        Device d = Device.parse(device != null ? device : "auto");
        int rows = FolderInference.writeLogits(model, weights, numClasses != null ? numClasses : 1000, images, saveLogits,
                imgSize, noResize, d, channelsLast);
        System.out.printf("wrote logits of %d images to %s%n", rows, saveLogits);
        return 0;
    }

    private int benchmark() throws Exception {
        if (model == null && (source == null || (source.run == null && (source.checkpoints == null
                || source.checkpoints.isEmpty())))) {
            throw new IllegalArgumentException("infer --benchmark: choose the model: --model NAME, --run RUN_DIR or "
                    + "--checkpoint FILE");
        }
        if (source != null && source.run != null && model == null) {
            Path runCfg = source.run.resolve("config.yaml");
            if (Files.isRegularFile(runCfg) && Configs.load(runCfg, overrides).isDetection()) {
                return TwoStageModes.benchmark(source.run, null, input != null ? input : images, overrides, device, warmup,
                        iterations);
            }
        }
        String devName = device;
        int threads = 0;
        if (config != null) {
            Experiment exp = Configs.load(config, overrides);
            threads = exp.experiment().threads();
            devName = devName != null ? devName : exp.experiment().device();
        }
        devName = devName != null ? devName : "auto";
        dev.jvision.runtime.NativeRuntime.init();
        dev.jvision.runtime.TorchSettings.setThreads(threads);
        Device d = Device.parse(devName);
        ImageModel m;
        double[] mean;
        double[] std;
        int size;
        String what;
        if (model != null) {
            ModelSpec spec = Models.spec(model);
            m = Models.create(model, ModelOptions.of(numClasses != null ? numClasses : 17));
            mean = spec.mean();
            std = spec.std();
            size = imgSize != null ? imgSize : spec.inputSize();
            what = model + " (random weights)";
        } else {
            Path w = source.run != null ? Predictor.runCheckpoints(source.run).get(0) : source.checkpoints.get(0);
            // the checkpoint hands its model to the try-with-resources below
            Checkpoint ck = Checkpoint.load(w, d);
            CheckpointInfo info = ck.info();
            m = ck.model();
            mean = info.mean();
            std = info.std();
            size = imgSize != null ? imgSize : info.imgSize();
            what = info.model() + " from " + w;
        }
        try (m) {
            m.to(d);
            LatencyBenchmark.Result r = LatencyBenchmark.run(m, mean, std, size, batch, warmup, iterations, d, false);
            System.out.printf("model %s, %d px, batch %d, device %s, %d threads: after %d warm-up calls, %d timed calls%n",
                    what, size, batch, d, org.bytedeco.pytorch.global.torch.get_num_threads(), warmup,
                    iterations);
            System.out.printf("latency per call: p50 %.2f ms, p99 %.2f ms, mean %.2f ms; throughput %.1f images/s%n",
                    r.p50Ms(), r.p99Ms(), r.meanMs(), r.imagesPerSecond());
        }
        return 0;
    }
}
