package dev.jvision.config;

import java.io.StringReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Generic reflective binder from a SnakeYAML node tree onto the config records. Keys are the
 * snake_case of the record component names; absent keys keep the record's {@code defaults()}
 * value; errors carry file:line (from node marks) and the full key path. Not thread-safe: one
 * instance per load.
 *
 * <p>Length: overrides, binding and error locating share the node-to-origin bookkeeping, so
 * they stay in one class rather than being split around that shared state.
 */
final class Binder {

    /** A {@code key=value} override and the key path it sets. */
    private record Override(String text, String path) {}

    private static final Pattern INDEXED = Pattern.compile("([A-Za-z0-9_]+)\\[(\\d+)]");

    private final String source;
    private final Map<Node, Override> overrideOrigin = new IdentityHashMap<>();

    Binder(String source) {
        this.source = source;
    }

    static Yaml newYaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    // ------------------------------------------------------------------ entry point

    Experiment load(String yamlText, List<String> overrides) {
        Node root;
        try {
            root = newYaml().compose(new StringReader(yamlText));
        } catch (MarkedYAMLException e) {
            throw malformed(e);
        } catch (YAMLException e) {
            throw new ConfigException(source + ": malformed YAML: " + e.getMessage(), e);
        }
        if (root == null || isNull(root)) {
            root = new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
        }
        if (!(root instanceof MappingNode rootMap)) {
            throw error(root, "", describe(root) + " (expected: a mapping of sections "
                    + String.join(", ", keysOf(Experiment.class)) + ")");
        }
        if (overrides != null) {
            for (String o : overrides) applyOverride(rootMap, o);
        }
        return bindRecord(Experiment.class, rootMap, "");
    }

    private ConfigException malformed(MarkedYAMLException e) {
        Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        String where = m == null ? source : source + ":" + (m.getLine() + 1);
        StringBuilder msg = new StringBuilder(where).append(": malformed YAML: ");
        if (e.getContext() != null) msg.append(e.getContext()).append(", ");
        msg.append(e.getProblem() == null ? "syntax error" : e.getProblem());
        if (m != null) msg.append(" (column ").append(m.getColumn() + 1).append(')');
        return new ConfigException(msg.toString(), e);
    }

    // ------------------------------------------------------------------ overrides

    private void applyOverride(MappingNode root, String text) {
        if (text == null) throw ConfigException.inOverride("null", "expected key=value", null);
        int eq = text.indexOf('=');
        String key = eq < 0 ? "" : text.substring(0, eq).trim();
        String[] segs = key.split("\\.", -1);
        boolean bad = key.isEmpty();
        for (String s : segs) bad |= s.isEmpty() || s.chars().anyMatch(Character::isWhitespace);
        if (bad) throw ConfigException.inOverride(text, "expected key=value", null);

        // check the key path against the record types
        Class<?> type = Experiment.class;
        StringBuilder prefix = new StringBuilder();
        for (String seg : segs) {
            String parent = prefix.toString();
            if (prefix.length() > 0) prefix.append('.');
            prefix.append(seg);
            if (!type.isRecord() || type == ByteSize.class) {
                throw ConfigException.inOverride(text, "unknown key " + prefix + " (" + parent
                        + " is a value, not a section)", null);
            }
            RecordComponent rc = component(type, seg);
            if (rc == null) {
                List<String> keys = keysOf(type);
                String guess = Suggest.closest(seg, keys);
                String pp = parent.isEmpty() ? "" : parent + ".";
                throw ConfigException.inOverride(text, "unknown key " + prefix
                        + (guess != null ? " (did you mean " + pp + guess + "?)"
                                : " (expected one of: " + pp + String.join(", " + pp, keys) + ")"), null);
            }
            type = rc.getType();
        }

        Override origin = new Override(text, key);
        Node value;
        String valueText = text.substring(eq + 1);
        try {
            value = newYaml().compose(new StringReader(valueText));
        } catch (YAMLException e) {
            String problem = e instanceof MarkedYAMLException me && me.getProblem() != null
                    ? me.getProblem() : e.getMessage();
            throw ConfigException.inOverride(text, "malformed value (" + problem + ")", e);
        }
        if (value == null) value = new ScalarNode(Tag.NULL, "", null, null, DumperOptions.ScalarStyle.PLAIN);
        mark(value, origin);

        MappingNode cur = root;
        String path = "";
        for (int i = 0; i < segs.length; i++) {
            String seg = segs[i];
            String childPath = join(path, seg);
            boolean last = i == segs.length - 1;
            List<NodeTuple> tuples = cur.getValue();
            int at = -1;
            for (int j = 0; j < tuples.size(); j++) {
                if (tuples.get(j).getKeyNode() instanceof ScalarNode k && k.getValue().equals(seg)) {
                    at = j;
                    break;
                }
            }
            Node next;
            if (last) {
                next = value;
            } else if (at >= 0 && tuples.get(at).getValueNode() instanceof MappingNode m) {
                cur = m;
                path = childPath;
                continue;
            } else if (at >= 0 && !isNull(tuples.get(at).getValueNode())) {
                Node v = tuples.get(at).getValueNode();
                throw error(v, childPath, describe(v) + " (expected: a mapping)");
            } else {
                next = new MappingNode(Tag.MAP, new ArrayList<>(), DumperOptions.FlowStyle.BLOCK);
                overrideOrigin.put(next, origin);
            }
            Node keyNode = at >= 0 ? tuples.get(at).getKeyNode()
                    : new ScalarNode(Tag.STR, seg, null, null, DumperOptions.ScalarStyle.PLAIN);
            if (at < 0) overrideOrigin.put(keyNode, origin);
            NodeTuple t = new NodeTuple(keyNode, next);
            if (at >= 0) tuples.set(at, t); else tuples.add(t);
            if (!last) {
                cur = (MappingNode) next;
                path = childPath;
            }
        }
    }

    private void mark(Node n, Override origin) {
        overrideOrigin.put(n, origin);
        if (n instanceof SequenceNode s) {
            for (Node c : s.getValue()) mark(c, origin);
        } else if (n instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                mark(t.getKeyNode(), origin);
                mark(t.getValueNode(), origin);
            }
        }
    }

    // ------------------------------------------------------------------ binding

    private <T> T bindRecord(Class<T> type, Node node, String path) {
        T defaults = defaultsOf(type);
        if (node == null || isNull(node)) return defaults;
        if (!(node instanceof MappingNode map)) {
            throw error(node, path, describe(node) + " (expected: a mapping with keys "
                    + String.join(", ", keysOf(type)) + ")");
        }
        List<String> keys = keysOf(type);
        Map<String, Node> seen = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks) || isNull(k)) {
                throw error(k, path, "key " + describe(k) + " (expected one of: "
                        + String.join(", ", keys) + ")");
            }
            String key = ks.getValue();
            String keyPath = join(path, key);
            if (seen.containsKey(key)) {
                Node first = seen.get(key);
                throw error(k, keyPath, "duplicate key (first given"
                        + (first.getStartMark() != null ? " on line " + (first.getStartMark().getLine() + 1) : "")
                        + ")");
            }
            if (!keys.contains(key)) {
                String guess = Suggest.closest(key, keys);
                throw error(k, keyPath, "unknown key (expected one of: " + String.join(", ", keys)
                        + (guess != null ? "; did you mean '" + guess + "'?" : "") + ")");
            }
            seen.put(key, t.getValueNode());
        }
        return construct(type, defaults, seen, map, path);
    }

    /**
     * Builds {@code type} from the given values of one mapping: a component keeps its value in
     * {@code defaults} unless its key was given; a {@link Flatten}ed section is built the same way
     * from the same mapping.
     */
    private <T> T construct(Class<T> type, Object defaults, Map<String, Node> given, MappingNode map, String path) {
        RecordComponent[] comps = type.getRecordComponents();
        Object[] args = new Object[comps.length];
        for (int i = 0; i < comps.length; i++) {
            RecordComponent rc = comps[i];
            Object def;
            try {
                def = defaults == null ? null : rc.getAccessor().invoke(defaults);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (flattened(rc)) {
                args[i] = construct(rc.getType(), def, given, map, path);
            } else {
                Node v = given.get(key(rc));
                args[i] = v == null ? def : convert(rc.getGenericType(), v, join(path, key(rc)));
            }
        }
        try {
            Constructor<T> ctor = type.getDeclaredConstructor(
                    java.util.Arrays.stream(comps).map(RecordComponent::getType).toArray(Class<?>[]::new));
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof ConfigException ce) throw ce;
            if (c instanceof IllegalArgumentException iae) throw relocate(iae.getMessage(), map, given, path);
            throw new IllegalStateException("constructing " + type.getSimpleName(), c);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Turns "key[: value (expected...)]" from a compact constructor into a located message. */
    private ConfigException relocate(String msg, MappingNode map, Map<String, Node> seen, String path) {
        if (msg == null) msg = "invalid value";
        int colon = msg.indexOf(": ");
        if (colon <= 0) return error(map, path, msg);
        String key = msg.substring(0, colon);
        String detail = msg.substring(colon + 2);
        String base = key;
        int elem = -1;
        Matcher m = INDEXED.matcher(key);
        if (m.matches()) {
            base = m.group(1);
            elem = Integer.parseInt(m.group(2));
        }
        Node at = seen.get(base);
        if (at instanceof SequenceNode s && elem >= 0 && elem < s.getValue().size()) at = s.getValue().get(elem);
        return error(at != null ? at : map, join(path, key), detail);
    }

    private Object convert(Type type, Node node, String path) {
        Class<?> raw = rawClass(type);
        if (raw.isRecord() && raw != ByteSize.class) return bindRecord(raw, node, path);
        if (isNull(node)) {
            if (raw.isPrimitive()) throw error(node, path, "null (expected: " + typeName(raw) + ")");
            return null;
        }
        if (List.class.isAssignableFrom(raw)) {
            Type elemType = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : String.class;
            if (!(node instanceof SequenceNode seq)) {
                throw error(node, path, describe(node) + " (expected: a list of " + typeName(rawClass(elemType))
                        + ", e.g. [0, 1], or null)");
            }
            List<Object> out = new ArrayList<>();
            List<Node> items = seq.getValue();
            for (int i = 0; i < items.size(); i++) {
                Node item = items.get(i);
                String ip = path + "[" + i + "]";
                if (isNull(item)) throw error(item, ip, "null (expected: " + typeName(rawClass(elemType)) + ")");
                out.add(convert(elemType, item, ip));
            }
            return Collections.unmodifiableList(out);
        }
        if (Map.class.isAssignableFrom(raw)) {
            // string-keyed mappings keep their order (e.g. train.lr_multipliers: first match wins)
            Type valueType = type instanceof ParameterizedType p ? p.getActualTypeArguments()[1] : String.class;
            if (!(node instanceof MappingNode mn)) {
                throw error(node, path, describe(node) + " (expected: a mapping of string to "
                        + typeName(rawClass(valueType)) + ", e.g. {\"head.*\": 10.0}, or null)");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (NodeTuple t : mn.getValue()) {
                Node k = t.getKeyNode();
                if (!(k instanceof ScalarNode ks) || isNull(k)) {
                    throw error(k, path, "key " + describe(k) + " (expected: a string)");
                }
                String ip = path + "." + ks.getValue();
                if (out.containsKey(ks.getValue())) throw error(k, ip, "duplicate key");
                Node v = t.getValueNode();
                if (isNull(v)) throw error(v, ip, "null (expected: " + typeName(rawClass(valueType)) + ")");
                out.put(ks.getValue(), convert(valueType, v, ip));
            }
            return Collections.unmodifiableMap(out);
        }
        if (raw == SizeSchedule.class) {
            return sizeSchedule(node, path);
        }
        if (!(node instanceof ScalarNode sc)) {
            throw error(node, path, describe(node) + " (expected: " + typeName(raw) + ")");
        }
        String v = sc.getValue().trim();
        if (raw == String.class) return sc.getValue();
        if (raw == java.nio.file.Path.class) return path(sc, node, path);
        if (raw == java.time.Duration.class) {
            String problem = Durations.problem(sc.getValue());
            if (problem != null) {
                throw error(node, path, Checks.show(sc.getValue()) + " (expected: "
                        + (problem.equals(Durations.EXPECTED) ? problem + ", or null for none" : problem) + ")");
            }
            return Durations.parse(path, sc.getValue());
        }
        if (raw == ByteSize.class) {
            try {
                return ByteSize.of(sc.getValue());
            } catch (IllegalArgumentException e) {
                throw error(node, path, Checks.show(sc.getValue()) + " (expected: " + ByteSize.EXPECTED + ")");
            }
        }
        if (raw.isEnum()) return choice(raw, sc, node, path);
        if (raw == boolean.class || raw == Boolean.class) {
            if (v.equalsIgnoreCase("true")) return Boolean.TRUE;
            if (v.equalsIgnoreCase("false")) return Boolean.FALSE;
            throw error(node, path, describe(node) + " (expected: true or false)");
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            Long l = parseLong(v);
            if (l == null) throw error(node, path, describe(node) + " (expected: integer)");
            if ((raw == int.class || raw == Integer.class) && (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE)) {
                throw error(node, path, describe(node) + " (expected: integer in [" + Integer.MIN_VALUE + ", "
                        + Integer.MAX_VALUE + "])");
            }
            return raw == int.class || raw == Integer.class ? (Object) l.intValue() : (Object) l;
        }
        if (raw == double.class || raw == Double.class) {
            Double d = parseDouble(v);
            if (d == null) throw error(node, path, describe(node) + " (expected: number)");
            return d;
        }
        throw new IllegalStateException("unsupported config type " + type + " at " + path);
    }

    /** The enum constant whose lower-case name is the scalar; anything else names the choices. */
    private Object choice(Class<?> type, ScalarNode sc, Node node, String path) {
        for (Object c : type.getEnumConstants()) {
            if (((Enum<?>) c).name().toLowerCase(java.util.Locale.ROOT).equals(sc.getValue())) return c;
        }
        throw error(node, path, describe(node) + " (expected: " + Checks.choices(type) + ")");
    }

    private java.nio.file.Path path(ScalarNode sc, Node node, String path) {
        try {
            return java.nio.file.Path.of(sc.getValue());
        } catch (java.nio.file.InvalidPathException e) {
            throw error(node, path, describe(node) + " (expected: a file or folder path, or null)");
        }
    }

    private static Long parseLong(String v) {
        String s = v.replace("_", "");
        try {
            boolean neg = s.startsWith("-");
            String body = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
            long r;
            if (body.startsWith("0x") || body.startsWith("0X")) r = Long.parseLong(body.substring(2), 16);
            else if (body.startsWith("0b") || body.startsWith("0B")) r = Long.parseLong(body.substring(2), 2);
            else if (body.startsWith("0o") || body.startsWith("0O")) r = Long.parseLong(body.substring(2), 8);
            else if (!body.isEmpty() && body.chars().allMatch(Character::isDigit)) r = Long.parseLong(body);
            else return null;
            return neg ? -r : r;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double parseDouble(String v) {
        String s = v.replace("_", "");
        // Double.parseDouble also takes "NaN", "Infinity", hex floats and a trailing d/f; keep to decimal
        if (!s.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) return null;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ errors

    private ConfigException error(Node node, String path, String detail) {
        Override o = node == null ? null : overrideOrigin.get(node);
        if (o != null) {
            return ConfigException.inOverride(o.text(),
                    (path.equals(o.path()) ? "" : (path.isEmpty() ? "" : path + ": ")) + detail, null);
        }
        Mark m = node == null ? null : node.getStartMark();
        String where = m == null ? source : source + ":" + (m.getLine() + 1);
        return new ConfigException(where + " " + (path.isEmpty() ? "<root>" : path) + ": " + detail);
    }

    /** The value as shown in messages: strings quoted as written, numbers plain, collections named. */
    private static String describe(Node n) {
        if (n instanceof ScalarNode s) {
            if (isNull(s)) return "null";
            return Tag.STR.equals(s.getTag()) ? "'" + s.getValue() + "'" : s.getValue();
        }
        if (n instanceof SequenceNode) return "a list";
        if (n instanceof MappingNode) return "a mapping";
        return String.valueOf(n);
    }

    // ------------------------------------------------------------------ helpers

    static boolean isNull(Node n) {
        return n instanceof ScalarNode && Tag.NULL.equals(n.getTag());
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        throw new IllegalStateException("unsupported config type " + t);
    }

    private static String typeName(Class<?> c) {
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) return "integer";
        if (c == double.class || c == Double.class) return "number";
        if (c == boolean.class || c == Boolean.class) return "true or false";
        if (c == String.class) return "string";
        if (List.class.isAssignableFrom(c)) return "list";
        if (Map.class.isAssignableFrom(c)) return "mapping";
        if (c == ByteSize.class) return ByteSize.EXPECTED;
        if (c.isRecord()) return "a mapping";
        if (c.isEnum()) return Checks.choices(c);
        if (c == java.nio.file.Path.class) return "a path";
        if (c == java.time.Duration.class) return Durations.EXPECTED;
        return c.getSimpleName();
    }

    @SuppressWarnings("unchecked")
    static <T> T defaultsOf(Class<T> type) {
        try {
            return (T) type.getMethod("defaults").invoke(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(type + " has no public static defaults()", e);
        }
    }

    /** The component (looked up through {@link Flatten}ed sections) whose YAML key is {@code snakeKey}, or null. */
    static RecordComponent component(Class<?> type, String snakeKey) {
        for (RecordComponent rc : type.getRecordComponents()) {
            if (flattened(rc)) {
                RecordComponent inner = component(rc.getType(), snakeKey);
                if (inner != null) return inner;
            } else if (key(rc).equals(snakeKey)) {
                return rc;
            }
        }
        return null;
    }

    /** The YAML keys of a record's mapping in declaration order, {@link Flatten}ed sections' keys in place. */
    static List<String> keysOf(Class<?> type) {
        List<String> keys = new ArrayList<>();
        for (RecordComponent rc : type.getRecordComponents()) {
            if (flattened(rc)) {
                for (String k : keysOf(rc.getType())) {
                    if (keys.contains(k)) throw new IllegalStateException(type + ": key " + k + " twice");
                    keys.add(k);
                }
            } else {
                keys.add(key(rc));
            }
        }
        return keys;
    }

    /** Whether the component is a section whose keys live in the parent mapping. */
    static boolean flattened(RecordComponent rc) {
        return rc.isAnnotationPresent(Flatten.class);
    }

    /** The YAML key of a component: its {@link ConfigKey}, else the snake_case of its name. */
    static String key(RecordComponent rc) {
        ConfigKey k = rc.getAnnotation(ConfigKey.class);
        return k != null ? k.value() : snake(rc.getName());
    }

    /** {@code data.img_size}: an integer, or a list of [epoch, size] pairs / [epoch, size, batch] triples (checked by the record). */
    private SizeSchedule sizeSchedule(Node node, String path) {
        String expected = "a size such as 224, or a list of [epoch, size] pairs such as [[0, 160], [10, 224]]";
        if (node instanceof ScalarNode) {
            Long l = node instanceof ScalarNode sc ? parseLong(sc.getValue().trim()) : null;
            if (l == null || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                throw error(node, path, describe(node) + " (expected: " + expected + ")");
            }
            return SizeSchedule.fixed(l.intValue());
        }
        if (!(node instanceof SequenceNode seq)) throw error(node, path, describe(node) + " (expected: " + expected + ")");
        List<int[]> pairs = new ArrayList<>();
        List<Node> items = seq.getValue();
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            String ip = path + "[" + i + "]";
            if (!(item instanceof SequenceNode p) || p.getValue().size() < 2 || p.getValue().size() > 3) {
                throw error(item, ip, describe(item) + (item instanceof SequenceNode p2 ? " of " + p2.getValue().size()
                        : "") + " (expected: an [epoch, size] pair of integers, e.g. [10, 224], or an [epoch, size, "
                        + "batch] triple)");
            }
            int[] pair = new int[p.getValue().size()];
            for (int j = 0; j < pair.length; j++) {
                Node v = p.getValue().get(j);
                Long l = v instanceof ScalarNode sc ? parseLong(sc.getValue().trim()) : null;
                if (l == null || l < 0 || l > Integer.MAX_VALUE) {
                    throw error(v, ip + "[" + j + "]", describe(v) + " (expected: " + (j == 0 ? "an epoch"
                            : j == 1 ? "a size" : "a batch size") + ", an integer >= 0)");
                }
                pair[j] = l.intValue();
            }
            pairs.add(pair);
        }
        return SizeSchedule.of(pairs);
    }

    /** camelCase -> snake_case: "nFolds" -> "n_folds", "rot90" -> "rot90". */
    static String snake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) sb.append('_').append(Character.toLowerCase(c));
            else sb.append(c);
        }
        return sb.toString();
    }
}
