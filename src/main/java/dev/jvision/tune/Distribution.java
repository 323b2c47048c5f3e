package dev.jvision.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The range a hyper-parameter is drawn from. Samplers work on an <em>internal</em> double per
 * parameter: the value itself for {@link FloatRange} and {@link IntRange}, the index of the
 * choice for {@link Categorical}; {@link #toExternal} and {@link #toInternal} convert. Immutable,
 * thread-safe; equal distributions compare equal (a study keeps one per parameter name).
 */
public sealed interface Distribution permits Distribution.FloatRange, Distribution.IntRange, Distribution.Categorical {

    /** The user-facing value for an internal one ({@code Double}, {@code Integer} or the choice). */
    Object toExternal(double internal);

    /** The internal value of a user-facing one. @throws IllegalArgumentException if outside the distribution */
    double toInternal(Object external);

    /** Whether the internal value lies in the distribution. */
    boolean containsInternal(double internal);

    /** A single-value distribution (nothing to search). */
    boolean isSingle();

    /** JSON text, as stored in a study database ({@link #fromJson} reads it back). */
    String toJson();

    /**
     * Floats in {@code [low, high]}; {@code log} searches the logarithm (low must be positive);
     * a positive {@code step} (not with log) restricts values to {@code low + k * step}
     * and trims {@code high} to the last such value.
     */
    record FloatRange(double low, double high, boolean log, double step) implements Distribution {
        public FloatRange {
            if (!(low <= high) || !Double.isFinite(low) || !Double.isFinite(high)) {
                throw new IllegalArgumentException("float range [" + low + ", " + high + "] (expected: finite low <= high)");
            }
            if (log && low <= 0) {
                throw new IllegalArgumentException("float range low " + low + " with log (expected: low > 0)");
            }
            if (step < 0 || Double.isNaN(step)) {
                throw new IllegalArgumentException("float range step " + step + " (expected: > 0, or 0 for none)");
            }
            if (log && step > 0) {
                throw new IllegalArgumentException("float range with both log and step (expected: one of them)");
            }
            if (step > 0) {
                high = low + Math.floor((high - low) / step + 1e-9) * step;
            }
        }

        /** A uniform float range. */
        public static FloatRange uniform(double low, double high) {
            return new FloatRange(low, high, false, 0);
        }

        /** A log-uniform float range. */
        public static FloatRange logUniform(double low, double high) {
            return new FloatRange(low, high, true, 0);
        }

        @Override
        public Object toExternal(double internal) {
            return internal;
        }

        @Override
        public double toInternal(Object external) {
            if (!(external instanceof Number n)) {
                throw new IllegalArgumentException("value " + external + " (expected: a number in [" + low + ", " + high + "])");
            }
            double v = n.doubleValue();
            if (!containsInternal(v)) {
                throw new IllegalArgumentException("value " + v + " (expected: in [" + low + ", " + high + "])");
            }
            return v;
        }

        @Override
        public boolean containsInternal(double v) {
            double tol = 1e-12 * Math.max(1, Math.abs(high - low));
            return v >= low - tol && v <= high + tol;
        }

        @Override
        public boolean isSingle() {
            return low == high;
        }

        /** Rounds {@code v} to the step grid (if any) and clamps it into the range. */
        public double snap(double v) {
            if (step > 0) {
                v = low + Math.round((v - low) / step) * step;
            }
            return Math.min(high, Math.max(low, v));
        }

        @Override
        public String toJson() {
            ObjectNode o = Json.MAPPER.createObjectNode().put("type", "float").put("low", low).put("high", high);
            if (log) {
                o.put("log", true);
            }
            if (step > 0) {
                o.put("step", step);
            }
            return o.toString();
        }
    }

    /**
     * Integers in {@code [low, high]} with a {@code step} (>= 1; {@code high} trimmed to the
     * last reachable value); {@code log} (step 1 only, low >= 1) searches the logarithm.
     */
    record IntRange(int low, int high, boolean log, int step) implements Distribution {
        public IntRange {
            if (low > high) {
                throw new IllegalArgumentException("int range [" + low + ", " + high + "] (expected: low <= high)");
            }
            if (step < 1) {
                throw new IllegalArgumentException("int range step " + step + " (expected: >= 1)");
            }
            if (log && low < 1) {
                throw new IllegalArgumentException("int range low " + low + " with log (expected: low >= 1)");
            }
            if (log && step != 1) {
                throw new IllegalArgumentException("int range with log and step " + step + " (expected: step 1 with log)");
            }
            high = low + ((high - low) / step) * step;
        }

        /** Integers low..high. */
        public static IntRange of(int low, int high) {
            return new IntRange(low, high, false, 1);
        }

        @Override
        public Object toExternal(double internal) {
            return (int) Math.round(internal);
        }

        @Override
        public double toInternal(Object external) {
            if (!(external instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException("value " + external + " (expected: an integer in [" + low + ", " + high + "])");
            }
            double v = n.doubleValue();
            if (!containsInternal(v)) {
                throw new IllegalArgumentException("value " + external + " (expected: in [" + low + ", " + high
                        + "] step " + step + ")");
            }
            return v;
        }

        @Override
        public boolean containsInternal(double v) {
            return v >= low && v <= high && (v - low) % step == 0;
        }

        @Override
        public boolean isSingle() {
            return low == high;
        }

        /** Rounds {@code v} to the nearest reachable integer in the range. */
        public int snap(double v) {
            long k = Math.round((v - low) / step);
            long r = low + k * step;
            return (int) Math.min(high, Math.max(low, r));
        }

        @Override
        public String toJson() {
            ObjectNode o = Json.MAPPER.createObjectNode().put("type", "int").put("low", low).put("high", high);
            if (log) {
                o.put("log", true);
            }
            if (step != 1) {
                o.put("step", step);
            }
            return o.toString();
        }
    }

    /**
     * One of {@code choices}: strings, numbers, booleans or null (what YAML and JSON can hold).
     */
    record Categorical(List<Object> choices) implements Distribution {
        public Categorical {
            if (choices == null || choices.isEmpty()) {
                throw new IllegalArgumentException("categorical choices: empty (expected: at least one)");
            }
            List<Object> copy = new ArrayList<>(choices.size());
            for (Object c : choices) {
                if (c != null && !(c instanceof String) && !(c instanceof Number) && !(c instanceof Boolean)) {
                    throw new IllegalArgumentException("categorical choice " + c + " of type "
                            + c.getClass().getSimpleName() + " (expected: string, number, boolean or null)");
                }
                if (copy.contains(c)) {
                    throw new IllegalArgumentException("categorical choice " + c + " twice (expected: distinct choices)");
                }
                copy.add(c);
            }
            choices = Collections.unmodifiableList(copy);
        }

        /** Choices as given. */
        public static Categorical of(Object... choices) {
            return new Categorical(java.util.Arrays.asList(choices));
        }

        @Override
        public Object toExternal(double internal) {
            return choices.get((int) internal);
        }

        @Override
        public double toInternal(Object external) {
            for (int i = 0; i < choices.size(); i++) {
                if (Objects.equals(choices.get(i), external) || numericallyEqual(choices.get(i), external)) {
                    return i;
                }
            }
            throw new IllegalArgumentException("value " + external + " (expected: one of " + choices + ")");
        }

        private static boolean numericallyEqual(Object a, Object b) {
            return a instanceof Number x && b instanceof Number y && x.doubleValue() == y.doubleValue();
        }

        @Override
        public boolean containsInternal(double v) {
            return v >= 0 && v < choices.size() && v == Math.rint(v);
        }

        @Override
        public boolean isSingle() {
            return choices.size() == 1;
        }

        @Override
        public String toJson() {
            ObjectNode o = Json.MAPPER.createObjectNode().put("type", "categorical");
            ArrayNode a = o.putArray("choices");
            for (Object c : choices) {
                a.add(Json.MAPPER.valueToTree(c));
            }
            return o.toString();
        }
    }

    /** Reads {@link #toJson()}'s text. @throws IllegalArgumentException for anything else */
    static Distribution fromJson(String json) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("distribution JSON " + json + " (" + e.getMessage() + ")", e);
        }
        String type = n.path("type").asText();
        return switch (type) {
            case "float" -> new FloatRange(n.get("low").asDouble(), n.get("high").asDouble(), n.path("log").asBoolean(false),
                    n.path("step").asDouble(0));
            case "int" -> new IntRange(n.get("low").asInt(), n.get("high").asInt(), n.path("log").asBoolean(false),
                    n.path("step").asInt(1));
            case "categorical" -> {
                List<Object> cs = new ArrayList<>();
                for (JsonNode c : n.get("choices")) {
                    cs.add(Json.scalar(c));
                }
                yield new Categorical(cs);
            }
            default -> throw new IllegalArgumentException("distribution JSON " + json + " (expected: type float, int or categorical)");
        };
    }

    /** Shared JSON helpers. */
    final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();

        private Json() {}

        static Object scalar(JsonNode c) {
            if (c == null || c.isNull()) {
                return null;
            }
            if (c.isBoolean()) {
                return c.booleanValue();
            }
            if (c.isInt() || c.isLong()) {
                long l = c.longValue();
                return l == (int) l ? (Object) (int) l : (Object) l;
            }
            if (c.isNumber()) {
                return c.doubleValue();
            }
            return c.asText();
        }
    }
}
