package dev.jvision.cli;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.detect.DetectionModel;
import dev.jvision.detect.DetectionTraining;
import dev.jvision.detect.EndToEndScore;
import dev.jvision.detect.RunClasses;
import dev.jvision.detect.TwoStageConfig;
import dev.jvision.detect.TwoStageInference;
import dev.jvision.infer.Classifier;
import dev.jvision.infer.LatencyBenchmark;
import dev.jvision.infer.Recognizer;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The detection modes of {@code jvision infer}: {@code --two-stage CONFIG} (recognitions.json and,
 * with {@code --gt}, the end-to-end score) and {@code --benchmark} for a detection run or a
 * two-stage config (per-stage latency at batch 1). Stateless.
 */
final class TwoStageModes {
    /** Images read into memory for a benchmark (cycled through). */
    private static final int BENCH_IMAGES = 64;

    private TwoStageModes() {}

    /** {@code --two-stage CONFIG --input DIR|CSV [--out DIR] [--gt GT.json]}. */
    static int recognize(Path config, Path input, Path out, Path gt) throws IOException {
        if (input == null) {
            throw new IllegalArgumentException("infer --two-stage " + config + " needs --input DIR|CSV (the images to "
                    + "recognize)");
        }
        TwoStageConfig c = TwoStageConfig.read(config);
        List<Path> files = TwoStageInference.inputs(input);
        CocoInstances truth = gt == null ? null : CocoInstances.read(gt);
        Path dir = out != null ? out : Path.of(".");
        List<TwoStageInference.ImageResult> results;
        try (Recognizer r = c.open()) {
            results = TwoStageInference.run(r, input, files, dir, c.detectorRun().toString(), c.classifierPath().toString(),
                    c.topK());
        }
        int objects = results.stream().mapToInt(x -> x.objects().size()).sum();
        System.out.printf("recognitions: %s (%d objects on %d images)%n", dir.resolve(TwoStageInference.FILE), objects,
                results.size());
        if (truth != null) {
            EndToEndScore.Result s = TwoStageInference.score(truth, results);
            Path json = dir.resolve("two_stage_score.json");
            s.writeJson(json);
            System.out.print(s.table());
            System.out.println("score: " + json);
        }
        return 0;
    }

    /** {@code --benchmark} with {@code --run DETECTION_RUN} or {@code --two-stage CONFIG}. */
    static int benchmark(Path detectionRun, Path twoStage, Path input, List<String> overrides, String device, int warmup,
                         int iterations) throws IOException {
        TwoStageConfig c = twoStage == null ? null : TwoStageConfig.read(twoStage);
        Path run = c != null ? c.detectorRun() : detectionRun;
        Path weights = c != null ? c.detectorWeights()
                : run.resolve("fold" + DetectionTraining.FOLD).resolve("best.safetensors");
        List<String> sets = new ArrayList<>(overrides);
        if (device != null) {
            sets.add("experiment.device=" + device);
        }
        Experiment exp = c != null ? c.detectorExperiment(sets) : Configs.load(run.resolve("config.yaml"), sets);
        NativeRuntime.init();
        TorchSettings.setThreads(exp.experiment().threads());
        Device dev = Device.parse(exp.experiment().device());
        List<byte[]> images = benchImages(input, exp);
        RunClasses classes = RunClasses.read(run);
        int size = exp.data().imgSize();
        DetectionDecoder.Options opts = new DetectionDecoder.Options(exp.detect().conf(), exp.detect().iou(),
                exp.detect().maxDet(), Math.max(3000, exp.detect().maxDet()), false);
        LatencyBenchmark.PipelineResult r;
        LatencyBenchmark.Stage endToEnd = null;
        try (DetectionModel m = DetectionModel.load(exp.model().name(), classes.names().size(), exp.detect().regMax(),
                weights, dev)) {
            if (c == null) {
                r = LatencyBenchmark.detection(m, opts, size, images, null, 0, warmup, iterations, dev);
            } else {
                try (Classifier cls = c.openClassifier(dev)) {
                    r = LatencyBenchmark.detection(m, opts, size, images, cls, c.cropMargin(), warmup, iterations, dev);
                }
            }
        }
        if (c != null) {
            try (Recognizer rec = c.open()) {
                endToEnd = LatencyBenchmark.recognizer(rec, images, warmup, iterations);
            }
        }
        System.out.printf("%s: detector %s from %s, input %d x %d px (letterboxed), conf %.2f, iou %.2f, max_det %d%n",
                c != null ? "two-stage " + twoStage : "detector", exp.model().name(), weights, size, size,
                exp.detect().conf(), exp.detect().iou(), exp.detect().maxDet());
        if (c != null) {
            System.out.printf("classifier %s (%s), crop margin %.2f, top_k %d%n", c.classifierPath(), c.classifierKind(),
                    c.cropMargin(), c.topK());
        }
        System.out.printf("device %s, %d threads, batch 1, %d distinct images; after %d warm-up images, %d timed; "
                        + "%.2f %s per image%n", dev, org.bytedeco.pytorch.global.torch.get_num_threads(), images.size(),
                warmup, iterations, r.cropsPerImage(), c != null ? "crops" : "boxes");
        System.out.print(r.table());
        if (endToEnd != null) {
            System.out.printf("%-28s %9.2f %9.2f %9.2f%n", endToEnd.name(), endToEnd.p50Ms(), endToEnd.p99Ms(),
                    endToEnd.meanMs());
        }
        return 0;
    }

    /** Up to {@link #BENCH_IMAGES} encoded images of {@code input}, else of the run's test split folder. */
    private static List<byte[]> benchImages(Path input, Experiment exp) throws IOException {
        Path from = input;
        if (from == null) {
            from = exp.data().root().resolve("images").resolve(exp.detect().testSplit());
            if (!Files.isDirectory(from)) {
                throw new IllegalArgumentException("infer --benchmark: " + from + " not found (expected: --input DIR|CSV "
                        + "with images to time)");
            }
        }
        List<Path> files = TwoStageInference.inputs(from);
        List<byte[]> out = new ArrayList<>();
        for (Path f : files.subList(0, Math.min(BENCH_IMAGES, files.size()))) {
            out.add(Files.readAllBytes(f));
        }
        return out;
    }
}
