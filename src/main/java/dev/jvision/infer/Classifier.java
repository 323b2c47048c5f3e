package dev.jvision.infer;

import dev.jvision.runtime.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * {@link ClassifierBuilder#maxBatchSize} images, waiting at most
 * {@link ClassifierBuilder#maxQueueDelay} after the oldest image for others to join (and not at
 * all when recent batches show no other caller);
 * each batch runs in one native scope. Results are the same as one image at a time, up to float
 * rounding of batched kernels. TTA views and ensemble members (weights, temperatures) are applied
 * inside the batch as {@link EnsemblePredictor} applies them.
 *
 * <p><b>Back-pressure and shutdown.</b> At most {@link ClassifierBuilder#maxQueueSize} images
 * wait; a call that does not fit throws {@link QueueFullException} (nothing is dropped silently).
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

    Classifier(DynamicBatcher<byte[][], Prediction> batcher, int[] sizes, int numClasses, List<String> classNames,
               Device device, String description) {
        this.batcher = batcher;
        this.sizes = sizes;
        this.numClasses = numClasses;
        this.classNames = classNames;
        this.device = device;
        this.description = description;
    }

    /** A builder with the default settings; choose one source. */
    public static ClassifierBuilder builder() {
        return new ClassifierBuilder();
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

    /** A file made by {@code jvision export}, run by ONNX Runtime (see {@link ClassifierBuilder#onnx}). */
    public static Classifier fromOnnx(Path onnxFile) throws IOException {
        return builder().onnx(onnxFile, 0).build();
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
     *
     * <p>A caller that gives up completes the future itself ({@code cancel(false)},
     * {@code orTimeout}): an image still waiting then leaves the queue at once (its room is free
     * again) and never runs; one whose batch already runs finishes and its result is dropped.
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

    /** Images waiting now: queued and not yet in a running batch (at most {@code maxQueueSize}). */
    public int queued() {
        return batcher.waiting();
    }

    /** Images whose callers gave up (cancelled or timed-out futures) before they ran. */
    public long withdrawn() {
        return batcher.withdrawn();
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

    /**
     * Waits for a batcher's result (also {@link Detector}'s), rethrowing the worker's exception
     * unchanged where it is unchecked ({@link java.io.IOException} as {@link java.io.UncheckedIOException});
     * an interrupt does not abandon the queued request, it is kept for the caller.
     */
    static <T> T await(CompletableFuture<T> f) {
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
                    if (c instanceof java.io.IOException io) {
                        throw new java.io.UncheckedIOException(io);
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
}
