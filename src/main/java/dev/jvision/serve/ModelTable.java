package dev.jvision.serve;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The loaded models by name and version. A request without a version gets the highest one:
 * versions compare as numbers when both are whole numbers, else as text (numbers first).
 * Immutable and thread-safe.
 */
final class ModelTable {
    /** Orders versions: whole numbers numerically, before any other text, which is ordered as text. */
    static final Comparator<String> VERSIONS = (a, b) -> {
        boolean na = a.matches("\\d{1,18}");
        boolean nb = b.matches("\\d{1,18}");
        if (na && nb) {
            return Long.compare(Long.parseLong(a), Long.parseLong(b));
        }
        return na != nb ? (na ? -1 : 1) : a.compareTo(b);
    };

    private final Map<String, TreeMap<String, ServedModel>> byName = new LinkedHashMap<>();
    private final List<ServedModel> all;

    ModelTable(List<ServedModel> models) {
        this.all = List.copyOf(models);
        for (ServedModel m : models) {
            byName.computeIfAbsent(m.name(), k -> new TreeMap<>(VERSIONS)).put(m.version(), m);
        }
    }

    List<ServedModel> all() {
        return all;
    }

    /** Every version of {@code name}, lowest first; empty when the name is not served. */
    List<ServedModel> versions(String name) {
        TreeMap<String, ServedModel> v = byName.get(name);
        return v == null ? List.of() : new ArrayList<>(v.values());
    }

    /**
     * The model {@code name} at {@code version} (null: the highest version).
     *
     * @throws ApiError 404 naming what is served
     */
    ServedModel find(String name, String version) {
        TreeMap<String, ServedModel> v = byName.get(name);
        if (v == null) {
            throw new ApiError(404, "model_not_found", "no model '" + name + "' (expected one of: "
                    + String.join(", ", byName.keySet()) + ")");
        }
        if (version == null) {
            return v.lastEntry().getValue();
        }
        ServedModel m = v.get(version);
        if (m == null) {
            throw new ApiError(404, "version_not_found", "model '" + name + "' has no version '" + version
                    + "' (expected one of: " + String.join(", ", v.keySet()) + ")");
        }
        return m;
    }
}
