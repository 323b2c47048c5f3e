package dev.jvision.serve;

import dev.jvision.config.ByteSize;
import dev.jvision.config.ConfigException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a {@code serve.yaml}:
 * <pre>
 * host: 127.0.0.1          # optional, as the command-line defaults
 * port: 8080
 * threads: 2               # libtorch threads
 * max_body: 16MB
 * timeout_ms: 30000
 * token_file: token.txt    # or token_env: JVISION_TOKEN (bearer token for /v1)
 * models:
 *   - name: docs           # required: name and version appear in URLs
 *     version: 2
 *     run: runs/20250101-120000-quickstart   # exactly one of run, checkpoint, ensemble
 *     device: auto
 *     max_batch: 32
 *     max_delay_ms: 5
 *     queue: 1000
 *     top_k: 5
 *     tta: [identity, hflip]                 # offered with ?tta=true
 * </pre>
 * Relative paths are resolved against the file's folder. Unknown keys, wrong types and
 * out-of-range values are {@link ConfigException}s naming {@code file:line}, the key, the value
 * and what was expected. Stateless and thread-safe.
 */
public final class ServeConfigFile {
    private static final List<String> TOP = List.of("host", "port", "threads", "max_body", "timeout_ms", "token_file",
            "token_env", "models");
    private static final List<String> MODEL = List.of("name", "version", "run", "checkpoint", "ensemble", "device",
            "max_batch", "max_delay_ms", "queue", "top_k", "tta");

    private ServeConfigFile() {}

    /**
     * Parses {@code file}; {@code env} looks up {@code token_env} (normally {@code System::getenv}).
     *
     * @throws ConfigException for any error in the file, located by line
     */
    public static ServeConfig read(Path file, Function<String, String> env) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read serve config (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
        return new Reader(file, env).read(text);
    }

    private static final class Reader {
        private final Path file;
        private final Path base;
        private final Function<String, String> env;

        Reader(Path file, Function<String, String> env) {
            this.file = file;
            this.base = file.toAbsolutePath().getParent();
            this.env = env;
        }

        ServeConfig read(String text) {
            Node root;
            try {
                root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
            } catch (MarkedYAMLException e) {
                int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
                throw new ConfigException(file + ":" + line + ": malformed YAML: " + e.getProblem(), e);
            }
            if (!(root instanceof MappingNode top)) {
                throw new ConfigException(file + ": expected a mapping with a 'models:' list");
            }
            Map<String, Node> keys = mapping(top, TOP, "");
            ServeConfig defaults = ServeConfig.of(List.of(ServeConfig.Model.of("x", "1", ServeConfig.Source.RUN,
                    Path.of("."))));
            String host = keys.containsKey("host") ? scalar(keys.get("host"), "host") : defaults.host();
            int port = keys.containsKey("port") ? integer(keys.get("port"), "port", 0, 65535) : defaults.port();
            int threads = keys.containsKey("threads") ? integer(keys.get("threads"), "threads", 0, 1024) : 0;
            long maxBody = defaults.maxBody();
            if (keys.containsKey("max_body")) {
                try {
                    maxBody = ByteSize.parse("max_body", scalar(keys.get("max_body"), "max_body"));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at(keys.get("max_body")) + e.getMessage(), e);
                }
            }
            Duration timeout = keys.containsKey("timeout_ms")
                    ? Duration.ofMillis(integer(keys.get("timeout_ms"), "timeout_ms", 1, Integer.MAX_VALUE))
                    : defaults.timeout();
            if (keys.containsKey("token_file") && keys.containsKey("token_env")) {
                throw new ConfigException(at(keys.get("token_env")) + "token_env: both token_file and token_env given "
                        + "(expected: one of them)");
            }
            String token = null;
            try {
                token = token(keys);
            } catch (ConfigException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage(), e);
            }
            Node ms = keys.get("models");
            if (!(ms instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
                throw new ConfigException(at(ms == null ? top : ms) + "models: "
                        + (ms == null ? "missing" : "not a non-empty list")
                        + " (expected: a list of {name, version, run | checkpoint | ensemble, ...})");
            }
            List<ServeConfig.Model> models = new ArrayList<>();
            for (int i = 0; i < seq.getValue().size(); i++) {
                models.add(model(seq.getValue().get(i), "models[" + i + "]"));
            }
            try {
                return new ServeConfig(host, port, threads, maxBody, timeout, token, models);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + e.getMessage(), e);
            }
        }


        private String token(Map<String, Node> keys) {
            if (keys.containsKey("token_file")) {
                Node n = keys.get("token_file");
                return Tokens.fromFile(base.resolve(scalar(n, "token_file")), at(n) + "token_file");
            }
            if (keys.containsKey("token_env")) {
                Node n = keys.get("token_env");
                return Tokens.fromEnv(scalar(n, "token_env"), env, at(n) + "token_env");
            }
            return null;
        }

        private ServeConfig.Model model(Node n, String where) {
            if (!(n instanceof MappingNode m)) {
                throw new ConfigException(at(n) + where + ": not a mapping (expected: {name, version, run | checkpoint "
                        + "| ensemble, ...})");
            }
            Map<String, Node> k = mapping(m, MODEL, where + ".");
            for (String required : List.of("name", "version")) {
                if (!k.containsKey(required)) {
                    throw new ConfigException(at(m) + where + "." + required + ": missing (expected: name and version "
                            + "for every model)");
                }
            }
            ServeConfig.Source source = null;
            Node path = null;
            for (ServeConfig.Source s : ServeConfig.Source.values()) {
                if (k.containsKey(s.key())) {
                    if (source != null) {
                        throw new ConfigException(at(k.get(s.key())) + where + "." + s.key() + ": " + source.key()
                                + " given too (expected: exactly one of run, checkpoint, ensemble)");
                    }
                    source = s;
                    path = k.get(s.key());
                }
            }
            if (source == null) {
                throw new ConfigException(at(m) + where + ": no source (expected: exactly one of run, checkpoint, "
                        + "ensemble)");
            }
            Path p = base.resolve(scalar(path, where + "." + source.key())).normalize();
            boolean exists = source == ServeConfig.Source.RUN ? Files.isDirectory(p) : Files.isRegularFile(p);
            if (!exists) {
                throw new ConfigException(at(path) + where + "." + source.key() + ": " + p + " not found (expected: "
                        + (source == ServeConfig.Source.RUN ? "a run folder" : "a file") + ")");
            }
            ServeConfig.Model d = ServeConfig.Model.of("x", "1", source, p);
            List<String> tta = new ArrayList<>();
            if (k.containsKey("tta")) {
                if (!(k.get("tta") instanceof SequenceNode views)) {
                    throw new ConfigException(at(k.get("tta")) + where + ".tta: not a list (expected: TTA view names, "
                            + "e.g. [identity, hflip])");
                }
                for (Node v : views.getValue()) {
                    tta.add(scalar(v, where + ".tta"));
                }
                try {
                    dev.jvision.augment.Tta.parse(tta, 0);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at(views) + where + ".tta: " + e.getMessage(), e);
                }
            }
            try {
                return new ServeConfig.Model(scalar(k.get("name"), where + ".name"), scalar(k.get("version"),
                        where + ".version"), source, p,
                        k.containsKey("device") ? scalar(k.get("device"), where + ".device") : d.device(),
                        k.containsKey("max_batch") ? integer(k.get("max_batch"), where + ".max_batch", 1, 4096)
                                : d.maxBatch(),
                        k.containsKey("max_delay_ms")
                                ? Duration.ofMillis(integer(k.get("max_delay_ms"), where + ".max_delay_ms", 0, 60_000))
                                : d.maxDelay(),
                        k.containsKey("queue") ? integer(k.get("queue"), where + ".queue", 1, 1_000_000) : d.queue(),
                        k.containsKey("top_k") ? integer(k.get("top_k"), where + ".top_k", 1, ServeConfig.MAX_TOP_K)
                                : d.topK(),
                        tta);
            } catch (ConfigException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new ConfigException(at(m) + where + ": " + e.getMessage(), e);
            }
        }

        private Map<String, Node> mapping(MappingNode m, List<String> allowed, String prefix) {
            Map<String, Node> out = new HashMap<>();
            for (NodeTuple t : m.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(t.getKeyNode());
                if (!allowed.contains(key)) {
                    throw new ConfigException(at(t.getKeyNode()) + "unknown key " + prefix + key + " (expected one of: "
                            + String.join(", ", allowed) + ")");
                }
                if (out.put(key, t.getValueNode()) != null) {
                    throw new ConfigException(at(t.getKeyNode()) + prefix + key + ": given twice");
                }
            }
            return out;
        }

        private String scalar(Node n, String key) {
            if (!(n instanceof ScalarNode s) || s.getValue().isEmpty()) {
                throw new ConfigException(at(n) + key + ": " + describe(n) + " (expected: a value)");
            }
            return s.getValue();
        }

        private int integer(Node n, String key, int min, int max) {
            String v = scalar(n, key);
            try {
                int x = Integer.parseInt(v.replace("_", ""));
                if (x < min || x > max) {
                    throw new NumberFormatException();
                }
                return x;
            } catch (NumberFormatException e) {
                throw new ConfigException(at(n) + key + ": " + v + " (expected: an integer from " + min + " to " + max
                        + ")");
            }
        }

        private static String describe(Node n) {
            if (n instanceof ScalarNode s) {
                return "'" + s.getValue() + "'";
            }
            return n instanceof SequenceNode ? "a list" : n instanceof MappingNode ? "a mapping" : "nothing";
        }

        private String at(Node n) {
            return file + (n == null || n.getStartMark() == null ? "" : ":" + (n.getStartMark().getLine() + 1)) + ": ";
        }
    }
}
