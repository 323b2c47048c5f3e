package dev.jvision.optim;

import dev.jvision.nn.Layer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * Splits a model's parameters into optimiser groups, as timm does: no weight decay on 1-d
 * tensors (norm scales, biases) and on position/class-token tables; the classifier head (the
 * parameters under {@code headPrefix}) gets {@code headLrScale} times the backbone's learning
 * rate. Optionally each parameter's scale is further multiplied by its layer-wise decay
 * ({@link LayerDecay}, {@code train.layer_decay}) and by its first matching name glob
 * ({@link LrMultipliers}, {@code train.lr_multipliers}):
 * {@code scale = head_lr_scale (head only) x layer_decay^(layers - 1 - layer) x multiplier}.
 * Stateless and thread-safe.
 */
public final class ParamGroups {
    private ParamGroups() {}

    /** True for parameters that must not be weight-decayed. */
    public static boolean noDecay(String name, Tensor t) {
        String leaf = name.substring(name.lastIndexOf('.') + 1);
        return t.dim() <= 1 || leaf.contains("pos_embed") || leaf.contains("position") || leaf.equals("cls_token")
                || leaf.contains("relative_position_bias_table") || leaf.equals("dist_token");
    }

    /**
     * Builds up to four non-empty groups: backbone / backbone_no_decay / head / head_no_decay.
     *
     * @param headPrefix  dotted prefix of the classifier ({@code fc}, {@code head.fc}); null = no head group
     */
    public static List<ParamGroup> of(Layer model, String headPrefix, double weightDecay, double headLrScale) {
        return of(model, headPrefix, weightDecay, headLrScale, null, LrMultipliers.none(), "the model");
    }

    /**
     * Groups with per-parameter learning-rate scales. Without layer decay and multipliers this is
     * {@link #of(Layer, String, double, double)}. Otherwise parameters sharing a scale and a
     * weight decay form one group, named {@code layer_<id>} (with layer decay; the head is the
     * last layer) or {@code backbone}/{@code head}, plus {@code _x<multiplier>} when a glob
     * matched and {@code _no_decay} for excluded tensors; groups are ordered by first parameter.
     *
     * @param headPrefix  dotted prefix of the classifier; null = no head group
     * @param layerDecay  layer-wise decay, null = off
     * @param multipliers learning-rate multipliers by glob (each must match a parameter)
     * @param modelName   the model's name, for messages
     * @throws IllegalArgumentException when a multiplier glob matches no parameter
     */
    public static List<ParamGroup> of(Layer model, String headPrefix, double weightDecay, double headLrScale,
                                      LayerDecay layerDecay, LrMultipliers multipliers, String modelName) {
        Map<String, Tensor> params = model.namedParameters();
        if (layerDecay != null || !multipliers.isEmpty()) {
            return scaled(params, headPrefix, weightDecay, headLrScale, layerDecay, multipliers, modelName);
        }
        Map<String, List<String>> names = new LinkedHashMap<>();
        Map<String, List<Tensor>> tensors = new LinkedHashMap<>();
        for (String g : List.of("backbone", "backbone_no_decay", "head", "head_no_decay")) {
            names.put(g, new ArrayList<>());
            tensors.put(g, new ArrayList<>());
        }
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String n = e.getKey();
            boolean head = headPrefix != null && (n.equals(headPrefix) || n.startsWith(headPrefix + "."));
            String g = (head ? "head" : "backbone") + (noDecay(n, e.getValue()) ? "_no_decay" : "");
            names.get(g).add(n);
            tensors.get(g).add(e.getValue());
        }
        List<ParamGroup> out = new ArrayList<>();
        for (String g : names.keySet()) {
            if (!names.get(g).isEmpty()) {
                out.add(new ParamGroup(g, names.get(g), tensors.get(g), g.startsWith("head") ? headLrScale : 1.0,
                        g.endsWith("no_decay") ? 0.0 : weightDecay));
            }
        }
        return out;
    }

    private static List<ParamGroup> scaled(Map<String, Tensor> params, String headPrefix, double weightDecay,
                                           double headLrScale, LayerDecay layerDecay, LrMultipliers multipliers,
                                           String modelName) {
        multipliers.requireAllMatch(params.keySet(), modelName);
        Map<String, Integer> layers = layerDecay == null ? Map.of() : layerDecay.layerIds(params.keySet());
        Map<String, Double> layerScales = layerDecay == null ? Map.of() : layerDecay.scales(params.keySet());
        Map<String, List<String>> names = new LinkedHashMap<>();
        Map<String, List<Tensor>> tensors = new LinkedHashMap<>();
        Map<String, double[]> settings = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String n = e.getKey();
            boolean head = headPrefix != null && (n.equals(headPrefix) || n.startsWith(headPrefix + "."));
            int m = multipliers.match(n);
            double scale = (head ? headLrScale : 1.0) * (layerDecay == null ? 1.0 : layerScales.get(n))
                    * multipliers.factor(n);
            boolean noDecay = noDecay(n, e.getValue());
            String g = (layerDecay == null ? (head ? "head" : "backbone") : "layer_" + layers.get(n))
                    + (head && layerDecay != null && headLrScale != 1.0 ? "_head" : "")
                    + (m < 0 ? "" : "_x" + multipliers.factor(n) + "[" + multipliers.glob(m) + "]")
                    + (noDecay ? "_no_decay" : "");
            names.computeIfAbsent(g, k -> new ArrayList<>()).add(n);
            tensors.computeIfAbsent(g, k -> new ArrayList<>()).add(e.getValue());
            settings.putIfAbsent(g, new double[] {scale, noDecay ? 0.0 : weightDecay});
        }
        List<ParamGroup> out = new ArrayList<>();
        for (String g : names.keySet()) {
            out.add(new ParamGroup(g, names.get(g), tensors.get(g), settings.get(g)[0], settings.get(g)[1]));
        }
        return out;
    }

    /**
     * Splits every group holding some of {@code names} in two: the rest keeps the group, the
     * named parameters move to {@code <group>_<suffix>} with the learning-rate scale multiplied
     * by {@code lrFactor} (for example BatchNorm biases trained faster, {@code train.batch_norm.bias_lr_scale}).
     * Order is kept; empty groups are dropped.
     */
    public static List<ParamGroup> scale(List<ParamGroup> groups, java.util.Set<String> names, double lrFactor,
                                         String suffix) {
        if (!(lrFactor > 0) || Double.isInfinite(lrFactor)) {
            throw new IllegalArgumentException("lr factor: " + lrFactor + " (expected: > 0)");
        }
        List<ParamGroup> out = new ArrayList<>();
        for (ParamGroup g : groups) {
            List<String> keepN = new ArrayList<>();
            List<Tensor> keepT = new ArrayList<>();
            List<String> movedN = new ArrayList<>();
            List<Tensor> movedT = new ArrayList<>();
            for (int i = 0; i < g.names().size(); i++) {
                boolean hit = names.contains(g.names().get(i));
                (hit ? movedN : keepN).add(g.names().get(i));
                (hit ? movedT : keepT).add(g.params().get(i));
            }
            if (!keepN.isEmpty()) {
                out.add(movedN.isEmpty() ? g : new ParamGroup(g.name(), keepN, keepT, g.lrScale(), g.weightDecay()));
            }
            if (!movedN.isEmpty()) {
                out.add(new ParamGroup(g.name() + "_" + suffix, movedN, movedT, g.lrScale() * lrFactor, g.weightDecay()));
            }
        }
        return out;
    }
}
