package dev.jvision.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A memory size as users write it ({@code 8GB}, {@code 8G}, {@code 8GiB}, {@code 512MB},
 * {@code 1.5TB}, or a plain number of bytes): {@code train.memory_budget} (bound to this type at
 * load time) and {@code jvision memprof --fit}. Units are binary (GB = 2^30 bytes, as GPU memory is
 * counted). {@link #toString} writes the largest unit that is exact ({@code 8GB}), so a written
 * config reads back to an equal value.
 *
 * <p>Immutable and thread-safe; the static helpers are stateless.
 *
 * @param bytes the size in bytes, &gt; 0
 */
public record ByteSize(long bytes) {
    /** What a malformed size is told it should look like. */
    public static final String EXPECTED = "a size such as 8GB, 12GB, 512MB";

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:I?B)?", Pattern.CASE_INSENSITIVE);
    private static final String[] UNITS = {"TB", "GB", "MB", "KB"};

    public ByteSize {
        if (bytes <= 0) throw new IllegalArgumentException("bytes: " + bytes + " (expected: > 0)");
    }

    /**
     * A size from its text.
     *
     * @throws IllegalArgumentException {@code "size: 'value' (expected: ...)"} for anything else
     */
    public static ByteSize of(String text) {
        return new ByteSize(parse("size", text));
    }

    /** A size of {@code n} binary gigabytes (2^30 bytes each). */
    public static ByteSize gigabytes(double n) {
        return new ByteSize(Math.round(n * (1L << 30)));
    }

    /**
     * Parses a size.
     *
     * @param key   what the value is for, the start of the error message (e.g. {@code memory_budget}, {@code --fit})
     * @param value e.g. {@code 8GB}
     * @return bytes, &gt; 0
     * @throws IllegalArgumentException {@code "key: 'value' (expected: ...)"} for anything else
     */
    public static long parse(String key, String value) {
        Matcher m = SIZE.matcher(value == null ? "" : value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": " + (value == null ? "null" : "'" + value + "'")
                    + " (expected: " + EXPECTED + ")");
        }
        double v = Double.parseDouble(m.group(1));
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long bytes = Math.round(v * (1L << shift));
        if (bytes <= 0) throw new IllegalArgumentException(key + ": '" + value + "' (expected: > 0)");
        return bytes;
    }

    /** {@code bytes} in the largest binary unit that keeps one decimal meaningful, e.g. {@code 7.5 GiB}. */
    public static String format(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        if (bytes >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) (1L << 10));
        return bytes + " B";
    }

    /** The size in the largest unit that divides it exactly ({@code 8GB}, {@code 1536MB}), else in bytes. */
    @Override
    public String toString() {
        for (int i = 0; i < UNITS.length; i++) {
            long unit = 1L << (10 * (UNITS.length - i));
            if (bytes % unit == 0) return (bytes / unit) + UNITS[i];
        }
        return Long.toString(bytes);
    }
}
