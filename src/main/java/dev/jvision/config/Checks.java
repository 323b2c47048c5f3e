package dev.jvision.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Range checks used by the compact constructors of the config records. Every failure is an
 * {@link IllegalArgumentException} whose message starts with the snake_case key, then ": ", the
 * value and "(expected: ...)"; the binder relies on that shape to add file, line and key path.
 */
final class Checks {
    private Checks() {}

    static IllegalArgumentException fail(String key, Object value, String expected) {
        return new IllegalArgumentException(key + ": " + show(value) + " (expected: " + expected + ")");
    }

    /** Renders a value the way it appears in messages: strings quoted, numbers plain. */
    static String show(Object value) {
        if (value == null) return "null";
        if (value instanceof String s) return "'" + s + "'";
        return String.valueOf(value);
    }

    static void atLeast(String key, long v, long min) {
        if (v < min) throw fail(key, v, ">= " + min);
    }

    static void between(String key, long v, long lo, long hi) {
        if (v < lo || v > hi) throw fail(key, v, "in [" + lo + ", " + hi + "]");
    }

    static void finite(String key, double v) {
        if (!Double.isFinite(v)) throw fail(key, v, "a finite number");
    }

    static void positive(String key, double v) {
        finite(key, v);
        if (!(v > 0)) throw fail(key, v, "> 0");
    }

    static void nonNegative(String key, double v) {
        finite(key, v);
        if (!(v >= 0)) throw fail(key, v, ">= 0");
    }

    /** Closed interval [lo, hi]. */
    static void closed(String key, double v, double lo, double hi) {
        finite(key, v);
        if (!(v >= lo && v <= hi)) throw fail(key, v, "in [" + lo + ", " + hi + "]");
    }

    /** Half-open interval [lo, hi). */
    static void halfOpen(String key, double v, double lo, double hi) {
        finite(key, v);
        if (!(v >= lo && v < hi)) throw fail(key, v, "in [" + lo + ", " + hi + ")");
    }

    static void probability(String key, double v) {
        closed(key, v, 0.0, 1.0);
    }

    static String nonNull(String key, String v) {
        if (v == null) throw fail(key, null, "a string");
        return v;
    }

    static String nonBlank(String key, String v) {
        if (v == null || v.isBlank()) throw fail(key, v, "a non-empty string");
        return v;
    }

    static String oneOf(String key, String v, String... allowed) {
        if (v == null || !Arrays.asList(allowed).contains(v)) {
            throw fail(key, v, "one of " + String.join(", ", allowed));
        }
        return v;
    }

    /** A choice field must be set: null is the only value an enum-typed field can be wrong with. */
    static <E extends Enum<E>> E choice(String key, E v, Class<E> type) {
        if (v == null) throw fail(key, null, choices(type));
        return v;
    }

    /** {@code "one of a, b, c"}: an enum's YAML spellings (its lower-case constant names). */
    static String choices(Class<?> type) {
        StringBuilder sb = new StringBuilder("one of ");
        Object[] all = type.getEnumConstants();
        for (int i = 0; i < all.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(((Enum<?>) all[i]).name().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    /**
     * A positive duration of hours, minutes and seconds: {@code 90s}, {@code 20m}, {@code 1h30m},
     * {@code 2h}, {@code 1.5h} (see {@link Durations}).
     */
    static Duration duration(String key, String v) {
        String problem = Durations.problem(v);
        if (problem != null) {
            throw fail(key, v, problem.equals(Durations.EXPECTED) ? problem + ", or null for none" : problem);
        }
        return Durations.parse(key, v);
    }

    static String matches(String key, String v, Pattern p, String expected) {
        if (v == null || !p.matcher(v).matches()) throw fail(key, v, expected);
        return v;
    }
}
