package dev.jvision.bench;

import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Model-only throughput on a fixed float batch, measured exactly like
 * {@code benchmarks/python/bench_timm.py} does for timm: inference (eval, no grad) and one
 * training step (forward, label-smoothed cross-entropy, backward, AdamW, zero_grad; see
 * {@link #optimizer}). No data
 * loading or augmentation, so the two are comparable as a ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 1, time = 10, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class ModelBenchmark {
    @Param({"resnet50", "convnext_tiny", "swin_tiny_patch4_window7_224", "tf_efficientnetv2_b0"})
    public String model;

    @Param({"8"})
    public int batch;

    @Param({"224"})
    public int size;

    @Param({"2"})
    public int threads;

    @Param({"cpu"})
    public String device;

    /**
     * {@code fused}: jvision's {@code FusedAdamW} (one {@code _fused_adamw_} call, what the
     * Trainer runs); {@code libtorch}: libtorch's C++ {@code torch::optim::AdamW} (a loop of about
     * nine ops per parameter). Both: lr 1e-3, weight decay 0.01 on every parameter, as
     * torch.optim.AdamW's defaults in bench_timm.py.
     */
    @Param({"fused"})
    public String optimizer;

    private Device dev;
    private ImageModel net;
    private TensorVector params;
    private BenchOptimizer opt;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        dev = Fixtures.setUp(threads, device);
        net = Fixtures.model(model, dev);
        params = net.parameterVector();
        opt = BenchOptimizer.of(optimizer, net, params);
        try (Tensor cpu = torch.randn(batch, 3, size, size)) {
            x = cpu.to(dev.toNative(), torch.ScalarType.Float);
        }
        y = Fixtures.randomLabels(batch, dev);
    }

    @Benchmark
    public float inference(ImageCounter counter) {
        net.train(false);
        float v;
        try (NoGradGuard ng = new NoGradGuard(); var s = Memory.step()) {
            v = net.forward(x).sum().item_float();
        }
        counter.images += batch;
        return v;
    }

    @Benchmark
    public float trainStep(ImageCounter counter) {
        net.train(true);
        float loss;
        try (var s = Memory.step()) {
            Tensor l = torch.cross_entropy_loss(net.forward(x), y, new TensorOptional(), 1, -100, 0.1);
            l.backward();
            opt.stepAndZero();
            loss = l.item_float();
        }
        counter.images += batch;
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Fixtures.sync(dev);
        opt.close();
        params.close();
        x.close();
        y.close();
        net.close();
    }
}
