package dev.jvision.models;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A loaded checkpoint: the model built from its sidecar ({@link CheckpointInfo}), with the
 * weights of the {@code .safetensors} file, on a device, in evaluation mode. Every jvision
 * caller that loads a trained checkpoint goes through {@link #load(Path, Device)} (prediction,
 * ensembles, the CLI, out-of-fold recomputation), so a bad checkpoint is reported the same way
 * everywhere: a missing file as {@link NoSuchFileException}; a missing or malformed sidecar, a
 * truncated or malformed weights file, an unknown model, or weights of another model (missing,
 * unexpected or mis-shaped keys) as {@link IllegalArgumentException} naming the file.
 *
 * <p>Owns its model until {@link #close()} (idempotent); {@link #model()} after close throws
 * {@link IllegalStateException}. Not thread-safe: the model must be used by one thread at a time.
 */
public final class Checkpoint implements AutoCloseable {
    private final Path file;
    private final CheckpointInfo info;
    private final Device device;
    private ImageModel model;

    private Checkpoint(Path file, CheckpointInfo info, Device device, ImageModel model) {
        this.file = file;
        this.info = info;
        this.device = device;
        this.model = model;
    }

    /**
     * Loads {@code weights} ({@code x.safetensors}) with its sidecar ({@code x.json}) onto
     * {@code device}.
     *
     * @throws NoSuchFileException when the weights file does not exist
     * @throws IOException when reading fails
     * @throws IllegalArgumentException naming the file for any bad content (see the class javadoc)
     */
    public static Checkpoint load(Path weights, Device device) throws IOException {
        CheckpointInfo info = readInfo(weights);
        return load(weights, info, device);
    }

    /**
     * Loads a bare weights file without a sidecar (for example timm's {@code model.safetensors})
     * into the registered model {@code modelName} with {@code numClasses} outputs; the implied
     * sidecar has the model's default input size and normalisation
     * ({@link CheckpointInfo#forModel}).
     *
     * @throws IllegalArgumentException for an unknown model, {@code numClasses < 1} or weights
     *         that do not fit, naming the file
     */
    public static Checkpoint load(String modelName, int numClasses, Path weights, Device device) throws IOException {
        ModelSpec spec = Models.spec(modelName);
        if (numClasses < 1) {
            throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
        }
        requireFile(weights);
        return load(weights, CheckpointInfo.forModel(spec, numClasses, spec.inputSize()), device);
    }

    /**
     * The validated sidecar of {@code weights}, without loading the weights.
     *
     * @throws NoSuchFileException when the weights file does not exist
     * @throws IllegalArgumentException when the sidecar is missing or malformed, names an unknown
     *         model or holds impossible sizes
     */
    public static CheckpointInfo readInfo(Path weights) throws IOException {
        requireFile(weights);
        Path sidecar = CheckpointInfo.sidecarOf(weights);
        CheckpointInfo info = CheckpointInfo.read(sidecar);
        if (info.model() == null) {
            throw new IllegalArgumentException(sidecar + " model: missing (expected: a registered model name)");
        }
        try {
            Models.spec(info.model());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(sidecar + " " + e.getMessage(), e);
        }
        if (info.numClasses() < 1) {
            throw new IllegalArgumentException(sidecar + " numClasses: " + info.numClasses() + " (expected: >= 1)");
        }
        if (info.imgSize() < 1) {
            throw new IllegalArgumentException(sidecar + " imgSize: " + info.imgSize() + " (expected: >= 1)");
        }
        if (info.mean() == null || info.mean().length != 3 || info.std() == null || info.std().length != 3) {
            throw new IllegalArgumentException(sidecar + " mean/std: (expected: 3 values each, RGB)");
        }
        if (info.classNames() != null && !info.classNames().isEmpty() && info.classNames().size() != info.numClasses()) {
            throw new IllegalArgumentException(sidecar + " classNames: " + info.classNames().size() + " names (expected: "
                    + info.numClasses() + ", one per class)");
        }
        return info;
    }

    private static Checkpoint load(Path weights, CheckpointInfo info, Device device) throws IOException {
        NativeRuntime.init();
        ImageModel m = Models.create(info.model(), ModelOptions.of(info.numClasses()));
        try {
            Weights.load(m, weights, false);
            m.to(device);
            m.train(false);
            return new Checkpoint(weights, info, device, m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static void requireFile(Path weights) throws NoSuchFileException {
        if (!Files.isRegularFile(weights)) {
            throw new NoSuchFileException(weights.toString(), null, "checkpoint weights not found");
        }
    }

    /** The weights file. */
    public Path file() {
        return file;
    }

    /** The sidecar (or the one implied for a bare weights file). */
    public CheckpointInfo info() {
        return info;
    }

    /** The device the model lives on. */
    public Device device() {
        return device;
    }

    /** The loaded model, owned by this checkpoint (do not close it; close the checkpoint). */
    public ImageModel model() {
        if (model == null) {
            throw new IllegalStateException("Checkpoint " + file + " is closed");
        }
        return model;
    }

    /** Closes the model. Idempotent. */
    @Override
    public void close() {
        if (model != null) {
            model.close();
            model = null;
        }
    }
}
