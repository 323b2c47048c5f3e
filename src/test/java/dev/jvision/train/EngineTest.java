package dev.jvision.train;

import dev.jvision.train.task.Losses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.TrainConfig;
import dev.jvision.nn.Layer;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.ParamGroup;
import dev.jvision.optim.Sgd;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** StepEngine (accumulation, autocast), losses, early stopping and top-k retention. */
class EngineTest {
    static final Device CPU = Device.CPU;

    @BeforeAll
    static void init() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    /** Two linear layers with ReLU: no batch statistics, so per-sample gradients add up exactly. */
    static final class TinyNet extends Layer {
        final Linear a = registerChild("a", new Linear(12, 16));
        final Linear b = registerChild("b", new Linear(16, 4));

        @Override
        public Tensor forward(Tensor x) {
            return b.forward(Ops.relu(a.forward(x)));
        }
    }

    private static TrainConfig cfg(int accum, String amp) {
        return TrainConfig.defaults()
                .withBatch(b -> b.withSize(16).withAccumSteps(accum))
                .withCv(c -> c.withNFolds(2))
                .withOptimizer(o -> o.withKind(TrainConfig.Optimizer.Kind.SGD).withLr(0.05).withWeightDecay(0.0)
                        .withMomentum(0.0).withNesterov(false))
                .withSchedule(s -> s.withWarmupEpochs(0).withMinLr(0))
                .withEma(e -> e.withDecay(0.99))
                .withPrecision(p -> p.withAmp(TrainConfig.Amp.valueOf(amp.toUpperCase(java.util.Locale.ROOT))))
                .withLogging(l -> l.withLogEvery(1).withTensorboard(false));
    }

    private static Sgd sgd(TinyNet m) {
        List<String> names = new ArrayList<>(m.namedParameters().keySet());
        return new Sgd(List.of(new ParamGroup("all", names, new ArrayList<>(m.namedParameters().values()), 1.0, 0.0)),
                0.0, false);
    }

    private static float[] flat(Layer m) {
        List<Float> out = new ArrayList<>();
        for (Tensor t : m.namedParameters().values()) {
            for (float f : Tensors.toFloats(t.detach())) out.add(f);
        }
        float[] r = new float[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return r;
    }

    @Test
    void accumulation_2x8_equalsOneBatchOf16() {
        TorchSettings.seed(5);
        Tensor x = torch.randn(16, 12);
        x.retainReference();
        int[] labels = new int[16];
        for (int i = 0; i < 16; i++) labels[i] = i % 4;
        float[] one;
        float[] two;
        TorchSettings.seed(1);
        try (TinyNet m = new TinyNet(); Sgd opt = sgd(m); LossScaler s = LossScaler.disabled(CPU)) {
            StepEngine e = new StepEngine(m, opt, s, null, cfg(1, "off"), StepEngine.Amp.OFF, CPU, null);
            try (var scope = Memory.step()) {
                e.accumulate(x, Losses.oneHot(labels, 4, CPU));
                assertTrue(e.readyToStep());
                e.step(1.0);
            }
            one = flat(m);
        }
        TorchSettings.seed(1);
        try (TinyNet m = new TinyNet(); Sgd opt = sgd(m); LossScaler s = LossScaler.disabled(CPU)) {
            float[] init = flat(m);
            StepEngine e = new StepEngine(m, opt, s, null, cfg(2, "off"), StepEngine.Amp.OFF, CPU, null);
            try (var scope = Memory.step()) {
                e.accumulate(x.narrow(0, 0, 8), Losses.oneHot(java.util.Arrays.copyOfRange(labels, 0, 8), 4, CPU));
                assertFalse(e.readyToStep());
                e.accumulate(x.narrow(0, 8, 8), Losses.oneHot(java.util.Arrays.copyOfRange(labels, 8, 16), 4, CPU));
                assertTrue(e.readyToStep());
                e.step(1.0);
            }
            two = flat(m);
            float moved = 0;
            for (int i = 0; i < init.length; i++) moved = Math.max(moved, Math.abs(init[i] - two[i]));
            assertTrue(moved > 1e-4, "the step changed the weights");
        }
        for (int i = 0; i < one.length; i++) {
            assertEquals(one[i], two[i], 1e-6, "parameter element " + i);
        }
        x.releaseReference();
    }

    @Test
    void bf16Autocast_onCpu_trainsWithoutNaN() {
        TorchSettings.seed(3);
        Tensor x = torch.randn(32, 12);
        x.retainReference();
        int[] labels = new int[32];
        float[] xs = Tensors.toFloats(x);
        for (int i = 0; i < 32; i++) labels[i] = (xs[i * 12] > 0 ? 1 : 0) + (xs[i * 12 + 1] > 0 ? 2 : 0);
        try (TinyNet m = new TinyNet(); Sgd opt = sgd(m); LossScaler s = LossScaler.disabled(CPU)) {
            StepEngine e = new StepEngine(m, opt, s, null, cfg(1, "bf16"), StepEngine.Amp.BF16, CPU, null);
            float first = 0;
            float last = 0;
            for (int step = 0; step < 60; step++) {
                try (var scope = Memory.step()) {
                    if (step == 0) {
                        assertEquals(torch.ScalarType.BFloat16, e.forward(x).scalar_type().intern(), "autocast is on");
                    }
                    float loss = e.accumulate(x, Losses.oneHot(labels, 4, CPU));
                    assertTrue(Float.isFinite(loss), "loss at step " + step);
                    e.step(0.2);
                    if (step == 0) first = loss;
                    last = loss;
                }
            }
            assertFalse(torch.is_autocast_enabled(torch.DeviceType.CPU), "autocast is switched off after forward");
            assertTrue(last < first * 0.8, "loss decreased: " + first + " -> " + last);
        }
        x.releaseReference();
    }

    @Test
    void softTargetCrossEntropy_oneHot_equalsLibtorchLabelSmoothing() {
        try (var scope = Memory.step()) {
            TorchSettings.seed(9);
            Tensor logits = torch.randn(6, 5);
            int[] labels = {0, 4, 2, 2, 1, 3};
            Tensor mine = Losses.softTargetCrossEntropy(logits, Losses.oneHot(labels, 5, CPU), 0.1, null);
            Tensor ref = torch.cross_entropy_loss(logits, Tensors.fromInts(labels).to(CPU.toNative(), torch.ScalarType.Long),
                    new TensorOptional(), 1, -100, 0.1);
            assertEquals(ref.item_double(), mine.item_double(), 1e-6);
            Tensor w = Tensors.fromFloats(new float[] {2, 1, 1, 1, 1}, 5);
            Tensor weighted = Losses.softTargetCrossEntropy(logits, Losses.oneHot(new int[] {0}, 5, CPU).expand(6, 5)
                    .contiguous(), 0.0, w);
            Tensor unweighted = Losses.softTargetCrossEntropy(logits, Losses.oneHot(new int[] {0}, 5, CPU).expand(6, 5)
                    .contiguous(), 0.0, null);
            assertEquals(2 * unweighted.item_double(), weighted.item_double(), 1e-5);
            assertTrue(Losses.binaryCrossEntropy(logits, Losses.oneHot(labels, 5, CPU), 0.0, null).item_double() > 0);
        }
    }

    @Test
    void earlyStopping_stopsAfterPatienceWithoutImprovement() {
        EarlyStopping s = new EarlyStopping(2, false, 0.01, Double.NaN, 0);
        assertTrue(s.observe(0.5));
        assertFalse(s.observe(0.505), "below min_delta");
        assertFalse(s.shouldStop());
        assertTrue(s.observe(0.6));
        assertFalse(s.observe(0.6));
        assertFalse(s.observe(0.59));
        assertTrue(s.shouldStop());
        EarlyStopping loss = new EarlyStopping(1, true, 0, Double.NaN, 0);
        assertTrue(loss.observe(1.0));
        assertTrue(loss.observe(0.9));
        assertFalse(loss.observe(0.95));
        assertTrue(loss.shouldStop());
        assertFalse(new EarlyStopping(0, false, 0, 1.0, 100).shouldStop(), "patience 0 never stops");
    }

    @Test
    void topK_keepsTheKBestAndEvictsTheWorst() {
        TopK k = new TopK(2, false, List.of());
        assertEquals(new TopK.Decision(true, -1), k.offer(1, 0.5));
        assertEquals(new TopK.Decision(true, -1), k.offer(2, 0.7));
        assertEquals(new TopK.Decision(true, 1), k.offer(3, 0.6));
        assertEquals(new TopK.Decision(false, -1), k.offer(4, 0.1));
        assertEquals(List.of(new TopK.Entry(2, 0.7), new TopK.Entry(3, 0.6)), k.entries());
        TopK restored = new TopK(2, false, k.entries());
        assertEquals(new TopK.Decision(true, 3), restored.offer(5, 0.9));
        TopK min = new TopK(1, true, List.of());
        min.offer(1, 2.0);
        assertEquals(new TopK.Decision(true, 1), min.offer(2, 1.0));
        assertEquals(new TopK.Decision(false, -1), new TopK(0, false, List.of()).offer(1, 1.0));
    }

    @Test
    void topKAccuracy_countsTargetsAmongLargestScores() {
        float[][] s = {{0.1f, 0.9f, 0.5f}, {0.8f, 0.1f, 0.2f}};
        assertEquals(0.5, dev.jvision.metrics.ClassificationMetrics.topKAccuracy(s, new int[] {1, 2}, 1));
        assertEquals(1.0, dev.jvision.metrics.ClassificationMetrics.topKAccuracy(s, new int[] {2, 2}, 2));
    }
}
