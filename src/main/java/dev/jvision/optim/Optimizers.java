package dev.jvision.optim;

import dev.jvision.nn.Layer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.OptimizerParamGroup;
import org.bytedeco.pytorch.OptimizerParamGroupVector;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * Builds optimisers over a layer's parameters, with timm's grouping: no weight decay for 1-d
 * parameters (norm scales, biases). The caller owns and closes the optimiser. Thread-safe.
 */
public final class Optimizers {
    private Optimizers() {}

    /** AdamW (libtorch's) with two groups: decayed weights and undecayed norms/biases. */
    public static Optimizer adamw(Layer model, double lr, double weightDecay) {
        List<Tensor> decay = new ArrayList<>();
        List<Tensor> noDecay = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            (e.getValue().dim() <= 1 ? noDecay : decay).add(e.getValue());
        }
        AdamWOptions defaults = new AdamWOptions(lr);
        defaults.weight_decay().put(weightDecay);
        AdamW opt = new AdamW(new TensorVector(decay.toArray(new Tensor[0])), defaults);
        if (!noDecay.isEmpty()) {
            opt.add_param_group(group(noDecay, lr, 0.0));
        }
        return opt;
    }

    private static OptimizerParamGroup group(List<Tensor> params, double lr, double wd) {
        AdamWOptions o = new AdamWOptions(lr);
        o.weight_decay().put(wd);
        return new OptimizerParamGroup(new TensorVector(params.toArray(new Tensor[0])), o);
    }

    /** Sets the learning rate of every group. */
    public static void setLr(Optimizer opt, double lr) {
        OptimizerParamGroupVector groups = opt.param_groups();
        for (long i = 0; i < groups.size(); i++) {
            groups.get(i).options().set_lr(lr);
        }
    }
}
