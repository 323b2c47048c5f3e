package dev.jvision.models.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.models.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The preprocessing a timm checkpoint was trained with, from the {@code config.json} timm writes
 * next to {@code model.safetensors} on the hub: {@code architecture}, {@code num_classes} and the
 * {@code pretrained_cfg} section ({@code input_size}, {@code mean}, {@code std},
 * {@code interpolation}, {@code crop_pct}). Keys a file lacks are null / NaN / -1 and keep the
 * registry's values in {@link #applyTo}. Immutable and thread-safe.
 *
 * @param architecture timm model name, nullable
 * @param numClasses classes of the checkpoint's head, or -1 when not given
 * @param inputSize square input size (the larger side of {@code input_size}), or -1 when not given
 * @param mean per-channel RGB mean, nullable
 * @param std per-channel RGB std, nullable
 * @param interpolation resize interpolation, nullable
 * @param cropPct centre-crop fraction at evaluation, NaN when not given
 */
public record PretrainedConfig(String architecture, int numClasses, int inputSize, double[] mean, double[] std,
                               String interpolation, double cropPct) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A config that says nothing (a repository without {@code config.json}). */
    public static PretrainedConfig empty() {
        return new PretrainedConfig(null, -1, -1, null, null, null, Double.NaN);
    }

    /**
     * Reads timm's {@code config.json}.
     *
     * @throws IllegalArgumentException naming the file, the key, its value and what was expected
     */
    public static PretrainedConfig read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": " + (root == null ? "empty" : root.getNodeType())
                    + " (expected: a JSON object as timm writes it)");
        }
        JsonNode cfg = root.path("pretrained_cfg").isObject() ? root.get("pretrained_cfg") : root;
        String arch = text(root, "architecture");
        int classes = root.has("num_classes") ? positiveInt(file, root, "num_classes")
                : cfg.has("num_classes") ? positiveInt(file, cfg, "num_classes") : -1;
        int size = -1;
        if (cfg.hasNonNull("input_size")) {
            JsonNode s = cfg.get("input_size");
            if (!s.isArray() || s.size() != 3 || !s.get(0).canConvertToInt() || s.get(0).asInt() != 3
                    || !s.get(1).canConvertToInt() || !s.get(2).canConvertToInt() || s.get(1).asInt() < 1
                    || s.get(2).asInt() < 1) {
                throw bad(file, "pretrained_cfg.input_size", s, "[3, height, width]");
            }
            size = Math.max(s.get(1).asInt(), s.get(2).asInt());
        }
        double[] mean = triple(file, cfg, "mean", false);
        double[] std = triple(file, cfg, "std", true);
        double crop = Double.NaN;
        if (cfg.hasNonNull("crop_pct")) {
            JsonNode c = cfg.get("crop_pct");
            if (!c.isNumber() || c.asDouble() <= 0 || c.asDouble() > 1) {
                throw bad(file, "pretrained_cfg.crop_pct", c, "a number in (0, 1]");
            }
            crop = c.asDouble();
        }
        return new PretrainedConfig(arch, classes, size, mean, std, text(cfg, "interpolation"), crop);
    }

    /**
     * {@code spec} with this config's preprocessing where it gives one (input size, mean, std,
     * interpolation, crop fraction); name, family and factory stay.
     */
    public ModelSpec applyTo(ModelSpec spec) {
        return new ModelSpec(spec.name(), spec.family(), inputSize > 0 ? inputSize : spec.inputSize(),
                mean != null ? mean.clone() : spec.mean(), std != null ? std.clone() : spec.std(),
                Double.isNaN(cropPct) ? spec.cropPct() : cropPct,
                interpolation != null ? interpolation : spec.interpolation(), spec.factory());
    }

    @Override
    public String toString() {
        return "PretrainedConfig[architecture=" + architecture + ", num_classes=" + numClasses + ", input_size="
                + inputSize + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ", interpolation="
                + interpolation + ", crop_pct=" + cropPct + "]";
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText() : null;
    }

    private static int positiveInt(Path file, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw bad(file, key, v, "an integer >= 1");
        }
        return v.asInt();
    }

    private static double[] triple(Path file, JsonNode cfg, String key, boolean positive) {
        if (!cfg.hasNonNull(key)) {
            return null;
        }
        JsonNode v = cfg.get(key);
        if (!v.isArray() || v.size() != 3) {
            throw bad(file, "pretrained_cfg." + key, v, "3 numbers (R, G, B)");
        }
        double[] out = new double[3];
        for (int i = 0; i < 3; i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || (positive && e.asDouble() <= 0)) {
                throw bad(file, "pretrained_cfg." + key, v, "3 " + (positive ? "positive " : "") + "numbers (R, G, B)");
            }
            out[i] = e.asDouble();
        }
        return out;
    }

    private static IllegalArgumentException bad(Path file, String key, JsonNode value, String expected) {
        return new IllegalArgumentException(file + " " + key + ": " + value + " (expected: " + expected + ")");
    }
}
