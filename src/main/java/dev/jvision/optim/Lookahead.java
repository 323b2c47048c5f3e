package dev.jvision.optim;

import dev.jvision.nn.Layer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Lookahead-style weight averaging, as airbench uses it (arXiv 2404.00498; after Zhang et al.'s
 * Lookahead): every {@code every} optimiser steps the slow copy moves towards the live weights,
 * {@code slow = d * slow + (1 - d) * live}, and the live weights are set back to it. The decay
 * follows training progress p in [0, 1]: {@code d = decay x p^power}, so early on the live
 * weights are barely held back and near the end they are averaged strongly. Unlike
 * {@link Ema}, the averaged weights are the ones training continues from. Covers every floating
 * parameter and buffer (BatchNorm statistics included); integer buffers are left alone. Owns
 * its slow copies ({@link #close()}); not thread-safe.
 */
public final class Lookahead implements AutoCloseable {
    private final int every;
    private final double decay;
    private final double power;
    private final List<String> names = new ArrayList<>();
    private final List<Tensor> live = new ArrayList<>();
    private final List<Tensor> slow = new ArrayList<>();
    private long updates;
    private boolean closed;

    /**
     * Starts the slow weights at {@code model}'s current ones.
     *
     * @param every steps between synchronisations, &gt;= 1
     * @param decay the decay at the end of training, in [0, 1]
     * @param power the exponent of the progress ramp, &gt;= 0
     */
    public Lookahead(Layer model, int every, double decay, double power) {
        if (every < 1) throw new IllegalArgumentException("lookahead.every: " + every + " (expected: >= 1)");
        if (!(decay >= 0 && decay <= 1)) throw new IllegalArgumentException("lookahead.decay: " + decay + " (expected: in [0, 1])");
        if (!(power >= 0)) throw new IllegalArgumentException("lookahead.power: " + power + " (expected: >= 0)");
        this.every = every;
        this.decay = decay;
        this.power = power;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                if (!e.getValue().is_floating_point()) {
                    continue;
                }
                Tensor s = e.getValue().detach().clone();
                s.retainReference();
                names.add(e.getKey());
                live.add(e.getValue());
                slow.add(s);
            }
        }
    }

    /** The decay at training progress {@code progress} (clamped to [0, 1]). */
    public double decayAt(double progress) {
        double p = Math.min(1, Math.max(0, progress));
        return decay * Math.pow(p, power);
    }

    /**
     * Called after optimiser step {@code step} (1-based); synchronises when {@code step} is a
     * multiple of {@code every}. Returns whether it did.
     */
    public boolean afterStep(long step, double progress) {
        check();
        if (step % every != 0) {
            return false;
        }
        double d = decayAt(progress);
        try (NoGradGuard ng = new NoGradGuard()) {
            AtenOps.lerp(slow, live, 1.0 - d);
            for (int i = 0; i < slow.size(); i++) {
                live.get(i).detach().copy_(slow.get(i));
            }
        }
        updates++;
        return true;
    }

    /** Synchronisations so far. */
    public long updates() {
        return updates;
    }

    /** The slow tensors by state-dict name (not copies), for checkpoints. */
    public Map<String, Tensor> state() {
        check();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), slow.get(i));
        }
        return out;
    }

    /** Restores {@link #state()}. */
    public void load(Map<String, Tensor> state) {
        check();
        try (NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < names.size(); i++) {
                Tensor src = state.get(names.get(i));
                if (src == null) throw new IllegalArgumentException("lookahead state: missing '" + names.get(i) + "'");
                slow.get(i).copy_(src);
            }
        }
    }

    private void check() {
        if (closed) throw new IllegalStateException("Lookahead is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        slow.forEach(Tensor::releaseReference);
    }
}
