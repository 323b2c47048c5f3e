package dev.jvision.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * SGD with momentum (optionally Nesterov) and L2 weight decay, as {@code torch.optim.SGD},
 * with {@code _foreach_*} kernels. Owns its momentum buffers; not thread-safe.
 */
public final class Sgd implements StepOptimizer {
    private final List<ParamGroup> groups;
    private final double momentum;
    private final boolean nesterov;
    private final List<List<Tensor>> buf = new ArrayList<>();
    private long steps;
    private boolean closed;

    public Sgd(List<ParamGroup> groups, double momentum, boolean nesterov) {
        this.groups = List.copyOf(groups);
        this.momentum = momentum;
        this.nesterov = nesterov;
        for (ParamGroup g : this.groups) {
            List<Tensor> b = new ArrayList<>();
            for (Tensor p : g.params()) {
                Tensor z = torch.zeros_like(p);
                z.retainReference();
                b.add(z);
            }
            buf.add(b);
        }
    }

    @Override
    public void step(double lr) {
        if (closed) throw new IllegalStateException("Sgd is closed");
        steps++;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (int gi = 0; gi < groups.size(); gi++) {
                ParamGroup g = groups.get(gi);
                List<Tensor> ps = new ArrayList<>();
                List<Tensor> gs = new ArrayList<>();
                List<Tensor> bs = new ArrayList<>();
                for (int i = 0; i < g.params().size(); i++) {
                    Tensor p = g.params().get(i);
                    Tensor grad = p.grad();
                    if (grad.defined()) {
                        ps.add(p);
                        // a copy: the gradient itself stays as backward left it
                        gs.add(grad.clone());
                        bs.add(buf.get(gi).get(i));
                    }
                }
                if (ps.isEmpty()) continue;
                if (g.weightDecay() != 0) AtenOps.add(gs, ps, g.weightDecay());
                if (momentum != 0) {
                    // the first step initialises the buffer with the gradient, as PyTorch does
                    AtenOps.mul(bs, steps == 1 ? 0.0 : momentum);
                    AtenOps.add(bs, gs, 1.0);
                    if (nesterov) {
                        AtenOps.add(gs, bs, momentum);
                    } else {
                        gs = bs;
                    }
                }
                AtenOps.add(ps, gs, -lr * g.lrScale());
            }
        }
    }

    @Override
    public List<ParamGroup> groups() {
        return groups;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            for (int i = 0; i < groups.get(gi).names().size(); i++) {
                out.put(groups.get(gi).names().get(i) + ".momentum_buffer", buf.get(gi).get(i));
            }
        }
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : state().entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src == null) throw new IllegalArgumentException("optimizer state: missing '" + e.getKey() + "'");
                e.getValue().copy_(src);
            }
        }
        Tensor s = state.get("steps");
        steps = s == null ? 1 : Math.round(s.item_double());
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        buf.forEach(l -> l.forEach(Tensor::releaseReference));
    }
}
