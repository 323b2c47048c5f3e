package dev.jvision.optim;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Layer-wise learning-rate decay ({@code train.layer_decay}) with timm's semantics: parameters
 * are numbered into layers by the model family's fine-grained group matcher (stem first, then
 * each block, the classifier head last), and layer {@code i} of {@code n} gets the learning-rate
 * scale {@code decay^(n - 1 - i)}: the head 1.0, the stem the smallest.
 *
 * <p>The matchers reproduce timm's {@code group_matcher(coarse=False)} of each family over
 * timm's parameter names (which jvision models use), and the numbering reproduces timm's
 * {@code group_with_matcher}: every name gets a key (group ordinal, the regex's captured
 * numbers, an optional fixed suffix; unmatched names such as the head sort last), keys are
 * sorted, and each distinct key opens a new layer except those ending in the
 * "merge with previous" marker 99999 (final norms join the last block). Checked against timm
 * 1.0.29 by {@code LayerDecayTest}.
 *
 * <p>Immutable and thread-safe.
 */
public final class LayerDecay {
    /** timm's {@code MATCH_PREV_GROUP}: a key ending in it joins the previous layer. */
    private static final double MERGE_PREVIOUS = 99999;

    /** One regex of a family's matcher: its group ordinal and optional fixed suffix. */
    private record Rule(Pattern pattern, int ordinal, double[] suffix) {}

    private static final Map<String, List<Rule>> FAMILIES = Map.of(
            "convnext", List.of(
                    rule("^stem", 0, null),
                    rule("^stages\\.(\\d+)\\.downsample", 1, 0.0),
                    rule("^stages\\.(\\d+)\\.blocks\\.(\\d+)", 1, null),
                    rule("^norm_pre", 1, MERGE_PREVIOUS)),
            "swin", List.of(
                    rule("^patch_embed", 0, null),
                    rule("^layers\\.(\\d+).downsample", 1, 0.0),
                    rule("^layers\\.(\\d+)\\.\\w+\\.(\\d+)", 1, null),
                    rule("^norm", 1, MERGE_PREVIOUS)),
            "efficientnetv2", List.of(
                    rule("^conv_stem|bn1", 0, null),
                    rule("^blocks\\.(\\d+)\\.(\\d+)", 1, null),
                    rule("conv_head|bn2", 1, MERGE_PREVIOUS)),
            "resnet", List.of(
                    rule("^conv1|bn1|maxpool", 0, null),
                    rule("^layer(\\d+)\\.(\\d+)", 1, null)));

    private final double decay;
    private final List<Rule> rules;

    private LayerDecay(double decay, List<Rule> rules) {
        this.decay = decay;
        this.rules = rules;
    }

    private static Rule rule(String regex, int ordinal, Double suffix) {
        return new Rule(Pattern.compile(regex), ordinal, suffix == null ? null : new double[] {suffix});
    }

    /** The model families with a layer matcher: {@code convnext}, {@code efficientnetv2}, {@code resnet}, {@code swin}. */
    public static List<String> families() {
        return FAMILIES.keySet().stream().sorted().toList();
    }

    /**
     * Layer-wise decay for a model family.
     *
     * @param family the model's family ({@code ModelSpec.family()})
     * @param decay  the per-layer factor, in (0, 1]
     * @throws IllegalArgumentException for a family without a matcher or a decay outside (0, 1]
     */
    public static LayerDecay of(String family, double decay) {
        if (!(decay > 0 && decay <= 1)) {
            throw new IllegalArgumentException("train.layer_decay: " + decay + " (expected: in (0, 1], or 0 for off)");
        }
        List<Rule> rules = FAMILIES.get(family);
        if (rules == null) {
            throw new IllegalArgumentException("train.layer_decay: " + decay + " (expected: 0 for model family '" + family
                    + "'; layer-wise decay is defined for the families " + families() + ")");
        }
        return new LayerDecay(decay, rules);
    }

    /** The per-layer factor. */
    public double decay() {
        return decay;
    }

    /**
     * Layer ids of {@code names} (0 = stem; the largest id holds the head), as timm numbers them.
     *
     * @param names every parameter name of the model
     * @return name to layer id, for every name
     */
    public Map<String, Integer> layerIds(Collection<String> names) {
        Comparator<double[]> lexicographic = (a, b) -> {
            for (int i = 0; i < Math.min(a.length, b.length); i++) {
                int c = Double.compare(a[i], b[i]);
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(a.length, b.length);
        };
        TreeMap<double[], List<String>> byKey = new TreeMap<>(lexicographic);
        for (String n : names) {
            byKey.computeIfAbsent(key(n), k -> new ArrayList<>()).add(n);
        }
        Map<String, Integer> out = new HashMap<>();
        int id = -1;
        for (Map.Entry<double[], List<String>> e : byKey.entrySet()) {
            double[] k = e.getKey();
            if (id < 0 || k[k.length - 1] != MERGE_PREVIOUS) {
                id++;
            }
            for (String n : e.getValue()) {
                out.put(n, id);
            }
        }
        return out;
    }

    /**
     * Learning-rate scale of every name: {@code decay^(layers - 1 - layerId)}.
     *
     * @param names every parameter name of the model
     * @return name to scale, for every name
     */
    public Map<String, Double> scales(Collection<String> names) {
        Map<String, Integer> ids = layerIds(names);
        int max = ids.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        Map<String, Double> out = new HashMap<>();
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            out.put(e.getKey(), Math.pow(decay, max - e.getValue()));
        }
        return out;
    }

    /** timm's grouping key of one name: ordinal, captured numbers, suffix; unmatched = [+inf]. */
    private double[] key(String name) {
        for (Rule r : rules) {
            Matcher m = r.pattern().matcher(name);
            if (m.lookingAt()) {
                List<Double> parts = new ArrayList<>();
                parts.add((double) r.ordinal());
                for (int g = 1; g <= m.groupCount(); g++) {
                    if (m.group(g) != null) {
                        parts.add(Double.parseDouble(m.group(g)));
                    }
                }
                if (r.suffix() != null) {
                    for (double s : r.suffix()) {
                        parts.add(s);
                    }
                }
                return parts.stream().mapToDouble(Double::doubleValue).toArray();
            }
        }
        return new double[] {Double.POSITIVE_INFINITY};
    }
}
