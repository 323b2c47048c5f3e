package dev.jvision.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The validation scores of the best epoch so far (by the task's monitor). Immutable.
 *
 * @param epoch   1-based epoch, -1 before the first validation
 * @param metrics the task's validation metrics of that epoch by name (empty before one), in the task's order
 */
public record BestEpoch(int epoch, Map<String, Double> metrics) {
    /** Before any validation. */
    public static final BestEpoch NONE = new BestEpoch(-1, Map.of());

    public BestEpoch {
        metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** Metric {@code name} of the best epoch, NaN when the task reports no such metric (or before one). */
    public double metric(String name) {
        Double v = metrics.get(name);
        return v == null ? Double.NaN : v;
    }
}
