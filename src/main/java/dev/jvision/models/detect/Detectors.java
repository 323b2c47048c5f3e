package dev.jvision.models.detect;

import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The detector registry: every variant by name, built through one funnel, kept apart from the
 * classification registry ({@code Models}) because a detector is not an {@code ImageModel}
 * (different outputs, loss and post-processing). Variants: {@code det_tiny}, {@code det_small},
 * {@code det_medium} (the {@link CspBackbone} at width/depth 0.25/0.33, 0.5/0.33, 0.75/0.67 with
 * a neck of the same widths) and detectors over the zoo's backbones ({@code det_resnet18},
 * {@code det_resnet50}, {@code det_convnext_tiny}, {@code det_efficientnetv2_b0},
 * {@code det_efficientnetv2_s}), whose {@code backbone.*} parameters carry timm's names. Thread-safe
 * (the registry is fixed at class initialisation).
 */
public final class Detectors {
    /**
     * One registered variant. Immutable.
     *
     * @param name        registry name
     * @param backbone    backbone description ({@code csp w0.25 d0.33}, or the zoo model name)
     * @param inputSize   default square input size
     * @param factory     builds the detector
     */
    public record Spec(String name, String backbone, int inputSize, Function<DetectorOptions, Detector> factory) {}

    private static final Map<String, Spec> REGISTRY = new TreeMap<>();

    static {
        csp("det_nano", 0.125, 0.33, 640);
        csp("det_tiny", 0.25, 0.33, 640);
        csp("det_small", 0.5, 0.33, 640);
        csp("det_medium", 0.75, 0.67, 640);
        zoo("det_resnet18", "resnet18", new int[] {128, 256, 512});
        zoo("det_resnet50", "resnet50", new int[] {128, 256, 512});
        zoo("det_convnext_tiny", "convnext_tiny", new int[] {128, 256, 512});
        zoo("det_efficientnetv2_b0", "tf_efficientnetv2_b0", new int[] {64, 128, 256});
        zoo("det_efficientnetv2_s", "tf_efficientnetv2_s", new int[] {128, 256, 512});
    }

    private Detectors() {}

    private static void csp(String name, double width, double depth, int size) {
        REGISTRY.put(name, new Spec(name, "csp w" + width + " d" + depth, size, o -> csp(name, width, depth, size, o)));
    }

    private static void zoo(String name, String model, int[] neck) {
        REGISTRY.put(name, new Spec(name, model, 640, o -> withBackbone(name, model, neck, 1, 640, o)));
    }

    /**
     * Builds {@code name}; the caller owns (and closes) the detector.
     *
     * @throws IllegalArgumentException for an unknown name, listing the registered ones
     */
    public static Detector create(String name, DetectorOptions options) {
        return spec(name).factory().apply(options);
    }

    /** The registered spec of {@code name}. */
    public static Spec spec(String name) {
        Spec s = REGISTRY.get(name);
        if (s == null) {
            throw new IllegalArgumentException("model.name: '" + name + "' is not a registered detector (expected one of: "
                    + String.join(", ", REGISTRY.keySet()) + ")");
        }
        return s;
    }

    /** Registered names matching a glob such as {@code det_resnet*} (all for null or "*"). */
    public static List<String> list(String glob) {
        if (glob == null || glob.isBlank() || glob.equals("*")) {
            return List.copyOf(REGISTRY.keySet());
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        return REGISTRY.keySet().stream().filter(n -> m.matches(Path.of(n))).toList();
    }

    /** Every spec by name, sorted. */
    public static Map<String, Spec> specs() {
        return new LinkedHashMap<>(REGISTRY);
    }

    /**
     * A detector over a {@link CspBackbone} of the given multipliers (neck widths equal to the
     * backbone's, neck depth {@code round(3 * depth)}); inputs are not normalised (mean 0, std 1).
     */
    public static Detector csp(String name, double width, double depth, int inputSize, DetectorOptions options) {
        CspBackbone backbone = new CspBackbone(width, depth);
        int[] ch = backbone.pyramidChannels();
        return new Detector(name, backbone, backbone::forwardPyramid, ch, null, null, ch,
                CspBackbone.scaleDepth(3, depth), inputSize, options);
    }

    /**
     * A detector over the zoo model {@code model} (built with one class; its classifier is not
     * used), normalising inputs with the model's pretrained mean and std.
     */
    public static Detector withBackbone(String name, String model, int[] neckChannels, int neckDepth, int inputSize,
                                        DetectorOptions options) {
        ImageModel backbone = Models.create(model, ModelOptions.of(1));
        try {
            ModelSpec spec = backbone.spec();
            return new Detector(name, backbone, backbone::forwardPyramid, backbone.pyramidChannels(), spec.mean(),
                    spec.std(), neckChannels, neckDepth, inputSize, options);
        } catch (RuntimeException e) {
            backbone.close();
            throw e;
        }
    }
}
