package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.detect.Letterbox;
import dev.jvision.config.AugmentConfig;
import dev.jvision.data.Images;
import dev.jvision.detect.DetectionImages;
import dev.jvision.detect.DetectionModel;
import dev.jvision.models.ImageModel;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.models.detect.Detections;
import dev.jvision.models.detect.DetectorOutput;
import dev.jvision.runtime.CudaMemory;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Inference latency at batch 1 and above, timed per call after warm-up.
 *
 * <ul>
 *   <li>{@link #run}: one classification model: uint8 NHWC batch on the host -> device ->
 *       evaluation transform -> forward -> logits back on the host (the copy back synchronises the
 *       device, so a timing covers the whole request).</li>
 *   <li>{@link #detection}: a detector, optionally followed by a classifier (the two-stage
 *       pipeline), one encoded image per call, timed per stage: decode + letterbox, detector
 *       forward (upload included, device synchronised), decoding with NMS (boxes back on the host),
 *       crop + classify (all crops of the image as one list through the {@link Classifier}).</li>
 *   <li>{@link #recognizer}: a {@link Recognizer} end to end, as a caller sees it.</li>
 * </ul>
 * Not thread-safe.
 */
public final class LatencyBenchmark {
    private LatencyBenchmark() {}

    /**
     * Latency figures.
     *
     * @param batch       images per call
     * @param imgSize     input side in pixels
     * @param iterations  timed calls
     * @param p50Ms       median latency per call in milliseconds
     * @param p99Ms       99th-percentile latency per call
     * @param meanMs      mean latency per call
     * @param imagesPerSecond batch * iterations / total timed seconds
     */
    public record Result(int batch, int imgSize, int iterations, double p50Ms, double p99Ms, double meanMs,
                         double imagesPerSecond) {}

    /** Times {@code model} (already on {@code device}, evaluation mode is set here). */
    public static Result run(ImageModel model, double[] mean, double[] std, int imgSize, int batch, int warmup,
                             int iterations, Device device, boolean channelsLast) {
        if (batch < 1 || iterations < 1 || warmup < 0 || imgSize < 8) {
            throw new IllegalArgumentException("batch " + batch + ", iterations " + iterations + ", warm-up " + warmup
                    + ", image size " + imgSize + " (expected: batch >= 1, iterations >= 1, warm-up >= 0, size >= 8)");
        }
        model.train(false);
        boolean cl = channelsLast && device.isCuda();
        byte[] pixels = new byte[batch * imgSize * imgSize * 3];
        new SplittableRandom(0).nextBytes(pixels);
        double[] ms = new double[iterations];
        try (BatchTransform t = new BatchTransform(AugmentConfig.defaults(), mean, std, device, cl);
             NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < warmup + iterations; i++) {
                long t0 = System.nanoTime();
                try (var scope = Memory.step()) {
                    Tensor x = Tensors.fromBytes(pixels, batch, imgSize, imgSize, 3).to(device.toNative(), torch.ScalarType.Byte);
                    Tensors.toFloats(model.forward(t.eval(x)));
                }
                if (i >= warmup) {
                    ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
                }
            }
        }
        double total = Arrays.stream(ms).sum();
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        return new Result(batch, imgSize, iterations, percentile(sorted, 50), percentile(sorted, 99), total / iterations,
                batch * iterations / (total / 1e3));
    }

    /**
     * Latency of one stage.
     *
     * @param name   what the stage does
     * @param p50Ms  median per image, milliseconds
     * @param p99Ms  99th percentile per image
     * @param meanMs mean per image
     */
    public record Stage(String name, double p50Ms, double p99Ms, double meanMs) {
        static Stage of(String name, double[] ms) {
            double[] sorted = ms.clone();
            Arrays.sort(sorted);
            return new Stage(name, percentile(sorted, 50), percentile(sorted, 99), Arrays.stream(ms).average().orElse(0));
        }
    }

    /**
     * Per-stage latency of a detection or two-stage pipeline at batch 1.
     *
     * @param imgSize       the detector's (square, letterboxed) input side
     * @param iterations    timed images
     * @param cropsPerImage mean boxes per image (crops classified, for a two-stage pipeline)
     * @param stages        the stages in order, the last one {@code total} (their sum per image)
     */
    public record PipelineResult(int imgSize, int iterations, double cropsPerImage, List<Stage> stages) {
        /** The table the CLI prints: one row per stage. */
        public String table() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-28s %9s %9s %9s%n", "stage", "p50 ms",
                    "p99 ms", "mean ms"));
            for (Stage s : stages) {
                b.append(String.format(Locale.ROOT, "%-28s %9.2f %9.2f %9.2f%n", s.name(), s.p50Ms(), s.p99Ms(), s.meanMs()));
            }
            return b.toString();
        }

        /** The stage called {@code name}. @throws IllegalArgumentException when there is none */
        public Stage stage(String name) {
            return stages.stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("stage: " + name + " (expected one of: "
                            + stages.stream().map(Stage::name).toList() + ")"));
        }
    }

    /**
     * Times the detector of {@code model} (already on {@code device}) and, when {@code classifier}
     * is not null, the classification of each box's crop, one image per call, cycling through
     * {@code encoded}.
     *
     * @param options the detector's thresholds ({@code conf}, {@code iou}, {@code max_det})
     * @param margin  crop margin as in {@link Recognizer}
     */
    public static PipelineResult detection(DetectionModel model, DetectionDecoder.Options options, int imgSize,
                                           List<byte[]> encoded, Classifier classifier, double margin, int warmup,
                                           int iterations, Device device) throws IOException {
        check(imgSize, iterations, warmup, encoded);
        model.train(false);
        String[] names = classifier == null
                ? new String[] {"decode+letterbox", "detector forward", "nms", "total"}
                : new String[] {"decode+letterbox", "detector forward", "nms", "crop+classify", "total"};
        double[][] ms = new double[names.length][iterations];
        long crops = 0;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < warmup + iterations; i++) {
                long t0 = System.nanoTime();
                Images.Rgb rgb = Images.decode(encoded.get(i % encoded.size()), "benchmark image " + (i % encoded.size()));
                byte[] lb = DetectionImages.letterbox(rgb, imgSize);
                Letterbox.Placement place = DetectionImages.plan(rgb.w(), rgb.h(), imgSize);
                long ta = System.nanoTime();
                long t1;
                long t2;
                List<Detections.Box> found;
                try (var scope = Memory.step()) {
                    Tensor x = Tensors.fromBytes(lb, 1, imgSize, imgSize, 3).to(device.toNative(), torch.ScalarType.Byte)
                            .permute(0, 3, 1, 2).to(torch.ScalarType.Float).div(new Scalar(255.0)).contiguous();
                    DetectorOutput out = model.detector().forwardDetect(x);
                    CudaMemory.synchronize(device);
                    t1 = System.nanoTime();
                    found = DetectionDecoder.decode(out, options).toLists().get(0);
                    t2 = System.nanoTime();
                }
                long t3 = t2;
                if (classifier != null && !found.isEmpty()) {
                    List<BufferedImage> images = new ArrayList<>(found.size());
                    for (Detections.Box b : found) {
                        float[] o = place.toOriginal(new float[] {b.x1(), b.y1(), b.x2(), b.y2()});
                        images.add(Recognizer.crop(rgb, new Detector.Box(b.classId(), "", b.score(), o[0], o[1], o[2], o[3]),
                                margin));
                    }
                    classifier.predict(images);
                    t3 = System.nanoTime();
                }
                if (i >= warmup) {
                    int k = i - warmup;
                    long[] ends = classifier == null ? new long[] {ta, t1, t2} : new long[] {ta, t1, t2, t3};
                    long from = t0;
                    for (int st = 0; st < ends.length; st++) {
                        ms[st][k] = (ends[st] - from) / 1e6;
                        from = ends[st];
                    }
                    ms[names.length - 1][k] = (from - t0) / 1e6;
                    crops += found.size();
                }
            }
        }
        List<Stage> stages = new ArrayList<>();
        for (int s = 0; s < names.length; s++) {
            stages.add(Stage.of(names[s], ms[s]));
        }
        return new PipelineResult(imgSize, iterations, (double) crops / iterations, List.copyOf(stages));
    }

    /** Times {@code recognizer} on one encoded image per call, cycling through {@code encoded}: the caller's view. */
    public static Stage recognizer(Recognizer recognizer, List<byte[]> encoded, int warmup, int iterations) {
        check(64, iterations, warmup, encoded);
        double[] ms = new double[iterations];
        for (int i = 0; i < warmup + iterations; i++) {
            long t0 = System.nanoTime();
            recognizer.recognize(encoded.get(i % encoded.size()));
            if (i >= warmup) {
                ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return Stage.of("recognizer (end to end)", ms);
    }

    private static void check(int imgSize, int iterations, int warmup, List<byte[]> encoded) {
        if (iterations < 1 || warmup < 0 || imgSize < 8 || encoded.isEmpty()) {
            throw new IllegalArgumentException("iterations " + iterations + ", warm-up " + warmup + ", image size " + imgSize
                    + ", " + encoded.size() + " images (expected: iterations >= 1, warm-up >= 0, size >= 8, images >= 1)");
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
