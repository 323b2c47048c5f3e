package dev.jvision.bench;

import dev.jvision.infer.export.OnnxExporter;
import dev.jvision.infer.onnx.OnnxModel;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
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
 * Latency of one eval-mode forward call, libtorch against ONNX Runtime, on the same model and
 * the same float NCHW batch (already normalised: the model alone is timed), CPU, {@code threads}
 * intra-op threads each. The ONNX file is exported by jvision from the libtorch model in the
 * trial's setup. {@code runtime} is the last parameter, so JMH measures libtorch and ONNX
 * Runtime back to back for each model and batch: a pair whose ratio the machine's drift
 * affects least. Score: milliseconds per call (average time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Djava.awt.headless=true", "-Xmx6g"})
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
public class OnnxBenchmark {
    @Param({"resnet50", "convnext_tiny", "swin_tiny_patch4_window7_224", "tf_efficientnetv2_b0"})
    public String model;

    @Param({"1", "8"})
    public int batch;

    @Param({"2"})
    public int threads;

    @Param({"libtorch", "onnxruntime"})
    public String runtime;

    private ImageModel net;
    private Tensor input;
    private float[] inputArray;
    private OnnxModel onnx;
    private Path file;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Device dev = Fixtures.setUp(threads, "cpu");
        net = Fixtures.model(model, dev);
        net.train(false);
        int size = net.spec().inputSize();
        Random r = new Random(Fixtures.SEED);
        inputArray = new float[batch * 3 * size * size];
        for (int i = 0; i < inputArray.length; i++) {
            inputArray[i] = (float) r.nextGaussian();
        }
        if (runtime.equals("onnxruntime")) {
            file = Files.createTempFile("jvision-bench-" + model, ".onnx");
            OnnxExporter.write(OnnxExporter.build(List.of(OnnxExporter.Member.of(net)), List.of(),
                    OnnxExporter.Options.of(size)), file);
            net.close();
            net = null;
            onnx = OnnxModel.open(file, threads);
        } else if (runtime.equals("libtorch")) {
            input = Tensors.fromFloats(inputArray, batch, 3, size, size);
            input.retainReference();
        } else {
            throw new IllegalArgumentException("runtime: " + runtime + " (expected: libtorch or onnxruntime)");
        }
    }

    @Benchmark
    public float forward() {
        if (onnx != null) {
            return onnx.logits(inputArray, batch)[0][0];
        }
        try (var g = new NoGradGuard(); var s = Memory.step()) {
            return net.forward(input).select(0, 0).select(0, 0).item_float();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (onnx != null) {
            onnx.close();
            Files.deleteIfExists(file);
        }
        if (input != null) {
            input.releaseReference();
        }
        if (net != null) {
            net.close();
        }
    }
}
