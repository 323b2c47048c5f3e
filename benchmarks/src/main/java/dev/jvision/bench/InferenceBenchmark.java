package dev.jvision.bench;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
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
 * Eval-mode forward of a fixed random batch without autograd (eval transform included: uint8
 * NHWC to normalised float NCHW). The primary score is batches/s; the {@code images} secondary
 * row is images/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class InferenceBenchmark {
    @Param({"resnet18"})
    public String model;

    @Param({"32"})
    public int batch;

    @Param({"96"})
    public int size;

    @Param({"2"})
    public int threads;

    @Param({"cpu"})
    public String device;

    private Device dev;
    private ImageModel net;
    private BatchTransform transform;
    private Tensor images;

    @Setup(Level.Trial)
    public void setUp() {
        dev = Fixtures.setUp(threads, device);
        net = Fixtures.model(model, dev);
        net.train(false);
        transform = new BatchTransform(AugmentConfig.defaults(), net.spec().mean(), net.spec().std(), dev, false);
        images = Fixtures.randomImages(batch, size, dev);
    }

    @Benchmark
    public float forward(ImageCounter counter) {
        float sink;
        // guard outside the scope: the scope frees what the step made, the guard restores grad mode
        try (var g = new NoGradGuard(); var s = Memory.step()) {
            Tensor out = net.forward(transform.eval(images));
            sink = out.sum().item_float(); // tiny reduction copied to the host: waits for CUDA too
        }
        counter.images += batch;
        return sink;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Fixtures.sync(dev);
        transform.close();
        images.close();
        net.close();
    }
}
