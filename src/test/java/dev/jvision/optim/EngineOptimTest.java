package dev.jvision.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fused/foreach AdamW against libtorch's AdamW, SGD, loss scaling, EMA, clipping, schedules. */
class EngineOptimTest {
    @BeforeAll
    static void init() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    private static final long[][] SHAPES = {{8, 3, 3, 3}, {8}, {17, 8}, {17}};

    private static List<Tensor> params(long seed) {
        TorchSettings.seed(seed);
        List<Tensor> out = new ArrayList<>();
        for (long[] s : SHAPES) {
            Tensor t = torch.randn(s);
            t.requires_grad_(true);
            t.retainReference();
            out.add(t);
        }
        return out;
    }

    private static void setGrads(List<Tensor> ps, long seed) {
        TorchSettings.seed(seed);
        for (Tensor p : ps) {
            p.mutable_grad().put(torch.randn(p.sizes().vec().get()));
        }
    }

    private static float maxDiff(List<Tensor> a, List<Tensor> b) {
        float m = 0;
        for (int i = 0; i < a.size(); i++) {
            float[] x = Tensors.toFloats(a.get(i).detach());
            float[] y = Tensors.toFloats(b.get(i).detach());
            for (int k = 0; k < x.length; k++) m = Math.max(m, Math.abs(x[k] - y[k]));
        }
        return m;
    }

    private static List<ParamGroup> groups(List<Tensor> ps, double wd) {
        return List.of(new ParamGroup("decay", List.of("w0", "w2"), List.of(ps.get(0), ps.get(2)), 1.0, wd),
                new ParamGroup("no_decay", List.of("b1", "b3"), List.of(ps.get(1), ps.get(3)), 1.0, 0.0));
    }

    @Test
    void fusedAndForeachAdamW_matchLibtorchAdamW_overSeveralSteps() {
        double lr = 1e-2;
        double wd = 0.05;
        List<Tensor> ref = params(1);
        List<Tensor> fused = params(1);
        List<Tensor> foreach = params(1);
        AdamWOptions o = new AdamWOptions(lr);
        o.weight_decay().put(wd);
        o.eps().put(1e-8);
        AdamW libtorch = new AdamW(new TensorVector(ref.get(0), ref.get(2)), o);
        AdamWOptions o2 = new AdamWOptions(lr);
        o2.weight_decay().put(0.0);
        libtorch.add_param_group(new org.bytedeco.pytorch.OptimizerParamGroup(new TensorVector(ref.get(1), ref.get(3)), o2));
        try (FusedAdamW f = new FusedAdamW(groups(fused, wd), 0.9, 0.999, 1e-8, FusedAdamW.Impl.FUSED);
             FusedAdamW e = new FusedAdamW(groups(foreach, wd), 0.9, 0.999, 1e-8, FusedAdamW.Impl.FOREACH)) {
            for (int step = 0; step < 6; step++) {
                setGrads(ref, 100 + step);
                setGrads(fused, 100 + step);
                setGrads(foreach, 100 + step);
                libtorch.step();
                f.step(lr);
                e.step(lr);
            }
            assertEquals(FusedAdamW.Impl.FUSED, f.impl());
            float d1 = maxDiff(ref, fused);
            float d2 = maxDiff(ref, foreach);
            assertTrue(d1 < 1e-6, "fused vs libtorch: " + d1);
            assertTrue(d2 < 1e-6, "foreach vs libtorch: " + d2);
            assertTrue(maxDiff(ref, params(1)) > 1e-3, "the parameters moved");
            assertEquals(6, f.steps());
        }
        libtorch.close();
    }

    @Test
    void adamWState_roundTripsBetweenImplementations() {
        List<Tensor> a = params(2);
        List<Tensor> b = params(2);
        try (FusedAdamW f = new FusedAdamW(groups(a, 0.1), 0.9, 0.99, 1e-8, FusedAdamW.Impl.FUSED);
             FusedAdamW e = new FusedAdamW(groups(b, 0.1), 0.9, 0.99, 1e-8, FusedAdamW.Impl.FOREACH)) {
            setGrads(a, 7);
            f.step(1e-2);
            try (NoGradGuard ng = new NoGradGuard()) {
                for (int i = 0; i < a.size(); i++) b.get(i).detach().copy_(a.get(i));
            }
            e.loadState(f.state());
            assertEquals(1, e.steps());
            setGrads(a, 8);
            setGrads(b, 8);
            f.step(1e-2);
            e.step(1e-2);
            assertTrue(maxDiff(a, b) < 1e-6);
        }
    }

    @Test
    void sgd_nesterovMomentum_matchesFormula() {
        List<Tensor> ps = params(3);
        float[] p0 = Tensors.toFloats(ps.get(1).detach());
        try (Sgd sgd = new Sgd(List.of(new ParamGroup("g", List.of("b"), List.of(ps.get(1)), 2.0, 0.0)), 0.9, true)) {
            ps.get(1).mutable_grad().put(torch.ones(8));
            sgd.step(0.1);
            sgd.step(0.1);
        }
        // buf1 = 1, p -= 0.2 * (1 + 0.9); buf2 = 1.9, p -= 0.2 * (1 + 0.9 * 1.9)
        float[] p = Tensors.toFloats(ps.get(1).detach());
        assertEquals(p0[0] - 0.2 * 1.9 - 0.2 * 2.71, p[0], 1e-5);
    }

    @Test
    void lossScaler_infGradient_skipsStepAndHalvesScale() {
        Device cpu = Device.CPU;
        List<Tensor> ps = params(4);
        float[] before = Tensors.toFloats(ps.get(0).detach());
        try (LossScaler s = new LossScaler(true, 1024, 2.0, 0.5, 2, cpu);
             FusedAdamW opt = new FusedAdamW(groups(ps, 0.0), 0.9, 0.999, 1e-8, FusedAdamW.Impl.FUSED)) {
            setGrads(ps, 9);
            ps.get(2).grad().index_put_(new org.bytedeco.pytorch.TensorIndexVector(
                    new org.bytedeco.pytorch.TensorIndex(0)), new Scalar(Double.POSITIVE_INFINITY));
            assertTrue(s.unscale(ps), "inf detected");
            s.update();
            assertEquals(512.0, s.currentScale());
            assertEquals(1, s.skippedSteps());
            assertEquals(before[0], Tensors.toFloats(ps.get(0).detach())[0]);
            // clean steps: gradients are divided by the scale; after 2 clean steps the scale doubles
            setGrads(ps, 10);
            float g = Tensors.toFloats(ps.get(1).grad())[0];
            assertFalse(s.unscale(ps));
            assertEquals(g / 512f, Tensors.toFloats(ps.get(1).grad())[0], 1e-9);
            s.update();
            setGrads(ps, 11);
            assertFalse(s.unscale(ps));
            s.update();
            assertEquals(1024.0, s.currentScale());
            assertEquals(1, s.skippedSteps());
        }
    }

    @Test
    void ema_matchesFormulaWithWarmup() {
        var model = new dev.jvision.nn.Linear(4, 3);
        Map<String, Tensor> sd = model.stateDict();
        Tensor w = sd.get("weight");
        float[] w0 = Tensors.toFloats(w.detach());
        try (Ema ema = new Ema(model, 0.99, true)) {
            double expected = w0[0];
            float cur = w0[0];
            for (int t = 0; t < 5; t++) {
                try (NoGradGuard ng = new NoGradGuard()) {
                    w.detach().add_(new Scalar(0.5));
                }
                cur += 0.5f;
                double d = Math.min(0.99, (1.0 + t) / (10.0 + t));
                assertEquals(d, ema.currentDecay(), 1e-12);
                ema.update();
                expected = d * expected + (1 - d) * cur;
            }
            assertEquals(expected, Tensors.toFloats(ema.state().get("weight"))[0], 1e-5);
            ema.swap();
            assertEquals(expected, Tensors.toFloats(w.detach())[0], 1e-5);
            ema.swap();
            assertEquals(cur, Tensors.toFloats(w.detach())[0], 1e-6);
        }
        model.close();
    }

    @Test
    void gradClip_scalesToMaxNormKeepingSigns() {
        Tensor p = torch.zeros(2);
        p.requires_grad_(true);
        p.mutable_grad().put(Tensors.fromFloats(new float[] {-3f, 4f}, 2));
        Tensor total = GradClip.clipGlobalNorm(List.of(p), 1.0);
        assertEquals(5.0, total.item_double(), 1e-6);
        float[] g = Tensors.toFloats(p.grad());
        assertEquals(-0.6f, g[0], 1e-5);
        assertEquals(0.8f, g[1], 1e-5);
    }

    @Test
    void schedules_stepAndPlateau() {
        StepDecay s = new StepDecay(1.0, 0.01, 2, 10, 0.5);
        assertEquals(0.5, s.at(0), 1e-12);
        assertEquals(1.0, s.at(2), 1e-12);
        assertEquals(0.5, s.at(12), 1e-12);
        assertEquals(0.01, s.at(10_000), 1e-12);
        Plateau p = new Plateau(1.0, 0.0, 0, 0.1, 1, true, 0.0);
        p.observe(0.5);
        p.observe(0.5);
        assertEquals(1.0, p.at(5), 1e-12);
        p.observe(0.4);
        assertEquals(0.1, p.at(5), 1e-12);
        Plateau q = new Plateau(1.0, 0.0, 0, 0.1, 1, true, 0.0);
        q.restore(p.state());
        assertEquals(0.1, q.at(5), 1e-12);
    }

    @Test
    void paramGroups_noDecayOnNormsBiasesAndPositionTables_headScaled() {
        var model = dev.jvision.models.Models.create("resnet18", dev.jvision.models.ModelOptions.of(3));
        List<ParamGroup> g = ParamGroups.of(model, model.classifierName(), 0.05, 10.0);
        assertEquals(List.of("backbone", "backbone_no_decay", "head", "head_no_decay"), g.stream().map(ParamGroup::name).toList());
        assertEquals(List.of("fc.weight"), g.get(2).names());
        assertEquals(10.0, g.get(2).lrScale());
        assertEquals(0.0, g.get(1).weightDecay());
        assertTrue(g.get(1).names().contains("bn1.weight"));
        assertTrue(ParamGroups.noDecay("pos_embed", torch.zeros(1, 4, 8)));
        model.close();
    }
}
