package dev.jvision.bench;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
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
 * One full training step on a fixed random batch: basic augmentation, forward, label-smoothed
 * cross entropy, backward, AdamW step and zeroing of the gradients. The primary score is steps/s;
 * the {@code images} secondary row is images/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class TrainStepBenchmark {
    /** Registered model name (resnet18, resnet50, ...). */
    @Param({"resnet18"})
    public String model;

    @Param({"16", "32"})
    public int batch;

    /** Square input side in pixels (96; 224 via -p size=224). */
    @Param({"96"})
    public int size;

    /** libtorch intra-op threads. */
    @Param({"2"})
    public int threads;

    /** cpu, cuda or cuda:N. */
    @Param({"cpu"})
    public String device;

    private Device dev;
    private ImageModel net;
    private TensorVector params;
    private AdamW optimizer;
    private BatchTransform transform;
    private Tensor images;
    private Tensor labels;
    private long step;

    @Setup(Level.Trial)
    public void setUp() {
        dev = Fixtures.setUp(threads, device);
        net = Fixtures.model(model, dev);
        net.train(true);
        params = net.parameterVector();
        optimizer = new AdamW(params, new AdamWOptions(1e-3));
        transform = new BatchTransform(AugmentConfig.defaults(), net.spec().mean(), net.spec().std(), dev, false);
        images = Fixtures.randomImages(batch, size, dev);
        labels = Fixtures.randomLabels(batch, dev);
        step = 0;
    }

    @Benchmark
    public float trainStep(ImageCounter counter) {
        float loss;
        try (var s = Memory.step()) {
            Tensor x = transform.train(images, Fixtures.SEED + step++);
            Tensor out = net.forward(x);
            Tensor l = torch.cross_entropy_loss(out, labels, new TensorOptional(), 1, -100, 0.1);
            l.backward();
            optimizer.step();
            optimizer.zero_grad(true);
            loss = l.item_float(); // copies to the host, so a CUDA step has finished here
        }
        counter.images += batch;
        return loss;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Fixtures.sync(dev);
        optimizer.close();
        params.close();
        transform.close();
        images.close();
        labels.close();
        net.close();
    }
}
