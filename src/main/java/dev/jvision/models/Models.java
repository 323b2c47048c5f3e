package dev.jvision.models;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The model registry: every variant by its timm name, created through one funnel.
 * Thread-safe (the registry is fixed at class initialisation).
 */
public final class Models {
    private static final Map<String, ModelSpec> REGISTRY = new TreeMap<>();

    static {
        ResNet.register(REGISTRY);
        EfficientNetV2.register(REGISTRY);
        ConvNeXt.register(REGISTRY);
        SwinTransformer.register(REGISTRY);
        QuickNet.register(REGISTRY);
    }

    private Models() {}

    /**
     * Builds {@code name} with {@code options}; the caller owns (and closes) the model.
     *
     * @throws IllegalArgumentException for an unknown name, listing close matches
     */
    public static ImageModel create(String name, ModelOptions options) {
        return spec(name).factory().apply(options);
    }

    /** The registered spec of {@code name}. */
    public static ModelSpec spec(String name) {
        ModelSpec s = REGISTRY.get(name);
        if (s == null) {
            throw new IllegalArgumentException("model.name: '" + name + "' is not a registered model (did you mean "
                    + String.join(", ", closest(name, 3)) + "? `jvision models` lists all)");
        }
        return s;
    }

    /** Registered names matching a glob such as {@code resnet*} (all for null or "*"). */
    public static List<String> list(String glob) {
        if (glob == null || glob.isBlank() || glob.equals("*")) {
            return List.copyOf(REGISTRY.keySet());
        }
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        return REGISTRY.keySet().stream().filter(n -> m.matches(Path.of(n))).toList();
    }

    static List<String> closest(String name, int n) {
        return REGISTRY.keySet().stream()
                .sorted(Comparator.comparingInt((String k) -> editDistance(k, name)).thenComparing(k -> k))
                .limit(n).map(k -> "'" + k + "'").toList();
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
