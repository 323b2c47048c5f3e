package dev.jvision.bench;

import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.train.StepEngine;
import dev.jvision.train.Trainer;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;
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
 * One optimiser step of jvision's training engine (the path {@code jvision train} takes):
 * forward under autocast ({@code amp}), soft-target cross-entropy with label smoothing,
 * backward (loss-scaled for fp16), fused AdamW. Compare {@code amp=off} with {@code bf16}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 1, time = 10, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class EngineStepBenchmark {
    @Param({"resnet18"})
    public String model;

    @Param({"32"})
    public int batch;

    @Param({"96"})
    public int size;

    /** off, bf16 (CPU or CUDA) or fp16 (CUDA). */
    @Param({"off", "bf16"})
    public String amp;

    @Param({"2"})
    public int threads;

    @Param({"cpu"})
    public String device;

    private Device dev;
    private ImageModel net;
    private StepOptimizer optimizer;
    private LossScaler scaler;
    private StepEngine engine;
    private Tensor x;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        dev = Fixtures.setUp(threads, device);
        net = Fixtures.model(model, dev);
        net.train(true);
        TrainConfig t = TrainConfig.defaults();
        optimizer = Trainer.buildOptimizer(net, t);
        StepEngine.Amp a = StepEngine.resolveAmp(TrainConfig.Amp.valueOf(amp.toUpperCase(java.util.Locale.ROOT)), dev);
        scaler = a == StepEngine.Amp.FP16 ? new LossScaler(true, 65536, 2.0, 0.5, 2000, dev) : LossScaler.disabled(dev);
        engine = new StepEngine(net, optimizer, scaler, null, t, a, dev, null);
        try (Tensor cpu = torch.randn(batch, 3, size, size)) {
            x = cpu.to(dev.toNative(), torch.ScalarType.Float);
        }
        try (Tensor labels = Fixtures.randomLabels(batch, dev)) {
            y = torch.one_hot(labels, Fixtures.NUM_CLASSES).to(torch.ScalarType.Float);
        }
    }

    @Benchmark
    public float step(ImageCounter counter) {
        float loss;
        try (var s = Memory.step()) {
            loss = engine.accumulate(x, y);
            engine.step(1e-3);
        }
        counter.images += batch;
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Fixtures.sync(dev);
        optimizer.close();
        scaler.close();
        x.close();
        y.close();
        net.close();
    }
}
