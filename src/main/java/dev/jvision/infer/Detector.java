package dev.jvision.infer;

import dev.jvision.augment.detect.Letterbox;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.data.Images;
import dev.jvision.detect.DetectionImages;
import dev.jvision.detect.DetectionModel;
import dev.jvision.detect.DetectionTraining;
import dev.jvision.detect.RunClasses;
import dev.jvision.models.Weights;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.models.detect.Detections;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Finds objects in images with a detection run's best checkpoint, from any number of threads:
 * the detection counterpart of {@link Classifier} (the network itself is
 * {@link dev.jvision.models.detect.Detector}).
 *
 * <pre>{@code
 * try (Detector d = Detector.fromRun(Path.of("runs/20261208-detect-quickstart"))) {
 *     for (Detector.Box b : d.detect(Path.of("tray.jpg"))) {
 *         System.out.println(b.className() + " " + b.score() + " at " + b.x1() + "," + b.y1());
 *     }
 * }
 * }</pre>
 *
 * <p><b>How requests run.</b> The calling thread decodes and letterboxes its image to the run's
 * {@code data.img_size}; a {@link DynamicBatcher} worker that alone owns the model groups waiting
 * images into batches of up to {@code maxBatch} (waiting at most {@code maxDelay}), decodes with
 * NMS at the run's {@code detect.conf} / {@code detect.iou} / {@code detect.max_det} and maps the
 * boxes back to each image's own pixels. At most {@code maxQueue} images wait; a call that does not
 * fit throws {@link QueueFullException}. {@link #close()} lets queued images finish, frees the
 * model and refuses later calls with {@link IllegalStateException}.
 *
 * <p><b>Thread-safety:</b> all methods are thread-safe; results are immutable values owned by the caller.
 */
public final class Detector implements AutoCloseable {
    /**
     * One detected object, in the pixels of the image given. Immutable.
     *
     * @param classId   class index of the run
     * @param className its name
     * @param score     confidence in [0, 1]
     */
    public record Box(int classId, String className, float score, float x1, float y1, float x2, float y2) {
        public float width() {
            return x2 - x1;
        }

        public float height() {
            return y2 - y1;
        }
    }

    /** An image decoded and letterboxed on the caller's thread. */
    private record Prepared(byte[] pixels, Letterbox.Placement placement) {}

    private final DynamicBatcher<Prepared, List<Box>> batcher;
    private final int size;
    private final RunClasses classes;

    private Detector(DynamicBatcher<Prepared, List<Box>> batcher, int size, RunClasses classes) {
        this.batcher = batcher;
        this.size = size;
        this.classes = classes;
    }

    /** The run's detector on its configured device; batches of up to 8, 2 ms delay, 256 waiting images. */
    public static Detector fromRun(Path runDir) throws IOException {
        Path cfg = runDir.resolve("config.yaml");
        if (!Files.isRegularFile(cfg)) {
            throw new IllegalArgumentException(runDir + ": no config.yaml (expected: a detection run folder)");
        }
        Experiment exp = Configs.load(cfg, List.of());
        NativeRuntime.init();
        return of(exp, runDir, Device.parse(exp.experiment().device()), 8, Duration.ofMillis(2), 256);
    }

    /**
     * The detector of {@code runDir} ({@code fold0/best.safetensors}, {@code classes.json}) with
     * {@code exp}'s model, input size and {@code detect:} thresholds.
     *
     * @throws IllegalArgumentException when the run is not a detection run or lacks its files
     */
    public static Detector of(Experiment exp, Path runDir, Device device, int maxBatch, Duration maxDelay, int maxQueue)
            throws IOException {
        return of(exp, runDir, runDir.resolve("fold" + DetectionTraining.FOLD).resolve("best.safetensors"), device,
                maxBatch, maxDelay, maxQueue);
    }

    /**
     * Like {@link #of(Experiment, Path, Device, int, Duration, int)} with another checkpoint of the
     * run ({@code weights}, e.g. {@code fold0/last.safetensors}).
     */
    public static Detector of(Experiment exp, Path runDir, Path weights, Device device, int maxBatch, Duration maxDelay,
                              int maxQueue) throws IOException {
        if (!exp.isDetection()) {
            throw new IllegalArgumentException(runDir + ": task " + exp.task() + " (expected: a task: detection run)");
        }
        RunClasses classes = RunClasses.read(runDir);
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(weights + ": not found (expected: the best checkpoint of a detection run)");
        }
        int size = exp.data().imgSize();
        DetectionDecoder.Options opts = new DetectionDecoder.Options(exp.detect().conf(), exp.detect().iou(),
                exp.detect().maxDet(), Math.max(3000, exp.detect().maxDet()), false);
        try {
            DynamicBatcher<Prepared, List<Box>> b = new DynamicBatcher<>("detector", () -> {
                DetectionModel m = DetectionModel.create(exp.model().name(), classes.names().size(), exp.detect().regMax());
                try {
                    Weights.load(m, weights, false);
                    m.to(device);
                    m.train(false);
                } catch (IOException | RuntimeException e) {
                    m.close();
                    throw e;
                }
                return new Engine(m, device, size, opts, classes);
            }, maxBatch, maxDelay, maxQueue);
            return new Detector(b, size, classes);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("detector: " + e.getMessage(), e);
        }
    }

    /** Objects in an image file, best first. @throws IOException naming the file when it cannot be read or decoded */
    public List<Box> detect(Path image) throws IOException {
        return Classifier.await(batcher.submit(prepare(Images.decode(image))));
    }

    /** Objects in an encoded image (JPEG, PNG, ...). @throws IllegalArgumentException when the bytes do not decode */
    public List<Box> detect(byte[] encoded) {
        try {
            return Classifier.await(batcher.submit(prepare(Images.decode(encoded, "image bytes"))));
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Objects in a decoded image. */
    public List<Box> detect(BufferedImage image) {
        return detect(Images.fromBufferedImage(image));
    }

    /** Objects in an image decoded by {@link Images#decode}. */
    public List<Box> detect(Images.Rgb image) {
        return Classifier.await(batcher.submit(prepare(image)));
    }

    /** Objects in each image ({@link Path}, {@code byte[]} or {@link BufferedImage}), in list order; queued all or nothing. */
    public List<List<Box>> detect(List<?> images) throws IOException {
        List<Prepared> in = new ArrayList<>(images.size());
        for (Object o : images) {
            Images.Rgb rgb;
            if (o instanceof Path p) {
                rgb = Images.decode(p);
            } else if (o instanceof byte[] b) {
                rgb = Images.decode(b, "image bytes");
            } else if (o instanceof BufferedImage bi) {
                rgb = Images.fromBufferedImage(bi);
            } else {
                throw new IllegalArgumentException("image: " + (o == null ? "null" : o.getClass().getName())
                        + " (expected: Path, byte[] or BufferedImage)");
            }
            in.add(prepare(rgb));
        }
        List<List<Box>> out = new ArrayList<>();
        for (CompletableFuture<List<Box>> f : batcher.submitAll(in)) {
            out.add(Classifier.await(f));
        }
        return out;
    }

    /** The class names, index = class id. */
    public List<String> classNames() {
        return classes.names();
    }

    /** The square input side images are letterboxed to. */
    public int inputSize() {
        return size;
    }

    private Prepared prepare(Images.Rgb rgb) {
        return new Prepared(DetectionImages.letterbox(rgb, size), DetectionImages.plan(rgb.w(), rgb.h(), size));
    }

    @Override
    public void close() {
        batcher.close();
    }

    /** The worker's model: one batch per call, in one native scope. */
    private static final class Engine implements DynamicBatcher.Engine<Prepared, List<Box>> {
        private final DetectionModel model;
        private final Device device;
        private final int size;
        private final DetectionDecoder.Options opts;
        private final RunClasses classes;

        Engine(DetectionModel model, Device device, int size, DetectionDecoder.Options opts, RunClasses classes) {
            this.model = model;
            this.device = device;
            this.size = size;
            this.opts = opts;
            this.classes = classes;
        }

        @Override
        public List<List<Box>> run(List<Prepared> batch) {
            int plane = size * size * 3;
            byte[] pixels = new byte[batch.size() * plane];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.get(i).pixels(), 0, pixels, i * plane, plane);
            }
            List<List<Detections.Box>> found;
            try (var scope = Memory.step(); NoGradGuard ng = new NoGradGuard()) {
                Tensor x = Tensors.fromBytes(pixels, batch.size(), size, size, 3).to(device.toNative(), torch.ScalarType.Byte)
                        .permute(0, 3, 1, 2).to(torch.ScalarType.Float).div(new Scalar(255.0)).contiguous();
                found = model.detector().predict(x, opts).toLists();
            }
            List<List<Box>> out = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                Letterbox.Placement p = batch.get(i).placement();
                List<Box> boxes = new ArrayList<>();
                for (Detections.Box b : found.get(i)) {
                    float[] o = p.toOriginal(new float[] {b.x1(), b.y1(), b.x2(), b.y2()});
                    boxes.add(new Box(b.classId(), classes.name(b.classId()), b.score(), o[0], o[1], o[2], o[3]));
                }
                out.add(List.copyOf(boxes));
            }
            return out;
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
