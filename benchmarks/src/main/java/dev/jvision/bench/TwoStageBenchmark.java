package dev.jvision.bench;

import dev.jvision.data.demo.DetectionDemoData;
import dev.jvision.detect.DetectionModel;
import dev.jvision.detect.RunClasses;
import dev.jvision.detect.TwoStageConfig;
import dev.jvision.infer.Detector;
import dev.jvision.infer.Recognizer;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.Models;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of the detector and of the two-stage pipeline at batch 1, one caller, as a service sees
 * it: one operation is one encoded demo photo ("objects on a tray", {@code size} px) through
 * {@link Detector#detect(byte[])} ({@code detect}: decode, letterbox, forward, NMS) or
 * {@link Recognizer#recognize(byte[])} ({@code twoStage}: the same, then every box cropped with a
 * 10% margin and classified as one list). Both stages have random weights, saved as a detection
 * run and a classifier checkpoint at set-up and loaded through a two-stage config file, as
 * {@code jvision infer --two-stage} loads them; {@code conf: 0} with {@code max_det: crops} fixes
 * the boxes per image (a random detector scores every anchor above 0), so the classifier sees
 * {@code crops} crops per image. The price: every anchor (1,344 at 256 px) is an NMS candidate,
 * NMS's worst case, where a trained detector at {@code conf: 0.25} leaves a few dozen; so these
 * figures are an upper bound for the NMS part (the per-stage CLI benchmark on a trained run shows
 * it). SampleTime mode: the p0.50 and p0.99 rows are the latency.
 *
 * <p>Per-stage figures come from {@code jvision infer --two-stage CONFIG --benchmark}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class TwoStageBenchmark {
    @State(Scope.Benchmark)
    public static class Pipeline {
        @Param({"det_tiny"})
        public String detector;

        /** The detector's (letterbox) input side, also the demo photos' side. */
        @Param({"256"})
        public int size;

        @Param({"resnet18"})
        public String classifier;

        /** The classifier's input side. */
        @Param({"96"})
        public int classifierSize;

        /** Boxes (crops) per image. */
        @Param({"6"})
        public int crops;

        @Param({"20"})
        public int classes;

        @Param({"2"})
        public int threads;

        @Param({"cpu"})
        public String device;

        Path dir;
        Recognizer recognizer;
        List<byte[]> requests;
        int next;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            Fixtures.setUp(threads, device);
            dir = Files.createTempDirectory("jvision-two-stage-bench");
            Path data = dir.resolve("data");
            DetectionDemoData.generate(data, 1, 0, 32, classes, size, Fixtures.SEED, 2);
            List<String> names = new ArrayList<>();
            long[] ids = new long[classes];
            for (int c = 0; c < classes; c++) {
                names.add(DetectionDemoData.className(c));
                ids[c] = c + 1;
            }
            Path run = Files.createDirectories(dir.resolve("det"));
            Files.writeString(run.resolve("config.yaml"), """
                    task: detection
                    experiment: {name: bench, output_dir: '%s', threads: %d, device: %s}
                    data: {root: '%s', img_size: %d}
                    model: {name: %s, num_classes: %d}
                    """.formatted(dir, threads, device, data, size, detector, classes));
            new RunClasses(names, ids).write(run);
            try (DetectionModel m = DetectionModel.create(detector, classes, 16)) {
                Weights.save(m, Files.createDirectories(run.resolve("fold0")).resolve("best.safetensors"), Map.of());
            }
            Path cls = dir.resolve("cls.safetensors");
            try (ImageModel m = Models.create(classifier, ModelOptions.of(classes))) {
                Weights.save(m, cls, Map.of("format", "benchmark"));
                new CheckpointInfo(classifier, classes, classifierSize, m.spec().mean(), m.spec().std(), 0, 0, 0, 0, 0,
                        names, null).write(CheckpointInfo.sidecarOf(cls));
            }
            Path cfg = dir.resolve("two-stage.yaml");
            Files.writeString(cfg, """
                    detector: {run: det}
                    classifier: {checkpoint: cls.safetensors}
                    crop_margin: 0.1
                    conf: 0.0
                    max_det: %d
                    top_k: 5
                    """.formatted(crops));
            recognizer = TwoStageConfig.read(cfg).open();
            requests = new ArrayList<>();
            try (Stream<Path> s = Files.list(data.resolve("images/test"))) {
                for (Path p : s.sorted().toList()) {
                    requests.add(Files.readAllBytes(p));
                }
            }
        }

        byte[] request() {
            next = (next + 1) % requests.size();
            return requests.get(next);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            recognizer.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Benchmark
    public List<Detector.Box> detect(Pipeline p) {
        return p.recognizer.detector().detect(p.request());
    }

    @Benchmark
    public List<Recognizer.Recognition> twoStage(Pipeline p) {
        return p.recognizer.recognize(p.request());
    }
}
