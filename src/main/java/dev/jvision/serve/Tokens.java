package dev.jvision.serve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Reads the bearer token of {@code jvision serve} from a file or an environment variable; errors
 * are {@link IllegalArgumentException}s naming the setting. Stateless and thread-safe.
 */
public final class Tokens {
    private Tokens() {}

    /** The file's content without surrounding white space; {@code what} names the setting in errors. */
    public static String fromFile(Path file, String what) {
        try {
            String t = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (t.isEmpty()) {
                throw new IllegalArgumentException(what + ": " + file + " is empty (expected: the bearer token)");
            }
            return t;
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": " + file + " cannot be read (" + e.getClass().getSimpleName()
                    + ") (expected: a file holding the bearer token)", e);
        }
    }

    /** The variable's value without surrounding white space. */
    public static String fromEnv(String variable, Function<String, String> env, String what) {
        String t = env.apply(variable);
        if (t == null || t.isBlank()) {
            throw new IllegalArgumentException(what + ": environment variable " + variable + " is "
                    + (t == null ? "not set" : "empty") + " (expected: the bearer token)");
        }
        return t.strip();
    }
}
