package dev.jvision.bench;

import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Per-op profile of jvision's training step, the step {@link ModelBenchmark#trainStep} times
 * (forward, label-smoothed cross entropy, backward, AdamW, zero_grad), recorded by libtorch's own
 * Kineto profiler: the same op names and the same Chrome-trace JSON as Python's
 * {@code torch.profiler}, so {@code benchmarks/python/op_profile.py} reads both sides with one
 * parser and prints them side by side. The presets do not map the profiler's enable/disable
 * calls, so they go through a small JNI shim ({@code benchmarks/native/jv_profiler.cpp}, built by
 * {@code benchmarks/native/build.sh} into {@code benchmarks/target/libjvprofiler.so}).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.jvision.bench.OpProfile \
 *     model batch size threads warmupSteps profiledSteps trace.json [optimizer [libjvprofiler.so]]
 * </pre>
 *
 * {@code optimizer} is {@code fused} (default, jvision's FusedAdamW) or {@code libtorch}, as
 * {@link ModelBenchmark#optimizer}.
 *
 * Each profiled step is a {@code jv::step} range holding {@code jv::forward} (model and loss),
 * {@code jv::backward} and {@code jv::optimizer} (AdamW step and zero_grad). A command-line tool,
 * single-threaded; not for library use.
 */
public final class OpProfile {
    private OpProfile() {}

    private static native void start0();

    private static native void stop0(String path);

    private static native void push0(String name);

    private static native void pop0();

    public static void main(String[] args) throws Exception {
        if (args.length < 7) {
            throw new IllegalArgumentException(
                    "usage: OpProfile model batch size threads warmupSteps profiledSteps trace.json [optimizer [libjvprofiler.so]]");
        }
        String model = args[0];
        int batch = Integer.parseInt(args[1]);
        int size = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        Path trace = Path.of(args[6]).toAbsolutePath();
        String optimizerName = args.length > 7 ? args[7] : "fused";
        Path lib = Path.of(args.length > 8 ? args[8] : "benchmarks/target/libjvprofiler.so").toAbsolutePath();
        Device dev = Fixtures.setUp(threads, "cpu");
        if (!Files.isRegularFile(lib)) {
            throw new IllegalArgumentException("profiler shim: " + lib + " (expected: built by sh benchmarks/native/build.sh)");
        }
        System.load(lib.toString()); // after the natives: it links to the libtorch_cpu.so JavaCPP loaded
        try (ImageModel net = Fixtures.model(model, dev); TensorVector params = net.parameterVector();
             BenchOptimizer optimizer = BenchOptimizer.of(optimizerName, net, params);
             Tensor x = torch.randn(batch, 3, size, size); Tensor y = Fixtures.randomLabels(batch, dev)) {
            net.train(true);
            for (int i = 0; i < warmup; i++) {
                step(net, optimizer, x, y, false);
            }
            start0();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step(net, optimizer, x, y, true);
            }
            long t1 = System.nanoTime();
            stop0(trace.toString());
            System.out.printf("steps %d wall_ms_per_step %.3f trace %s%n", steps, (t1 - t0) / 1e6 / steps, trace);
        }
    }

    private static void step(ImageModel net, BenchOptimizer optimizer, Tensor x, Tensor y, boolean mark) {
        push(mark, "jv::step");
        try (var s = Memory.step()) {
            push(mark, "jv::forward");
            Tensor l = torch.cross_entropy_loss(net.forward(x), y, new TensorOptional(), 1, -100, 0.1);
            pop(mark);
            push(mark, "jv::backward");
            l.backward();
            pop(mark);
            push(mark, "jv::optimizer");
            optimizer.stepAndZero();
            l.item_float();
            pop(mark);
        }
        pop(mark);
    }

    private static void push(boolean mark, String name) {
        if (mark) {
            push0(name);
        }
    }

    private static void pop(boolean mark) {
        if (mark) {
            pop0();
        }
    }
}
