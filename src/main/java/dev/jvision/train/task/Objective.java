package dev.jvision.train.task;

import dev.jvision.nn.Layer;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * What a training step minimises: the model's outputs for an input and their loss against the
 * collated targets. The step engine runs {@link #forward} under autocast and {@link #loss}
 * after it. Every {@link Task.Session} is one; {@link ClassificationTask#objective} is the
 * classification loss alone. Tensors returned live in the caller's native scope.
 * Implementations need not be thread-safe.
 */
@FunctionalInterface
public interface Objective {
    /** The model's outputs for {@code input}: one tensor for most models, several for multi-output heads. */
    default List<Tensor> forward(Layer model, Tensor input) {
        return List.of(model.forward(input));
    }

    /** The training loss of {@code outputs} against {@code targets}: a float32 scalar. */
    Tensor loss(List<Tensor> outputs, Tensor targets);
}
