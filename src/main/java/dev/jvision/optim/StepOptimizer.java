package dev.jvision.optim;

import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * An optimiser over {@link ParamGroup}s that updates parameters from their {@code .grad} with
 * multi-tensor kernels. The learning rate is passed per step (schedules live outside). Its
 * state (moments, step counts) is exposed by name for checkpoints. Owns its state tensors
 * (freed by {@link #close()}); not thread-safe.
 */
public interface StepOptimizer extends AutoCloseable {
    /** One update with base learning rate {@code lr} (times each group's multiplier). Parameters without a gradient are skipped. */
    void step(double lr);

    /** The groups, in order. */
    List<ParamGroup> groups();

    /** Every parameter (all groups). */
    default List<Tensor> parameters() {
        return groups().stream().flatMap(g -> g.params().stream()).toList();
    }

    /** Sets every gradient to undefined. */
    default void zeroGrad() {
        for (Tensor p : parameters()) {
            Tensor g = p.mutable_grad();
            if (g.defined()) {
                g.reset();
            }
        }
    }

    /** State tensors by name ({@code <param>.exp_avg}, ...), for checkpoints; not copies. */
    Map<String, Tensor> state();

    /** Copies {@code state} (as produced by {@link #state()}) into this optimiser. */
    void loadState(Map<String, Tensor> state);

    /** Optimiser steps taken. */
    long steps();

    @Override
    void close();
}
