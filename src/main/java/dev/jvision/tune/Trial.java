package dev.jvision.tune;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One evaluation of the objective: hands out parameter values ({@code suggest*}) chosen by the
 * study's sampler and records them, takes intermediate values ({@link #report}) and asks the
 * pruner whether to stop ({@link #shouldPrune}). Suggesting a name again with the same
 * distribution returns the same value. Parameters fixed in advance (enqueued or re-queued
 * trials) are returned as fixed. Given to one objective call; not thread-safe.
 */
public final class Trial {
    private final Study study;
    private final long id;
    private final int number;
    private final Map<String, Object> fixed;
    private final List<FrozenTrial> history;
    private final Map<String, Double> params = new LinkedHashMap<>();
    private final Map<String, Distribution> dists = new LinkedHashMap<>();
    private Map<String, Distribution> relativeSpace;
    private Map<String, Double> relative;
    private int lastStep = -1;

    Trial(Study study, long id, int number, Map<String, Object> fixed, List<FrozenTrial> history) {
        this.study = study;
        this.id = id;
        this.number = number;
        this.fixed = fixed;
        List<FrozenTrial> others = new ArrayList<>(history.size());
        for (FrozenTrial t : history) {
            if (t.number() != number) {
                others.add(t);
            }
        }
        this.history = Collections.unmodifiableList(others);
    }

    /** 0-based trial number, unique in the study. */
    public int number() {
        return number;
    }

    /** A float uniform in {@code [low, high]}. */
    public double suggestFloat(String name, double low, double high) {
        return (Double) suggest(name, Distribution.FloatRange.uniform(low, high));
    }

    /** A float in {@code [low, high]}, log-uniform with {@code log}. */
    public double suggestFloat(String name, double low, double high, boolean log) {
        return (Double) suggest(name, new Distribution.FloatRange(low, high, log, 0));
    }

    /** A float {@code low + k * step} in {@code [low, high]}. */
    public double suggestFloat(String name, double low, double high, double step) {
        return (Double) suggest(name, new Distribution.FloatRange(low, high, false, step));
    }

    /** An integer in {@code [low, high]}. */
    public int suggestInt(String name, int low, int high) {
        return (Integer) suggest(name, Distribution.IntRange.of(low, high));
    }

    /** An integer {@code low + k * step} in {@code [low, high]}. */
    public int suggestInt(String name, int low, int high, int step) {
        return (Integer) suggest(name, new Distribution.IntRange(low, high, false, step));
    }

    /** An integer in {@code [low, high]}, log-uniform with {@code log}. */
    public int suggestInt(String name, int low, int high, boolean log) {
        return (Integer) suggest(name, new Distribution.IntRange(low, high, log, 1));
    }

    /** One of {@code choices} (strings, numbers, booleans or null). */
    @SuppressWarnings("unchecked")
    public <T> T suggestCategorical(String name, List<T> choices) {
        return (T) suggest(name, new Distribution.Categorical(new ArrayList<>(choices)));
    }

    /**
     * A value of {@code name} from {@code distribution} (user-facing: Double, Integer or the choice).
     *
     * @throws IllegalArgumentException if {@code name} was suggested with another distribution in this trial
     */
    public Object suggest(String name, Distribution distribution) {
        Distribution had = dists.get(name);
        if (had != null) {
            if (!had.equals(distribution)) {
                throw new IllegalArgumentException("parameter " + name + ": " + distribution.toJson()
                        + " (expected: " + had.toJson() + ", as suggested before in trial " + number + ")");
            }
            return had.toExternal(params.get(name));
        }
        double internal = choose(name, distribution);
        params.put(name, internal);
        dists.put(name, distribution);
        study.storage().setParam(id, name, distribution, internal);
        return distribution.toExternal(internal);
    }

    private double choose(String name, Distribution d) {
        if (fixed.containsKey(name)) {
            try {
                return d.toInternal(fixed.get(name));
            } catch (IllegalArgumentException e) {
                Study.LOG.warn("trial {}: fixed {} = {} is outside {}; sampling instead", number, name, fixed.get(name),
                        d.toJson());
            }
        }
        if (d.isSingle()) {
            return d instanceof Distribution.FloatRange f ? f.low()
                    : d instanceof Distribution.IntRange r ? r.low() : 0;
        }
        Sampler sampler = study.sampler();
        Sampler.Context ctx = new Sampler.Context(study.direction(), history, number, Collections.unmodifiableMap(params));
        if (relative == null) {
            relativeSpace = sampler.relativeSpace(ctx);
            relative = relativeSpace.isEmpty() ? Map.of() : sampler.sampleRelative(ctx, relativeSpace);
        }
        Double r = relative.get(name);
        if (r != null && d.equals(relativeSpace.get(name))) {
            return r;
        }
        return sampler.sampleIndependent(ctx, name, d);
    }

    /**
     * Records the objective's value at {@code step} (e.g. the validation metric after epoch
     * {@code step}) for the pruner and the plots.
     */
    public void report(double value, int step) {
        if (step < 0) {
            throw new IllegalArgumentException("step " + step + " (expected: >= 0)");
        }
        study.storage().report(id, step, value);
        lastStep = Math.max(lastStep, step);
    }

    /** Whether the study's pruner stops this trial at its last reported step. */
    public boolean shouldPrune() {
        if (lastStep < 0) {
            return false;
        }
        List<FrozenTrial> all = study.storage().trials(study.id());
        FrozenTrial me = null;
        for (FrozenTrial t : all) {
            if (t.id() == id) {
                me = t;
            }
        }
        return me != null && study.pruner().prune(study.direction(), all, me);
    }

    /** The parameters suggested so far (user-facing values), in order. */
    public Map<String, Object> params() {
        Map<String, Object> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, dists.get(k).toExternal(v)));
        return out;
    }

    /** Last step reported, or -1. */
    int lastStep() {
        return lastStep;
    }

    long id() {
        return id;
    }
}
