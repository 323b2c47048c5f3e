package dev.jvision.tune;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A snapshot of one trial as stored: parameters (internal values with their distributions, in
 * the order they were suggested), intermediate values by step, state and value. Immutable
 * (maps are unmodifiable copies), thread-safe.
 *
 * @param id            storage key
 * @param number        0-based trial number, unique in the study
 * @param state         life-cycle state
 * @param value         objective value (COMPLETE; the last intermediate value for PRUNED), or null
 * @param params        internal parameter values by name
 * @param distributions parameter distributions by name
 * @param intermediate  reported values by step
 * @param fixed         parameters fixed in advance (enqueued / re-queued), external values
 * @param worker        the worker that claimed it, or null
 * @param startMillis   claim time (epoch ms, storage clock), 0 if not started
 * @param endMillis     finish time, 0 if not finished
 */
public record FrozenTrial(long id, int number, TrialState state, Double value, Map<String, Double> params,
                          Map<String, Distribution> distributions, NavigableMap<Integer, Double> intermediate,
                          Map<String, Object> fixed, String worker, long startMillis, long endMillis) {
    public FrozenTrial {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        distributions = Collections.unmodifiableMap(new LinkedHashMap<>(distributions));
        intermediate = Collections.unmodifiableNavigableMap(new TreeMap<>(intermediate));
        fixed = Collections.unmodifiableMap(new LinkedHashMap<>(fixed));
    }

    /** The user-facing value of parameter {@code name}, or null if the trial has none. */
    public Object param(String name) {
        Double v = params.get(name);
        return v == null ? null : distributions.get(name).toExternal(v);
    }

    /** All user-facing parameter values, in suggestion order. */
    public Map<String, Object> externalParams() {
        Map<String, Object> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, distributions.get(k).toExternal(v)));
        return out;
    }

    /** Last reported step, or -1. */
    public int lastStep() {
        return intermediate.isEmpty() ? -1 : intermediate.lastKey();
    }

    /** Seconds between claim and finish, or NaN. */
    public double seconds() {
        return endMillis > 0 && startMillis > 0 ? (endMillis - startMillis) / 1000.0 : Double.NaN;
    }
}
