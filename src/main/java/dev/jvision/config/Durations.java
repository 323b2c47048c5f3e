package dev.jvision.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations that configs and command lines accept: hours, minutes and seconds such
 * as {@code 90s}, {@code 20m}, {@code 1h30m}, {@code 2h} or {@code 1.5h}, rounded to whole
 * milliseconds. Stateless and thread-safe.
 */
public final class Durations {
    /** What a malformed duration is told it should look like. */
    public static final String EXPECTED = "a duration like 90s, 20m, 1h30m or 2h";

    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:\\.\\d+)?[hms])+");
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)([hms])");
    private static final double MAX_MS = 100_000 * 3_600_000.0;

    private Durations() {}

    /**
     * The positive duration {@code text} denotes.
     *
     * @param what what is being parsed (a key or option), named in the error
     * @throws IllegalArgumentException {@code "what: text (expected: ...)"} when {@link #problem}
     *                                  finds one
     */
    public static Duration parse(String what, String text) {
        String problem = problem(text);
        if (problem != null) throw new IllegalArgumentException(what + ": " + text + " (expected: " + problem + ")");
        return Duration.ofMillis(Math.round(millis(text.trim())));
    }

    /**
     * What {@code text} should have been ({@link #EXPECTED} when it is not a duration at all), or
     * null when it is a valid duration: positive and at most 100000h.
     */
    public static String problem(String text) {
        String s = text == null ? "" : text.trim();
        if (!WHOLE.matcher(s).matches()) return EXPECTED;
        double ms = millis(s);
        if (!(ms >= 1)) return "a duration > 0, like 90s, 20m, 1h30m or 2h";
        if (ms > MAX_MS) return "a duration up to 100000h";
        return null;
    }

    /**
     * The text {@link #parse} reads back to {@code d}: whole hours, minutes and seconds such as
     * {@code 1h30m} or {@code 90s}, with a fraction of a second where {@code d} has milliseconds
     * ({@code 1.5s}).
     */
    public static String format(Duration d) {
        long ms = d.toMillis();
        StringBuilder sb = new StringBuilder();
        long h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
        if (h > 0) sb.append(h).append('h');
        if (m > 0) sb.append(m).append('m');
        if (s > 0 || rest > 0 || sb.length() == 0) {
            sb.append(s);
            if (rest > 0) sb.append('.').append(String.format(java.util.Locale.ROOT, "%03d", rest).replaceAll("0+$", ""));
            sb.append('s');
        }
        return sb.toString();
    }

    private static double millis(String s) {
        Matcher m = PART.matcher(s);
        double ms = 0;
        while (m.find()) {
            ms += Double.parseDouble(m.group(1)) * switch (m.group(2)) {
                case "h" -> 3_600_000;
                case "m" -> 60_000;
                default -> 1000;
            };
        }
        return ms;
    }
}
