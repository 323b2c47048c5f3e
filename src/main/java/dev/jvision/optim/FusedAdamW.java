package dev.jvision.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorList;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AdamW (decoupled weight decay, Loshchilov and Hutter) updating all parameters of a group in
 * one native call: libtorch's fused kernel {@code _fused_adamw_} ({@link Impl#FUSED}), or the
 * same arithmetic as PyTorch's {@code foreach} implementation from {@code _foreach_*} kernels
 * ({@link Impl#FOREACH}). {@link Impl#AUTO} uses the fused kernel and falls back to foreach
 * (with a log line) when the device or dtype has no fused kernel. Both keep the same state
 * layout, so checkpoints move between them. Owns its moment tensors; not thread-safe.
 */
public final class FusedAdamW implements StepOptimizer {
    private static final Logger LOG = LoggerFactory.getLogger(FusedAdamW.class);

    /** Which kernels to use. */
    public enum Impl { AUTO, FUSED, FOREACH }

    private final List<ParamGroup> groups;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private Impl impl;
    private final List<List<Tensor>> expAvg = new ArrayList<>();
    private final List<List<Tensor>> expAvgSq = new ArrayList<>();
    private final List<List<Tensor>> stepT = new ArrayList<>();
    private long steps;
    private boolean closed;

    public FusedAdamW(List<ParamGroup> groups, double beta1, double beta2, double eps, Impl impl) {
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.impl = impl;
        for (ParamGroup g : this.groups) {
            List<Tensor> m = new ArrayList<>();
            List<Tensor> v = new ArrayList<>();
            List<Tensor> s = new ArrayList<>();
            for (Tensor p : g.params()) {
                m.add(keep(torch.zeros_like(p)));
                v.add(keep(torch.zeros_like(p)));
                s.add(keep(torch.zeros(new long[] {}, new org.bytedeco.pytorch.TensorOptions(torch.ScalarType.Float)
                        .device(new org.bytedeco.pytorch.DeviceOptional(p.device())))));
            }
            expAvg.add(m);
            expAvgSq.add(v);
            stepT.add(s);
        }
    }

    private static Tensor keep(Tensor t) {
        t.retainReference();
        return t;
    }

    /** The implementation in use (AUTO resolves to FUSED or FOREACH at the first step). */
    public Impl impl() {
        return impl;
    }

    @Override
    public List<ParamGroup> groups() {
        return groups;
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public void step(double lr) {
        check();
        steps++;
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup g = groups.get(gi);
            List<Tensor> ps = new ArrayList<>();
            List<Tensor> gs = new ArrayList<>();
            List<Tensor> ms = new ArrayList<>();
            List<Tensor> vs = new ArrayList<>();
            List<Tensor> ss = new ArrayList<>();
            for (int i = 0; i < g.params().size(); i++) {
                Tensor p = g.params().get(i);
                Tensor grad = p.grad();
                if (!grad.defined()) {
                    continue;
                }
                ps.add(p);
                gs.add(grad);
                ms.add(expAvg.get(gi).get(i));
                vs.add(expAvgSq.get(gi).get(i));
                ss.add(stepT.get(gi).get(i));
            }
            if (ps.isEmpty()) {
                continue;
            }
            AtenOps.add(ss, 1.0);
            double glr = lr * g.lrScale();
            if (impl != Impl.FOREACH) {
                try {
                    AtenOps.fusedAdamW(ps, gs, ms, vs, ss, glr, beta1, beta2, g.weightDecay(), eps);
                    impl = Impl.FUSED;
                    continue;
                } catch (RuntimeException e) {
                    if (impl == Impl.FUSED) {
                        throw e;
                    }
                    LOG.info("fused AdamW kernel unavailable here ({}); using foreach kernels", firstLine(e));
                    impl = Impl.FOREACH;
                }
            }
            foreachStep(ps, gs, ms, vs, ss.get(0).item_double(), glr, g.weightDecay());
        }
    }

    private void foreachStep(List<Tensor> ps, List<Tensor> gs, List<Tensor> ms, List<Tensor> vs, double step, double lr,
                             double wd) {
        try (var noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
            if (wd != 0) {
                AtenOps.mul(ps, 1 - lr * wd);
            }
            AtenOps.lerp(ms, gs, 1 - beta1);
            AtenOps.mul(vs, beta2);
            AtenOps.addcmul(vs, gs, gs, 1 - beta2);
            double bc1 = 1 - Math.pow(beta1, step);
            double bc2 = 1 - Math.pow(beta2, step);
            TensorList denomList = AtenOps.sqrt(vs);
            List<Tensor> denom = new ArrayList<>((int) denomList.size());
            for (long i = 0; i < denomList.size(); i++) {
                denom.add(denomList.get(i));
            }
            AtenOps.div(denom, Math.sqrt(bc2));
            AtenOps.add(denom, eps);
            AtenOps.addcdiv(ps, ms, denom, -lr / bc1);
        }
    }

    private static String firstLine(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public Map<String, Tensor> state() {
        check();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int gi = 0; gi < groups.size(); gi++) {
            List<String> names = groups.get(gi).names();
            for (int i = 0; i < names.size(); i++) {
                out.put(names.get(i) + ".exp_avg", expAvg.get(gi).get(i));
                out.put(names.get(i) + ".exp_avg_sq", expAvgSq.get(gi).get(i));
                out.put(names.get(i) + ".step", stepT.get(gi).get(i));
            }
        }
        return out;
    }

    @Override
    public void loadState(Map<String, Tensor> state) {
        Map<String, Tensor> mine = state();
        try (var noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : mine.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src == null) {
                    throw new IllegalArgumentException("optimizer state: missing '" + e.getKey() + "'");
                }
                e.getValue().copy_(src);
            }
        }
        long max = 0;
        for (List<Tensor> s : stepT) {
            for (Tensor t : s) {
                max = Math.max(max, Math.round(t.item_double()));
            }
        }
        steps = max;
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("FusedAdamW is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (List<List<Tensor>> all : List.of(expAvg, expAvgSq, stepT)) {
            for (List<Tensor> l : all) {
                l.forEach(Tensor::releaseReference);
            }
        }
    }
}
