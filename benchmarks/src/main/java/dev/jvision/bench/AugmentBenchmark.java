package dev.jvision.bench;

import dev.jvision.augment.Augmenter;
import dev.jvision.config.AugmentConfig;
import dev.jvision.config.Configs;
import dev.jvision.models.ModelSpec;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2f;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.pytorch.Tensor;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batched device augmentation ({@link Augmenter#train}) per policy, against a per-image CPU
 * OpenCV path doing comparable work (warpAffine with flip/rotation/zoom, brightness/contrast,
 * gaussian blur, conversion to normalised float). One operation is one batch; the
 * {@code images} secondary row is images/s.
 *
 * <p>Policies: {@code basic} (the quickstart's flips, turns, rotation, zoom, brightness/contrast),
 * {@code advanced} (+ shear/translate, perspective, colour, gamma, sharpness, grey, blur,
 * motion blur, noise, JPEG, all at probability 1 so every op runs on every sample),
 * {@code randaugment} (2 ops at M9) and {@code mix} (basic + erasing + Mixup/CutMix).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class AugmentBenchmark {
    @Param({"basic", "advanced", "randaugment", "mix"})
    public String policy;

    @Param({"64"})
    public int batch;

    /** Square input side in pixels (224; 384 via -p size=384). */
    @Param({"224"})
    public int size;

    /** libtorch (and OpenCV) intra-op threads. */
    @Param({"2"})
    public int threads;

    /** cpu, cuda or cuda:N. */
    @Param({"cpu"})
    public String device;

    private Device dev;
    private Augmenter augmenter;
    private Tensor images;
    private Tensor labels;
    private byte[] hostImages;
    private long step;

    static AugmentConfig policyConfig(String policy) {
        String basic = "hflip: 0.5\n  vflip: 0.5\n  rot90: 0.75\n  rotate_degrees: 45\n  scale_min: 0.85\n"
                + "  scale_max: 1.15\n  brightness: 0.2\n  contrast: 0.2\n";
        String yaml = switch (policy) {
            case "basic" -> "augment:\n  policy: basic\n  " + basic;
            case "advanced" -> "augment:\n  policy: advanced\n  " + basic
                    + "  advanced: {affine_prob: 1, perspective_prob: 1, color_prob: 1, grayscale: 1, blur_prob: 1,"
                    + " motion_blur_prob: 1, noise_prob: 1, jpeg_prob: 1}\n";
            case "randaugment" -> "augment:\n  policy: randaugment\n  " + basic;
            case "mix" -> "augment:\n  policy: basic\n  " + basic + "  erasing: {prob: 0.5, max_count: 2}\n"
                    + "  mixup: {enabled: true, prob: 0.5}\n  cutmix: {enabled: true, prob: 0.5}\n";
            default -> throw new IllegalArgumentException("policy: " + policy);
        };
        return Configs.fromYaml(yaml, "AugmentBenchmark", List.of()).augment();
    }

    @Setup(Level.Trial)
    public void setUp() {
        NativeRuntime.init();
        Fixtures.checkOpenBlasThreads();
        TorchSettings.setThreads(threads);
        opencv_core.setNumThreads(threads);
        dev = Device.parse(device);
        augmenter = new Augmenter(policyConfig(policy), Fixtures.NUM_CLASSES, ModelSpec.IMAGENET_MEAN,
                ModelSpec.IMAGENET_STD, dev, false);
        images = Fixtures.randomImages(batch, size, dev);
        labels = Fixtures.randomLabels(batch, dev);
        hostImages = new byte[batch * size * size * 3];
        new SplittableRandom(Fixtures.SEED).nextBytes(hostImages);
        step = 0;
    }

    @Benchmark
    public long batched(ImageCounter counter) {
        long n;
        try (var s = Memory.step()) {
            Augmenter.Augmented a = augmenter.train(images, labels, 3, 10, Fixtures.SEED + step++);
            Fixtures.sync(dev);
            n = a.images().numel() + a.targets().numel();
        }
        counter.images += batch;
        return n;
    }

    /**
     * The per-image CPU path a Python loader worker runs: for each image, a random affine warp
     * (flip, rotation, zoom), brightness/contrast, a gaussian blur, then float conversion with
     * the ImageNet scaling. Policy-independent (it is the comparison row).
     */
    @Benchmark
    public double opencvPerImage(ImageCounter counter) {
        SplittableRandom rng = new SplittableRandom(Fixtures.SEED + step++);
        double sink = 0;
        int plane = size * size * 3;
        float[] out = new float[plane];
        try (Mat src = new Mat(size, size, opencv_core.CV_8UC3); Mat warped = new Mat(); Mat blurred = new Mat();
             Mat f = new Mat(); Size sz = new Size(size, size); Scalar border = new Scalar(255, 255, 255, 0)) {
            BytePointer data = src.data();
            for (int i = 0; i < batch; i++) {
                data.put(hostImages, i * plane, plane);
                double angle = (rng.nextDouble() * 2 - 1) * 45 + 90 * rng.nextInt(4);
                double scale = 0.85 + rng.nextDouble() * 0.3;
                try (Point2f c = new Point2f(size / 2f, size / 2f);
                     Mat m = opencv_imgproc.getRotationMatrix2D(c, angle, scale)) {
                    if (rng.nextBoolean()) {
                        // horizontal flip folded into the matrix: x' = size - 1 - x
                        opencv_core.flip(src, src, 1);
                    }
                    opencv_imgproc.warpAffine(src, warped, m, sz, opencv_imgproc.INTER_LINEAR,
                            opencv_core.BORDER_REPLICATE, border);
                }
                double contrast = 1 + (rng.nextDouble() * 2 - 1) * 0.2;
                double bright = (rng.nextDouble() * 2 - 1) * 0.2 * 255;
                warped.convertTo(warped, -1, contrast, bright);
                double sigma = 0.1 + rng.nextDouble() * 1.4;
                int k = 2 * (int) Math.ceil(3 * sigma) + 1;
                try (Size ks = new Size(k, k)) {
                    opencv_imgproc.GaussianBlur(warped, blurred, ks, sigma);
                }
                // (x / 255 - 0.45) / 0.226: one scale and offset for all channels
                blurred.convertTo(f, opencv_core.CV_32F, 1 / (255 * 0.226), -0.45 / 0.226);
                new FloatPointer(f.data()).get(out);
                sink += out[i % out.length];
            }
        }
        counter.images += batch;
        return sink;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Fixtures.sync(dev);
        augmenter.close();
        images.close();
        labels.close();
    }
}
