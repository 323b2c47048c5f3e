package dev.jvision.infer;

import dev.jvision.augment.Tta;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Image classification for services: load a trained run, checkpoint, ensemble or a model's
 * weights once, then call {@link #predict} from any number of request threads.
 *
 * <pre>{@code
 * try (Classifier c = Classifier.fromRun(Path.of("runs/20250101-120000-quickstart"))) {
 *     Prediction p = c.predict(requestBytes);            // any encoded image
 *     System.out.println(p.best().name() + " " + p.best().probability());
 * }
 * }</pre>
 *
 * <p><b>How requests run.</b> The calling thread decodes and resizes its image (the same
 * {@link Preprocessing} path as batch prediction and training's validation), then queues it.
 * One worker thread owns the models and groups waiting images into device batches of up to
 * {@link Builder#maxBatchSize} images, waiting at most {@link Builder#maxQueueDelay} after the
 * oldest image for others to join (and not at all when recent batches show no other caller);
 * each batch runs in one native scope. Results are the same as one image at a time, up to float
 * rounding of batched kernels. TTA views and ensemble members (weights, temperatures) are applied
 * inside the batch as {@link EnsemblePredictor} applies them.
 *
 * <p><b>Back-pressure and shutdown.</b> At most {@link Builder#maxQueueSize} images wait; a
 * call that does not fit throws {@link QueueFullException} (nothing is dropped silently).
 * {@link #close()} refuses new calls with {@link IllegalStateException}, lets every queued image
 * complete, frees the models and returns; no call is left waiting.
 *
 * <p><b>Thread-safety:</b> all methods are thread-safe. Results are immutable values owned by
 * the caller. Probabilities are calibrated (divided by the run's temperature) when the run has
 * {@code calibration.json} or {@code oof_logits.csv}, or a temperature is given; see
 * {@link Prediction#calibrated()}.
 */
public final class Classifier implements AutoCloseable {
    private final DynamicBatcher<byte[][], Prediction> batcher;
    private final int[] sizes;
    private final int numClasses;
    private final List<String> classNames;
    private final Device device;
    private final String description;

    private Classifier(DynamicBatcher<byte[][], Prediction> batcher, int[] sizes, int numClasses, List<String> classNames,
                       Device device, String description) {
        this.batcher = batcher;
        this.sizes = sizes;
        this.numClasses = numClasses;
        this.classNames = classNames;
        this.device = device;
        this.description = description;
    }

    /** A builder with the default settings; choose one source. */
    public static Builder builder() {
        return new Builder();
    }

    /** Every fold of a run folder made by {@code jvision train}/{@code pipeline}, calibrated when it can be. */
    public static Classifier fromRun(Path runDir) throws IOException {
        return builder().run(runDir).build();
    }

    /** One checkpoint ({@code .safetensors} with its {@code .json} sidecar). */
    public static Classifier fromCheckpoint(Path weights) throws IOException {
        return builder().checkpoints(List.of(weights)).build();
    }

    /** An ensemble file ({@code members: [{run|checkpoint, weight, temperature}]}, see {@link EnsembleFile}). */
    public static Classifier fromEnsemble(Path membersYaml) throws IOException {
        return builder().ensemble(membersYaml).build();
    }

    /** A registered model with bare weights (e.g. timm's {@code model.safetensors}) at the model's input size. */
    public static Classifier fromWeights(String model, int numClasses, Path weights) throws IOException {
        return builder().weights(model, numClasses, weights).build();
    }

    /**
     * Classifies an image file.
     *
     * @throws IOException naming the file when it cannot be read or decoded
     *         ({@link java.nio.file.NoSuchFileException} when missing)
     * @throws QueueFullException when the queue is full
     * @throws IllegalStateException after {@link #close()}
     */
    public Prediction predict(Path image) throws IOException {
        return await(submit(prepare(image, image.toString())));
    }

    /**
     * Classifies an encoded image (JPEG, PNG, BMP, WebP, TIFF, ...).
     *
     * @throws IllegalArgumentException when the bytes cannot be decoded
     * @throws QueueFullException when the queue is full
     * @throws IllegalStateException after {@link #close()}
     */
    public Prediction predict(byte[] encoded) {
        return await(submit(prepareUnchecked(encoded, "image bytes")));
    }

    /** Classifies a decoded image. */
    public Prediction predict(BufferedImage image) {
        return await(submit(prepareUnchecked(image, "BufferedImage")));
    }

    /**
     * Classifies a list of images, each a {@link Path}, an encoded {@code byte[]} or a
     * {@link BufferedImage}; the results are in list order. The list is queued all or nothing.
     */
    public List<Prediction> predict(List<?> images) throws IOException {
        List<CompletableFuture<Prediction>> fs = submitAll(images);
        List<Prediction> out = new ArrayList<>(fs.size());
        for (CompletableFuture<Prediction> f : fs) {
            out.add(await(f));
        }
        return out;
    }

    /**
     * Queues one image (a {@link Path}, an encoded {@code byte[]} or a {@link BufferedImage}) and
     * returns at once; the future completes on the worker thread. Decoding happens on the calling
     * thread, so bad input fails here rather than in the future.
     */
    public CompletableFuture<Prediction> submit(Object image) throws IOException {
        return submit(prepare(image, describe(image)));
    }

    /** As {@link #submit(Object)} for a list (all queued or none). */
    public List<CompletableFuture<Prediction>> submitAll(List<?> images) throws IOException {
        List<byte[][]> prepared = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            prepared.add(prepare(images.get(i), "images[" + i + "]"));
        }
        return batcher.submitAll(prepared);
    }

    /** The number of classes. */
    public int numClasses() {
        return numClasses;
    }

    /** Class names by id (the ids as text where the run has none). */
    public List<String> classNames() {
        return classNames;
    }

    /** The square input sizes of the models (one unless ensemble members differ). */
    public List<Integer> inputSizes() {
        return java.util.Arrays.stream(sizes).boxed().toList();
    }

    /** Where the models run. */
    public Device device() {
        return device;
    }

    /** Images and batches run so far and the largest batch, for monitoring. */
    public Stats stats() {
        DynamicBatcher.Stats s = batcher.stats();
        return new Stats(s.images(), s.batches(), s.largestBatch());
    }

    /**
     * Counters since the classifier was built.
     *
     * @param images       images classified
     * @param batches      device batches run
     * @param largestBatch the largest batch so far
     */
    public record Stats(long images, long batches, int largestBatch) {
        /** Mean images per batch (0 before the first). */
        public double meanBatchSize() {
            return batches == 0 ? 0 : (double) images / batches;
        }
    }

    /** Refuses new calls, completes every queued one, frees the models. Idempotent. */
    @Override
    public void close() {
        batcher.close();
    }

    @Override
    public String toString() {
        return "Classifier[" + description + ", " + numClasses + " classes, " + inputSizes() + " px, " + device + "]";
    }

    private CompletableFuture<Prediction> submit(byte[][] prepared) {
        return batcher.submit(prepared);
    }

    /**
     * Decodes and resizes on the calling thread. A file that cannot be read is an
     * {@link IOException}; bytes or images that cannot be decoded are bad input
     * ({@link IllegalArgumentException}).
     */
    private byte[][] prepare(Object image, String what) throws IOException {
        if (image == null) {
            throw new IllegalArgumentException(what + ": null (expected: a Path, an encoded image byte[] or a BufferedImage)");
        }
        try {
            byte[][] out = new byte[sizes.length][];
            if (sizes.length == 1) {
                out[0] = Preprocessing.pixels(image, sizes[0], what);
                return out;
            }
            var rgb = Preprocessing.decode(image, what);
            for (int s = 0; s < sizes.length; s++) {
                out[s] = dev.jvision.data.Images.resize(rgb, sizes[s]);
            }
            return out;
        } catch (IOException e) {
            if (image instanceof Path) {
                throw e;
            }
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    private byte[][] prepareUnchecked(Object image, String what) {
        try {
            return prepare(image, what);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not reached: only files throw IOException
        }
    }

    private static String describe(Object image) {
        return image instanceof Path p ? p.toString() : image instanceof byte[] ? "image bytes" : "image";
    }

    /** Waits for a result, rethrowing the worker's exception unchanged where it is unchecked. */
    private static Prediction await(CompletableFuture<Prediction> f) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    // the request is queued and will complete; finish waiting, keep the interrupt
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException r) {
                        throw r;
                    }
                    if (c instanceof Error err) {
                        throw err;
                    }
                    throw new CompletionException(c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Settings and source of a {@link Classifier}. Defaults: device {@code auto}, batches of up
     * to 32 images, at most 5 ms of waiting for a batch to fill, 1024 waiting images, top 5
     * classes, no TTA, calibrated when the run allows. Not thread-safe; build once.
     */
    public static final class Builder {
        private final List<EnsembleMember> members = new ArrayList<>();
        private String bareModel;
        private int bareClasses;
        private String source;
        private Device device;
        private int maxBatchSize = 32;
        private Duration maxQueueDelay = Duration.ofMillis(5);
        private int maxQueueSize = 1024;
        private int topK = 5;
        private List<String> ttaViews = List.of();
        private boolean calibrated = true;
        private Double temperature;
        private Integer imgSize;
        private boolean channelsLast = true;

        private Builder() {}

        private void setSource(String s) {
            if (source != null) {
                throw new IllegalStateException("Classifier source already set to " + source + " (expected: one of run, "
                        + "checkpoints, ensemble or weights)");
            }
            source = s;
        }

        /** Every {@code fold*}/best.safetensors of a run folder (equal weights). */
        public Builder run(Path runDir) throws IOException {
            setSource("run " + runDir);
            members.add(EnsembleMember.ofRun(runDir, 1.0));
            return this;
        }

        /** Checkpoints with sidecars, averaged with equal weights. */
        public Builder checkpoints(List<Path> weights) {
            setSource("checkpoints " + weights);
            members.addAll(EnsembleMember.ofCheckpoints(weights));
            return this;
        }

        /** An ensemble file. */
        public Builder ensemble(Path membersYaml) throws IOException {
            setSource("ensemble " + membersYaml);
            members.addAll(EnsembleFile.read(membersYaml));
            return this;
        }

        /** A registered model with bare weights and {@code numClasses} outputs. */
        public Builder weights(String model, int numClasses, Path weights) {
            setSource("model " + model + " with " + weights);
            Models.spec(model);
            if (numClasses < 1) {
                throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
            }
            bareModel = model;
            bareClasses = numClasses;
            members.addAll(EnsembleMember.ofCheckpoints(List.of(weights)));
            return this;
        }

        /** Where to run (default: {@code Device.parse("auto")}). */
        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        /** Largest device batch, &gt;= 1 (1 turns batching off). */
        public Builder maxBatchSize(int n) {
            this.maxBatchSize = n;
            return this;
        }

        /** How long the oldest waiting image may wait for others to fill its batch, &gt;= 0. */
        public Builder maxQueueDelay(Duration d) {
            this.maxQueueDelay = d;
            return this;
        }

        /** How many images may wait before calls are rejected with {@link QueueFullException}, &gt;= 1. */
        public Builder maxQueueSize(int n) {
            this.maxQueueSize = n;
            return this;
        }

        /** How many classes each {@link Prediction} lists (capped at the number of classes), &gt;= 1. */
        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        /** TTA views to average (names as {@link Tta#parse(String)}; empty = no TTA). */
        public Builder tta(List<String> views) {
            this.ttaViews = List.copyOf(views);
            return this;
        }

        /** Whether to apply the run's temperature (default true; false reports raw softmax). */
        public Builder calibrated(boolean on) {
            this.calibrated = on;
            return this;
        }

        /** A fixed temperature for every member, overriding runs' calibration and the ensemble file. */
        public Builder temperature(double t) {
            if (!(t > 0) || !Double.isFinite(t)) {
                throw new IllegalArgumentException("temperature: " + t + " (expected: a finite number > 0)");
            }
            this.temperature = t;
            return this;
        }

        /** Input size for bare weights (default: the model's); checkpoints keep the size they were trained at. */
        public Builder imgSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("img_size: " + size + " (expected: >= 1)");
            }
            this.imgSize = size;
            return this;
        }

        /** Channels-last memory format on CUDA (default true; ignored on the CPU). */
        public Builder channelsLast(boolean on) {
            this.channelsLast = on;
            return this;
        }

        /**
         * Reads the sidecars and calibration, then loads every checkpoint on the worker thread.
         *
         * @throws IllegalArgumentException for bad settings or checkpoints (naming the file)
         * @throws IllegalStateException when no source was chosen
         */
        public Classifier build() throws IOException {
            if (source == null) {
                throw new IllegalStateException("Classifier needs a source: run, checkpoints, ensemble or weights");
            }
            if (topK < 1) {
                throw new IllegalArgumentException("top_k: " + topK + " (expected: >= 1)");
            }
            NativeRuntime.init();
            Device dev = device != null ? device : Device.parse("auto");
            List<Tta.View> views = ttaViews.isEmpty() ? List.of(Tta.identity()) : Tta.parse(ttaViews, 0);
            double[] w = Ensemble.normalise(members.stream().mapToDouble(EnsembleMember::weight).toArray());
            List<ServingModel.Plan> plans = new ArrayList<>();
            LinkedHashSet<Integer> sizeSet = new LinkedHashSet<>();
            List<CheckpointInfo> infos = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            List<double[]> shareAndT = new ArrayList<>();
            for (int m = 0; m < members.size(); m++) {
                EnsembleMember member = members.get(m);
                double t = temperatureOf(member);
                for (Path file : member.checkpoints()) {
                    CheckpointInfo info = bareModel != null ? bareInfo(file) : Checkpoint.readInfo(file);
                    infos.add(info);
                    files.add(file);
                    shareAndT.add(new double[] {w[m] / member.checkpoints().size(), t});
                    sizeSet.add(info.imgSize());
                }
            }
            CheckpointInfo first = infos.get(0);
            for (int i = 1; i < infos.size(); i++) {
                CheckpointInfo o = infos.get(i);
                if (o.numClasses() != first.numClasses()) {
                    throw new IllegalArgumentException(files.get(i) + ": " + o.numClasses() + " classes (expected: "
                            + first.numClasses() + ", as " + files.get(0) + ")");
                }
                if (hasNames(o) && hasNames(first) && !o.classNames().equals(first.classNames())) {
                    throw new IllegalArgumentException(files.get(i) + ": class names " + o.classNames() + " (expected: "
                            + first.classNames() + ", as " + files.get(0) + ")");
                }
            }
            CheckpointInfo named = infos.stream().filter(Builder::hasNames).findFirst().orElse(first);
            List<String> names = new ArrayList<>();
            for (int c = 0; c < first.numClasses(); c++) {
                names.add(named.className(c));
            }
            int[] sizes = sizeSet.stream().mapToInt(Integer::intValue).toArray();
            for (int i = 0; i < infos.size(); i++) {
                plans.add(new ServingModel.Plan(files.get(i), infos.get(i), bareModel, indexOf(sizes, infos.get(i).imgSize()),
                        shareAndT.get(i)[0], shareAndT.get(i)[1]));
            }
            int k = Math.min(topK, first.numClasses());
            String what = source;
            DynamicBatcher<byte[][], Prediction> batcher;
            try {
                batcher = new DynamicBatcher<>("Classifier", () -> ServingModel.load(plans, sizes, views, k, names,
                        dev, channelsLast), maxBatchSize, maxQueueDelay, maxQueueSize);
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new UncheckedIOException(new IOException(what + ": " + e, e));
            }
            return new Classifier(batcher, sizes, first.numClasses(), List.copyOf(names), dev, what);
        }

        private CheckpointInfo bareInfo(Path file) throws IOException {
            ModelSpec spec = Models.spec(bareModel);
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null, "weights file not found");
            }
            return CheckpointInfo.forModel(spec, bareClasses, imgSize != null ? imgSize : spec.inputSize());
        }

        private double temperatureOf(EnsembleMember m) throws IOException {
            if (!calibrated) {
                return 1.0;
            }
            if (temperature != null) {
                return temperature;
            }
            if (m.temperature().isPresent()) {
                return m.temperature().get();
            }
            if (m.runDir() != null) {
                Optional<TemperatureScaling.Fit> f = TemperatureScaling.forRun(m.runDir(), false);
                if (f.isPresent()) {
                    return f.get().temperature();
                }
            }
            return 1.0;
        }

        private static boolean hasNames(CheckpointInfo i) {
            return i.classNames() != null && !i.classNames().isEmpty();
        }

        private static int indexOf(int[] a, int v) {
            for (int i = 0; i < a.length; i++) {
                if (a[i] == v) {
                    return i;
                }
            }
            throw new IllegalStateException("size " + v + " not among " + java.util.Arrays.toString(a));
        }
    }
}
