package dev.jvision.config;

import java.util.Collection;

/**
 * A configuration error: unknown key, wrong type, value out of range, malformed YAML or a bad
 * {@code key=value} override. The message is meant for humans and always says where the problem
 * is, what the offending value is and what was expected, for example
 * {@code configs/train.yaml:14 train.batch_size: 0 (expected: >= 1)}, or for an override
 * {@code override train.batch_size=0: 0 (expected: >= 1)}. The library does not know where an
 * override came from (Java code, a search space, the command line); the CLI names its own flag
 * with {@link #messageNaming}.
 *
 * <p>Immutable and thread-safe.
 */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String override;
    private final String detail;

    /** @param message the complete, located message (file:line key.path: value (expected: ...)) */
    public ConfigException(String message) {
        this(message, (Throwable) null);
    }

    /**
     * @param message the complete, located message
     * @param cause the underlying parser or I/O error
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
        this.override = null;
        this.detail = message;
    }

    private ConfigException(String override, String detail, Throwable cause) {
        super("override " + override + ": " + detail, cause);
        this.override = override;
        this.detail = detail;
    }

    /** An error in the override {@code key=value} (as given), {@code detail} saying what and what was expected. */
    public static ConfigException inOverride(String override, String detail, Throwable cause) {
        return new ConfigException(override, detail, cause);
    }

    /** The override ({@code key=value} as given) the error is in, or null for an error in a file. */
    public String override() {
        return override;
    }

    /** The message without its location (for an override: without {@code "override key=value: "}). */
    public String detail() {
        return detail;
    }

    /**
     * The message for a command line: an error in one of {@code fromCommandLine} (overrides the
     * user typed) is named by {@code flag}, e.g. {@code --set train.epochs=zero: 'zero' (expected:
     * integer)}; any other error's message is unchanged.
     */
    public String messageNaming(String flag, Collection<String> fromCommandLine) {
        return override != null && fromCommandLine.contains(override) ? flag + " " + override + ": " + detail : getMessage();
    }
}
