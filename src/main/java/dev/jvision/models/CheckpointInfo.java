package dev.jvision.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON sidecar of a checkpoint ({@code best.json} beside {@code best.safetensors}): what
 * model the weights belong to and how inputs were prepared, so that inference needs nothing
 * else. {@link Checkpoint#load} reads it together with the weights. Immutable and thread-safe.
 *
 * @param classNames the class names in id order, or null/empty when the run had none
 */
public record CheckpointInfo(String model, int numClasses, int imgSize, double[] mean, double[] std,
                             int fold, int epoch, double valF1, double valAcc, double valLoss,
                             List<String> classNames, String created) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The sidecar path of a weights file ({@code x.safetensors -> x.json}). */
    public static Path sidecarOf(Path weights) {
        String n = weights.getFileName().toString();
        String stem = n.endsWith(".safetensors") ? n.substring(0, n.length() - ".safetensors".length()) : n;
        return weights.resolveSibling(stem + ".json");
    }

    /**
     * The sidecar a bare weights file implies (for example a timm {@code model.safetensors}): the
     * model's default input size and normalisation, no class names, no scores.
     */
    public static CheckpointInfo forModel(ModelSpec spec, int numClasses, int imgSize) {
        return new CheckpointInfo(spec.name(), numClasses, imgSize, spec.mean(), spec.std(), -1, -1, Double.NaN,
                Double.NaN, Double.NaN, List.of(), null);
    }

    /** The name of class {@code id}: its entry in {@link #classNames()}, else the id as text. */
    public String className(int id) {
        return classNames != null && id >= 0 && id < classNames.size() ? classNames.get(id) : Integer.toString(id);
    }

    /** Writes atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, tmp -> JSON.writeValue(tmp.toFile(), this));
    }

    /** Reads a sidecar, with a message naming the file when it is missing or malformed. */
    public static CheckpointInfo read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": checkpoint sidecar not found (expected beside the .safetensors file)");
        }
        try {
            return JSON.readValue(file.toFile(), CheckpointInfo.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": malformed checkpoint sidecar: " + e.getMessage(), e);
        }
    }
}
