package dev.jvision.config;

import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Loading, overriding and writing {@link Experiment} configurations.
 *
 * <p>YAML is read with SnakeYAML's safe constructor (no arbitrary types). Keys are the snake_case
 * of the record component names; absent keys take their defaults; unknown keys, wrong types and
 * out-of-range values are {@link ConfigException}s naming file, line, key path, value and what was
 * expected. Overrides ({@code --set} style, {@code "train.epochs=3"}) are applied to the parsed
 * tree before validation; their value is parsed as a YAML scalar/flow value, so {@code [0,1]} and
 * {@code null} work.
 *
 * <p>Stateless and thread-safe.
 */
public final class Configs {
    private Configs() {}

    /**
     * Loads a YAML file, applies overrides like {@code "train.epochs=3"} (value parsed as YAML),
     * and validates.
     *
     * @param yaml the config file (UTF-8); its path as given is used in error messages
     * @param overrides {@code key.path=value} strings applied in order; may be null or empty
     * @return the validated configuration
     * @throws ConfigException on any config error, including an unreadable file
     */
    public static Experiment load(Path yaml, List<String> overrides) {
        String text;
        try {
            text = Files.readString(yaml, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(yaml + ": cannot read config (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
        return fromYaml(text, yaml.toString(), overrides);
    }

    /**
     * Parses YAML text, applies overrides and validates.
     *
     * @param yamlText the YAML document; empty (or only comments) means all defaults
     * @param sourceName the name used in error messages, usually the file path
     * @param overrides {@code key.path=value} strings applied in order; may be null or empty
     * @return the validated configuration
     * @throws ConfigException on any config error
     */
    public static Experiment fromYaml(String yamlText, String sourceName, List<String> overrides) {
        return new Binder(sourceName == null ? "<config>" : sourceName)
                .load(yamlText == null ? "" : yamlText, overrides);
    }

    /**
     * The effective configuration as YAML: snake_case keys, every field, block style, re-loadable
     * by {@link #load} / {@link #fromYaml} to an equal {@link Experiment}.
     *
     * @param e the configuration
     * @return YAML text ending in a newline
     */
    public static String toYaml(Experiment e) {
        DumperOptions opts = new DumperOptions();
        opts.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        opts.setIndent(2);
        opts.setWidth(120);
        opts.setLineBreak(DumperOptions.LineBreak.UNIX);
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(opts), opts);
        StringWriter out = new StringWriter();
        yaml.serialize(toNode(e), out);
        return out.toString();
    }

    /**
     * Writes {@link #toYaml} to {@code file} atomically: a temp file in the same directory is
     * written, then moved over the target with {@code ATOMIC_MOVE} (falling back to a plain
     * replacing move only where the file system cannot move atomically). Parent directories are
     * created.
     *
     * @param e the configuration
     * @param file the destination
     * @throws IOException if writing or moving fails (the temp file is then removed)
     */
    public static void write(Experiment e, Path file) throws IOException {
        AtomicFiles.writeText(file, w -> w.write(toYaml(e)));
    }

    private static Node toNode(Object v) {
        if (v == null) return scalar(Tag.NULL, "null");
        if (v instanceof ByteSize b) return scalar(Tag.STR, b.toString());
        if (v instanceof Record r) {
            List<NodeTuple> tuples = new ArrayList<>();
            addTuples(r, tuples);
            return new MappingNode(Tag.MAP, tuples, DumperOptions.FlowStyle.BLOCK);
        }
        if (v instanceof java.time.Duration d) return scalar(Tag.STR, Durations.format(d));
        if (v instanceof Path p) return scalar(Tag.STR, p.toString());
        if (v instanceof SizeSchedule s) return toNode(s.toConfig());
        if (v instanceof java.util.Map<?, ?> map) {
            List<NodeTuple> tuples = new ArrayList<>();
            for (java.util.Map.Entry<?, ?> e : map.entrySet()) {
                tuples.add(new NodeTuple(scalar(Tag.STR, String.valueOf(e.getKey())), toNode(e.getValue())));
            }
            return new MappingNode(Tag.MAP, tuples, DumperOptions.FlowStyle.FLOW);
        }
        if (v instanceof List<?> list) {
            List<Node> items = new ArrayList<>();
            for (Object o : list) items.add(toNode(o));
            return new SequenceNode(Tag.SEQ, items, DumperOptions.FlowStyle.FLOW);
        }
        if (v instanceof Integer || v instanceof Long) return scalar(Tag.INT, v.toString());
        if (v instanceof Double d) return scalar(Tag.FLOAT, d.toString());
        if (v instanceof Boolean b) return scalar(Tag.BOOL, b.toString());
        if (v instanceof String s) return scalar(Tag.STR, s);
        if (v instanceof Enum<?> c) return scalar(Tag.STR, c.name().toLowerCase(java.util.Locale.ROOT));
        throw new IllegalStateException("unsupported config value " + v.getClass());
    }

    /** The record's keys and values; a {@link Flatten}ed section's keys go into the same mapping. */
    private static void addTuples(Record r, List<NodeTuple> tuples) {
        for (RecordComponent rc : r.getClass().getRecordComponents()) {
            Object value;
            try {
                value = rc.getAccessor().invoke(r);
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
            if (Binder.flattened(rc)) addTuples((Record) value, tuples);
            else tuples.add(new NodeTuple(scalar(Tag.STR, Binder.key(rc)), toNode(value)));
        }
    }

    private static ScalarNode scalar(Tag tag, String value) {
        return new ScalarNode(tag, value, null, null, DumperOptions.ScalarStyle.PLAIN);
    }
}
