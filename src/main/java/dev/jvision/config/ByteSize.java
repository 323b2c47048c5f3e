package dev.jvision.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory sizes as users write them ({@code 8GB}, {@code 8G}, {@code 8GiB}, {@code 512MB},
 * {@code 1.5TB}, or a plain number of bytes): {@code train.memory_budget} and
 * {@code jvision memprof --fit}. Units are binary (GB = 2^30 bytes, as GPU memory is counted).
 * Stateless and thread-safe.
 */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]?)(?:I?B)?", Pattern.CASE_INSENSITIVE);

    private ByteSize() {}

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
                    + " (expected: a size such as 8GB, 12GB, 512MB)");
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
}
