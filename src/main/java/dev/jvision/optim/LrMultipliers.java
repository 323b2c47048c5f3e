package dev.jvision.optim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Learning-rate multipliers by parameter-name glob ({@code train.lr_multipliers}, e.g.
 * {@code {"head.*": 10.0, "stages.0.*": 0.1}}). Globs are matched against the whole dotted
 * parameter name in the given order and the first match wins; {@code *} matches any run of
 * characters (dots included, as Python's {@code fnmatch}), {@code ?} one character, everything
 * else itself. Names that no glob matches keep 1.0. A glob that matches no parameter of the model
 * is an error (a typo would otherwise change nothing, silently). Immutable and thread-safe.
 */
public final class LrMultipliers {
    private static final LrMultipliers NONE = new LrMultipliers(new LinkedHashMap<>());

    private final List<String> globs = new ArrayList<>();
    private final List<Pattern> patterns = new ArrayList<>();
    private final List<Double> factors = new ArrayList<>();

    private LrMultipliers(Map<String, Double> byGlob) {
        for (Map.Entry<String, Double> e : byGlob.entrySet()) {
            String glob = e.getKey();
            Double f = e.getValue();
            if (glob == null || glob.isBlank()) {
                throw new IllegalArgumentException("train.lr_multipliers: key " + (glob == null ? "null" : "'" + glob + "'")
                        + " (expected: a glob over parameter names, e.g. 'head.*')");
            }
            if (f == null || !(f > 0) || f.isInfinite()) {
                throw new IllegalArgumentException("train.lr_multipliers." + glob + ": " + f + " (expected: a number > 0)");
            }
            globs.add(glob);
            patterns.add(compile(glob));
            factors.add(f);
        }
    }

    /** No multipliers: every name gets 1.0. */
    public static LrMultipliers none() {
        return NONE;
    }

    /**
     * Multipliers from an ordered glob-to-factor map.
     *
     * @param byGlob glob to factor (&gt; 0), in priority order; null or empty = none
     * @throws IllegalArgumentException for a blank glob or a factor that is not a positive number
     */
    public static LrMultipliers of(Map<String, Double> byGlob) {
        return byGlob == null || byGlob.isEmpty() ? NONE : new LrMultipliers(byGlob);
    }

    /** True when no glob is configured. */
    public boolean isEmpty() {
        return globs.isEmpty();
    }

    /** Index of the first glob matching {@code name}, or -1. */
    public int match(String name) {
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matcher(name).matches()) {
                return i;
            }
        }
        return -1;
    }

    /** The factor of {@code name}: its first matching glob's, else 1.0. */
    public double factor(String name) {
        int i = match(name);
        return i < 0 ? 1.0 : factors.get(i);
    }

    /** The glob at {@code index}. */
    public String glob(int index) {
        return globs.get(index);
    }

    /**
     * Checks that every glob matches at least one of {@code names}.
     *
     * @param names the model's parameter names
     * @param model the model's name, for the message
     * @throws IllegalArgumentException naming the first glob that matches nothing
     */
    public void requireAllMatch(Collection<String> names, String model) {
        for (int i = 0; i < patterns.size(); i++) {
            Pattern p = patterns.get(i);
            if (names.stream().noneMatch(n -> p.matcher(n).matches())) {
                String example = names.isEmpty() ? "" : ", e.g. " + names.iterator().next();
                throw new IllegalArgumentException("train.lr_multipliers: '" + globs.get(i) + "' matches no parameter of "
                        + model + " (expected: a glob over its parameter names" + example + ")");
            }
        }
    }

    private static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
