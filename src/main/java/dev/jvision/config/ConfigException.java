package dev.jvision.config;

/**
 * A configuration error: unknown key, wrong type, value out of range, malformed YAML or a bad
 * {@code --set} override. The message is meant for humans and always says where the problem is,
 * what the offending value is and what was expected, for example
 * {@code configs/train.yaml:14 train.batch_size: 0 (expected: >= 1)}.
 *
 * <p>Immutable and thread-safe.
 */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message the complete, located message (file:line key.path: value (expected: ...)) */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * @param message the complete, located message
     * @param cause the underlying parser or I/O error
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
