package dev.jvision.tune;

import dev.jvision.config.ConfigException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A search space file ({@code configs/tune.yaml}): which config keys to search and how
 * ({@code params}), with the sampler, pruner and objective settings. A parameter is one
 * distribution, or a list of variants each with a {@code when} condition on parameters listed
 * before it (e.g. a learning-rate range per {@code model.name}); the first variant whose
 * condition holds is used, and a parameter none matches keeps the base config's value. Errors
 * name file, line and key. Immutable, thread-safe.
 *
 * @param source    the file name used in messages
 * @param params    parameters in file order
 * @param sampler   sampler settings
 * @param pruner    pruner settings
 * @param folds     1: the objective trains fold 0; K: the mean over folds 0..K-1
 * @param direction MAXIMIZE/MINIMIZE, or null to follow {@code train.monitor}
 */
public record SearchSpace(String source, List<Param> params, SamplerSpec sampler, PrunerSpec pruner, int folds,
                          Direction direction) {

    /** A config key to search. */
    public record Param(String key, List<Variant> variants, int line) {}

    /**
     * One distribution of a parameter and when it applies ({@code when}: earlier key -> allowed
     * values; empty = always). {@code name} is the parameter's name in the study: the key, or
     * for one of several variants {@code key|cond=value,...}.
     */
    public record Variant(String name, Map<String, List<Object>> when, Distribution distribution, int line) {}

    /** Sampler settings: {@code name} tpe|random|grid. */
    public record SamplerSpec(String name, long seed, int nStartupTrials, boolean multivariate, int gridPoints) {
        /** The sampler these settings describe (grid: over {@code space}'s distributions). */
        public Sampler create(SearchSpace space) {
            return switch (name) {
                case "tpe" -> TpeSampler.builder().seed(seed).nStartupTrials(nStartupTrials).multivariate(multivariate).build();
                case "random" -> new RandomSampler(seed);
                case "grid" -> GridSampler.of(space.gridDistributions(), gridPoints);
                default -> throw new IllegalArgumentException("sampler " + name + " (expected: tpe, random or grid)");
            };
        }
    }

    /** Pruner settings: {@code name} median|hyperband|successive_halving|none. */
    public record PrunerSpec(String name, int nStartupTrials, int nWarmupSteps, int minResource, int reductionFactor) {
        /** The pruner these settings describe; {@code maxResource} is the number of steps a trial can report. */
        public Pruner create(int maxResource) {
            return switch (name) {
                case "none" -> Pruner.NONE;
                case "median" -> new MedianPruner(nStartupTrials, nWarmupSteps, 1);
                case "successive_halving" -> new SuccessiveHalvingPruner(minResource, reductionFactor, 0);
                case "hyperband" -> new HyperbandPruner(minResource, Math.max(minResource, maxResource), reductionFactor);
                default -> throw new IllegalArgumentException("pruner " + name
                        + " (expected: median, hyperband, successive_halving or none)");
            };
        }
    }

    /** Loads a space file. @throws ConfigException with file:line key for any problem */
    public static SearchSpace load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read search space (" + e.getMessage() + ")", e);
        }
        return parse(text, file.toString());
    }

    /** Parses space YAML; {@code source} names it in messages. */
    public static SearchSpace parse(String text, String source) {
        Node root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
        } catch (RuntimeException e) {
            throw new ConfigException(source + ": malformed YAML (" + e.getMessage().replace('\n', ' ') + ")", e);
        }
        if (!(root instanceof MappingNode rootMap)) {
            throw new ConfigException(source + ": expected a mapping with params: (and optionally sampler:, pruner:, objective:)");
        }
        Reader r = new Reader(source);
        Map<String, Node> top = r.map(rootMap, "", Set.of("params", "sampler", "pruner", "objective"));
        if (!top.containsKey("params")) {
            throw new ConfigException(source + ":1 params: missing (expected: a mapping of config keys to distributions)");
        }
        List<Param> params = new ArrayList<>();
        Node pn = top.get("params");
        if (!(pn instanceof MappingNode pm) || pm.getValue().isEmpty()) {
            throw r.error(pn, "params", "expected: a non-empty mapping of config keys to distributions");
        }
        Map<String, Param> byKey = new LinkedHashMap<>();
        for (NodeTuple t : pm.getValue()) {
            String key = r.scalar(t.getKeyNode(), "params");
            String path = "params." + key;
            if (byKey.containsKey(key)) {
                throw r.error(t.getKeyNode(), path, "listed twice (expected: once, with variants for conditions)");
            }
            List<Variant> variants = new ArrayList<>();
            if (t.getValueNode() instanceof SequenceNode seq) {
                for (int i = 0; i < seq.getValue().size(); i++) {
                    variants.add(r.variant(seq.getValue().get(i), key, path + "[" + i + "]", byKey, true));
                }
                if (variants.isEmpty()) {
                    throw r.error(seq, path, "empty list (expected: at least one variant)");
                }
            } else {
                variants.add(r.variant(t.getValueNode(), key, path, byKey, false));
            }
            Param p = new Param(key, List.copyOf(variants), line(t.getKeyNode()));
            byKey.put(key, p);
            params.add(p);
        }
        Map<String, Node> s = top.containsKey("sampler") ? r.map(top.get("sampler"), "sampler",
                Set.of("name", "seed", "n_startup_trials", "multivariate", "grid_points")) : Map.of();
        SamplerSpec sampler = new SamplerSpec(r.choice(s.get("name"), "sampler.name", "tpe", "tpe", "random", "grid"),
                r.integer(s.get("seed"), "sampler.seed", 0, Integer.MIN_VALUE), r.integer(s.get("n_startup_trials"),
                "sampler.n_startup_trials", 10, 0), r.bool(s.get("multivariate"), "sampler.multivariate", true),
                r.integer(s.get("grid_points"), "sampler.grid_points", 5, 1));
        Map<String, Node> p = top.containsKey("pruner") ? r.map(top.get("pruner"), "pruner",
                Set.of("name", "n_startup_trials", "n_warmup_steps", "min_resource", "reduction_factor")) : Map.of();
        PrunerSpec pruner = new PrunerSpec(r.choice(p.get("name"), "pruner.name", "median", "median", "hyperband",
                "successive_halving", "none"), r.integer(p.get("n_startup_trials"), "pruner.n_startup_trials", 5, 0),
                r.integer(p.get("n_warmup_steps"), "pruner.n_warmup_steps", 1, 0),
                r.integer(p.get("min_resource"), "pruner.min_resource", 1, 1),
                r.integer(p.get("reduction_factor"), "pruner.reduction_factor", 3, 2));
        Map<String, Node> o = top.containsKey("objective") ? r.map(top.get("objective"), "objective",
                Set.of("folds", "direction")) : Map.of();
        int folds = r.integer(o.get("folds"), "objective.folds", 1, 1);
        String dir = r.choice(o.get("direction"), "objective.direction", "auto", "auto", "maximize", "minimize");
        Direction direction = dir.equals("auto") ? null : Direction.valueOf(dir.toUpperCase(java.util.Locale.ROOT));
        return new SearchSpace(source, List.copyOf(params), sampler, pruner, folds, direction);
    }

    private static int line(Node n) {
        return n == null || n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    /**
     * Suggests every parameter on {@code trial} (conditions against the values chosen before)
     * and returns config key -> value for the parameters that apply.
     */
    public Map<String, Object> suggest(Trial trial) {
        Map<String, Object> chosen = new LinkedHashMap<>();
        for (Param p : params) {
            for (Variant v : p.variants()) {
                if (holds(v.when(), chosen)) {
                    chosen.put(p.key(), trial.suggest(v.name(), v.distribution()));
                    break;
                }
            }
        }
        return chosen;
    }

    /** Config key -> value for the study parameters of a finished trial (names mapped back to keys). */
    public Map<String, Object> configValues(FrozenTrial t) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Param p : params) {
            for (Variant v : p.variants()) {
                if (t.params().containsKey(v.name())) {
                    out.put(p.key(), t.param(v.name()));
                    break;
                }
            }
        }
        return out;
    }

    private static boolean holds(Map<String, List<Object>> when, Map<String, Object> chosen) {
        for (Map.Entry<String, List<Object>> c : when.entrySet()) {
            Object v = chosen.get(c.getKey());
            boolean any = false;
            for (Object allowed : c.getValue()) {
                if (allowed == null ? v == null : v != null && (allowed.equals(v) || (allowed instanceof Number a
                        && v instanceof Number b && a.doubleValue() == b.doubleValue()))) {
                    any = true;
                }
            }
            if (!any || !chosen.containsKey(c.getKey())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The config key of a study parameter name: a conditional variant is stored in the study as
     * {@code key|cond=value,...} (its own history for the sampler); users see it as {@code key}.
     */
    public static String configKey(String paramName) {
        int i = paramName.indexOf('|');
        return i < 0 ? paramName : paramName.substring(0, i);
    }

    /**
     * Parameter values under their config keys, for logs and reports (a trial uses one variant
     * per key, so no two names map to the same key).
     */
    public static Map<String, Object> byConfigKey(Map<String, Object> params) {
        Map<String, Object> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(configKey(k), v));
        return out;
    }

    /** Every study parameter's distribution (for a grid). */
    public Map<String, Distribution> gridDistributions() {
        Map<String, Distribution> out = new LinkedHashMap<>();
        for (Param p : params) {
            for (Variant v : p.variants()) {
                out.put(v.name(), v.distribution());
            }
        }
        return out;
    }

    /** {@code key=value} overrides (values as YAML scalars) for {@code Configs.load}. */
    public static List<String> overrides(Map<String, Object> values) {
        List<String> out = new ArrayList<>();
        values.forEach((k, v) -> out.add(k + "=" + yamlScalar(v)));
        return out;
    }

    /** A value written so that YAML reads it back as the same type and value. */
    public static String yamlScalar(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Double d) {
            String s = BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        String s = v.toString();
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }

    /** Node readers with located errors. */
    private static final class Reader {
        private final String source;

        Reader(String source) {
            this.source = source;
        }

        ConfigException error(Node n, String path, String detail) {
            int l = line(n);
            return new ConfigException(source + (l > 0 ? ":" + l : "") + " " + path + ": " + detail);
        }

        Map<String, Node> map(Node n, String path, Set<String> allowed) {
            if (!(n instanceof MappingNode m)) {
                throw error(n, path, "expected: a mapping");
            }
            Map<String, Node> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                String k = scalar(t.getKeyNode(), path);
                if (!allowed.contains(k)) {
                    throw error(t.getKeyNode(), (path.isEmpty() ? "" : path + ".") + k, "unknown key (expected: one of "
                            + new java.util.TreeSet<>(allowed) + ")");
                }
                out.put(k, t.getValueNode());
            }
            return out;
        }

        String scalar(Node n, String path) {
            if (!(n instanceof ScalarNode s)) {
                throw error(n, path, "expected: a scalar");
            }
            return s.getValue();
        }

        Object value(Node n, String path) {
            if (!(n instanceof ScalarNode s)) {
                throw error(n, path, "expected: a string, number, boolean or null");
            }
            Object v = new Yaml(new SafeConstructor(new LoaderOptions())).load(
                    s.getTag().equals(Tag.STR) && s.getScalarStyle() != org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN
                            ? yamlScalar(s.getValue()) : s.getValue());
            if (v instanceof Long l && l == l.intValue()) {
                v = l.intValue();
            }
            if (v != null && !(v instanceof String) && !(v instanceof Number) && !(v instanceof Boolean)) {
                throw error(n, path, s.getValue() + " (expected: a string, number, boolean or null)");
            }
            return v;
        }

        double number(Node n, String path) {
            Object v = n == null ? null : value(n, path);
            if (v instanceof String str && ((ScalarNode) n).getScalarStyle() == org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN) {
                try {
                    return Double.parseDouble(str);  // YAML 1.1 reads 1e-4 (no dot) as a string
                } catch (NumberFormatException ignored) {
                    // reported below
                }
            }
            if (!(v instanceof Number num)) {
                throw error(n, path, (n == null ? "missing" : String.valueOf(v)) + " (expected: a number)");
            }
            return num.doubleValue();
        }

        int integer(Node n, String path, int dflt, int min) {
            if (n == null) {
                return dflt;
            }
            Object v = value(n, path);
            if (!(v instanceof Integer i) || i < min) {
                throw error(n, path, v + " (expected: an integer" + (min == Integer.MIN_VALUE ? "" : " >= " + min) + ")");
            }
            return i;
        }

        boolean bool(Node n, String path, boolean dflt) {
            if (n == null) {
                return dflt;
            }
            Object v = value(n, path);
            if (!(v instanceof Boolean b)) {
                throw error(n, path, v + " (expected: true or false)");
            }
            return b;
        }

        String choice(Node n, String path, String dflt, String... allowed) {
            if (n == null) {
                return dflt;
            }
            String v = scalar(n, path).toLowerCase(java.util.Locale.ROOT);
            if (!List.of(allowed).contains(v)) {
                throw error(n, path, "'" + v + "' (expected: one of " + String.join(", ", allowed) + ")");
            }
            return v;
        }

        Variant variant(Node n, String key, String path, Map<String, Param> before, boolean listed) {
            Map<String, Node> m = map(n, path, listed ? Set.of("type", "low", "high", "log", "step", "choices", "when")
                    : Set.of("type", "low", "high", "log", "step", "choices"));
            String type = choice(m.get("type"), path + ".type", "", "float", "int", "categorical");
            if (type.isEmpty()) {
                throw error(n, path + ".type", "missing (expected: float, int or categorical)");
            }
            Distribution d;
            try {
                d = switch (type) {
                    case "float" -> new Distribution.FloatRange(number(m.get("low"), path + ".low"),
                            number(m.get("high"), path + ".high"), bool(m.get("log"), path + ".log", false),
                            m.containsKey("step") ? number(m.get("step"), path + ".step") : 0);
                    case "int" -> new Distribution.IntRange(required(m, "low", n, path), required(m, "high", n, path),
                            bool(m.get("log"), path + ".log", false), integer(m.get("step"), path + ".step", 1, 1));
                    default -> {
                        Node c = m.get("choices");
                        if (!(c instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
                            throw error(c == null ? n : c, path + ".choices", "expected: a non-empty list");
                        }
                        List<Object> cs = new ArrayList<>();
                        for (Node x : seq.getValue()) {
                            cs.add(value(x, path + ".choices"));
                        }
                        yield new Distribution.Categorical(cs);
                    }
                };
            } catch (ConfigException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw error(n, path, e.getMessage());
            }
            for (String k : m.keySet()) {
                boolean numeric = type.equals("float") || type.equals("int");
                if ((k.equals("choices") && numeric) || (!numeric && Set.of("low", "high", "log", "step").contains(k))) {
                    throw error(m.get(k), path + "." + k, "not used by type " + type);
                }
            }
            Map<String, List<Object>> when = new LinkedHashMap<>();
            StringBuilder name = new StringBuilder(key);
            if (m.containsKey("when")) {
                Map<String, Node> w = new LinkedHashMap<>();
                Node wn = m.get("when");
                if (!(wn instanceof MappingNode wm)) {
                    throw error(wn, path + ".when", "expected: a mapping of earlier parameters to values");
                }
                for (NodeTuple t : wm.getValue()) {
                    w.put(scalar(t.getKeyNode(), path + ".when"), t.getValueNode());
                }
                String sep = "|";
                for (Map.Entry<String, Node> e : w.entrySet()) {
                    String wp = path + ".when." + e.getKey();
                    if (!before.containsKey(e.getKey())) {
                        throw error(e.getValue(), wp, "not a parameter listed before " + key + " (expected: one of "
                                + before.keySet() + ")");
                    }
                    List<Object> vals = new ArrayList<>();
                    if (e.getValue() instanceof SequenceNode seq) {
                        for (Node x : seq.getValue()) {
                            vals.add(value(x, wp));
                        }
                    } else {
                        vals.add(value(e.getValue(), wp));
                    }
                    when.put(e.getKey(), List.copyOf(vals));
                    name.append(sep).append(e.getKey()).append('=').append(vals.size() == 1 ? String.valueOf(vals.get(0))
                            : vals.toString());
                    sep = ",";
                }
            }
            return new Variant(name.toString(), when, d, line(n));
        }

        private int required(Map<String, Node> m, String k, Node parent, String path) {
            if (m.get(k) == null) {
                throw error(parent, path + "." + k, "missing (expected: an integer)");
            }
            return integer(m.get(k), path + "." + k, 0, Integer.MIN_VALUE);
        }
    }
}
