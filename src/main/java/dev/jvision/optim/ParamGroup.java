package dev.jvision.optim;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Parameters that share optimiser settings: a learning-rate multiplier (applied to the
 * scheduled rate) and a weight decay. The tensors are the model's (not owned). Immutable.
 *
 * @param name        group name for logs ({@code backbone}, {@code backbone_no_decay}, {@code head}, ...)
 * @param names       parameter names, parallel to {@code params}
 * @param params      the parameter tensors
 * @param lrScale     multiplier of the scheduled learning rate
 * @param weightDecay decoupled weight decay
 */
public record ParamGroup(String name, List<String> names, List<Tensor> params, double lrScale, double weightDecay) {
    public ParamGroup {
        names = List.copyOf(names);
        params = List.copyOf(params);
        if (names.size() != params.size()) {
            throw new IllegalArgumentException("names: " + names.size() + " entries (expected: " + params.size() + ")");
        }
    }
}
