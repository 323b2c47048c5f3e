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
 * rate. Stateless and thread-safe.
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
        Map<String, List<String>> names = new LinkedHashMap<>();
        Map<String, List<Tensor>> tensors = new LinkedHashMap<>();
        for (String g : List.of("backbone", "backbone_no_decay", "head", "head_no_decay")) {
            names.put(g, new ArrayList<>());
            tensors.put(g, new ArrayList<>());
        }
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
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
}
