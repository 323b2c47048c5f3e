package dev.jvision.optim;

import dev.jvision.nn.Layer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Exponential moving average of a model's parameters and buffers (timm's ModelEmaV3):
 * {@code ema = d * ema + (1 - d) * w} after each optimiser step, with
 * {@code d = min(decay, (1 + t) / (10 + t))} during warmup (t = updates so far), updated with
 * one {@code _foreach_lerp_} call; integer buffers are copied. {@link #swap} exchanges the
 * averaged and live weights, for validation and checkpoints. Owns its shadow tensors; not
 * thread-safe.
 */
public final class Ema implements AutoCloseable {
    private final double decay;
    private final boolean warmup;
    private final List<String> names = new ArrayList<>();
    private final List<Tensor> live = new ArrayList<>();
    private final List<Tensor> shadow = new ArrayList<>();
    private final List<Tensor> liveFloat = new ArrayList<>();
    private final List<Tensor> shadowFloat = new ArrayList<>();
    private long updates;
    private boolean closed;

    /** Starts the average at {@code model}'s current weights. */
    public Ema(Layer model, double decay, boolean warmup) {
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("decay: " + decay + " (expected: in [0, 1))");
        this.decay = decay;
        this.warmup = warmup;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                Tensor s = e.getValue().detach().clone();
                s.retainReference();
                names.add(e.getKey());
                live.add(e.getValue());
                shadow.add(s);
                if (s.is_floating_point()) {
                    liveFloat.add(e.getValue());
                    shadowFloat.add(s);
                }
            }
        }
    }

    /** The decay used by the next update. */
    public double currentDecay() {
        return warmup ? Math.min(decay, (1.0 + updates) / (10.0 + updates)) : decay;
    }

    /** Folds the model's current weights into the average. */
    public void update() {
        check();
        double d = currentDecay();
        try (NoGradGuard ng = new NoGradGuard()) {
            AtenOps.lerp(shadowFloat, liveFloat, 1.0 - d);
            for (int i = 0; i < shadow.size(); i++) {
                if (!shadow.get(i).is_floating_point()) {
                    shadow.get(i).copy_(live.get(i));
                }
            }
        }
        updates++;
    }

    /** Exchanges the model's weights and the averaged ones (call again to undo). */
    public void swap() {
        check();
        try (NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < shadow.size(); i++) {
                Tensor w = live.get(i);
                Tensor tmp = w.detach().clone();
                w.detach().copy_(shadow.get(i));
                shadow.get(i).copy_(tmp);
                tmp.close();
            }
        }
    }

    /** Updates so far. */
    public long updates() {
        return updates;
    }

    /** The averaged tensors by state-dict name (not copies); plus {@code updates} on restore via {@link #load}. */
    public Map<String, Tensor> state() {
        check();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), shadow.get(i));
        }
        return out;
    }

    /** Restores the average and its update count. */
    public void load(Map<String, Tensor> state, long updates) {
        try (NoGradGuard ng = new NoGradGuard()) {
            for (int i = 0; i < names.size(); i++) {
                Tensor src = state.get(names.get(i));
                if (src == null) throw new IllegalArgumentException("EMA state: missing '" + names.get(i) + "'");
                shadow.get(i).copy_(src);
            }
        }
        this.updates = updates;
    }

    private void check() {
        if (closed) throw new IllegalStateException("Ema is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        shadow.forEach(Tensor::releaseReference);
    }
}
