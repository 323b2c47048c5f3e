package dev.jvision.infer;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads an ensemble file ({@code jvision infer --ensemble members.yaml}):
 * <pre>
 * members:
 *   - run: runs/20250101-120000-convnext   # all folds of a run
 *     weight: 2
 *   - checkpoint: runs/20250102-090000-resnet/fold0/best.safetensors
 *     weight: 1                            # optional, default 1
 *     temperature: 1.3                     # optional, fixed temperature for this member
 *     name: resnet-fold0                   # optional
 * </pre>
 * Relative paths are resolved against the ensemble file's folder. Stateless and thread-safe.
 */
public final class EnsembleFile {
    private static final Set<String> KEYS = Set.of("run", "checkpoint", "weight", "temperature", "name");

    private EnsembleFile() {}

    /** Parses {@code file}; errors name the file, the member index and the key. */
    public static List<EnsembleMember> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": ensemble file not found");
        }
        Object root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(file + ": malformed YAML: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("members") instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException(file + ": expected a mapping with a non-empty 'members:' list of "
                    + "{run: DIR | checkpoint: FILE, weight: W}");
        }
        for (Object k : top.keySet()) {
            if (!"members".equals(k)) {
                throw new IllegalArgumentException(file + ": unknown key '" + k + "' (expected: members)");
            }
        }
        Path base = file.toAbsolutePath().getParent();
        List<EnsembleMember> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = file + " members[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(where + ": " + list.get(i) + " (expected: a mapping with run or checkpoint)");
            }
            for (Object k : m.keySet()) {
                if (!KEYS.contains(String.valueOf(k))) {
                    throw new IllegalArgumentException(where + ": unknown key '" + k
                            + "' (expected: run, checkpoint, weight, temperature, name)");
                }
            }
            boolean isRun = m.containsKey("run");
            if (isRun == m.containsKey("checkpoint")) {
                throw new IllegalArgumentException(where + ": (expected: exactly one of run: DIR or checkpoint: FILE)");
            }
            Path p = base.resolve(String.valueOf(isRun ? m.get("run") : m.get("checkpoint"))).normalize();
            double weight = number(m, "weight", 1.0, where);
            Optional<Double> t = m.containsKey("temperature") ? Optional.of(number(m, "temperature", 1.0, where))
                    : Optional.empty();
            try {
                if (isRun) {
                    if (!Files.isDirectory(p)) {
                        throw new IllegalArgumentException("run: " + p + " is not a folder");
                    }
                    String name = m.containsKey("name") ? String.valueOf(m.get("name")) : p.getFileName().toString();
                    out.add(new EnsembleMember(name, Predictor.runCheckpoints(p), weight, p, t));
                } else {
                    if (!Files.isRegularFile(p)) {
                        throw new IllegalArgumentException("checkpoint: " + p + " not found");
                    }
                    String name = m.containsKey("name") ? String.valueOf(m.get("name")) : p.toString();
                    out.add(new EnsembleMember(name, List.of(p), weight, null, t));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static double number(Map<?, ?> m, String key, double def, String where) {
        Object v = m.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number n) || !(n.doubleValue() > 0) || !Double.isFinite(n.doubleValue())) {
            throw new IllegalArgumentException(where + " " + key + ": " + v + " (expected: a number > 0)");
        }
        return n.doubleValue();
    }
}
