package dev.jvision.bench;

import dev.jvision.optim.FusedAdamW;
import dev.jvision.optim.ParamGroup;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
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
 * One AdamW step over a ConvNeXt-Tiny-shaped parameter list (28.6M scalars in 182 tensors,
 * weight-decay and no-decay groups): jvision's fused kernel ({@code _fused_adamw_}), its
 * {@code _foreach_} fallback, and libtorch's C++ {@code torch::optim::AdamW}, which loops over
 * the parameters one at a time. Gradients are fixed random tensors. Score: ms per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 5, timeUnit = TimeUnit.SECONDS)
public class OptimizerBenchmark {
    /** fused, foreach or libtorch. */
    @Param({"fused", "foreach", "libtorch"})
    public String impl;

    @Param({"2"})
    public int threads;

    @Param({"cpu"})
    public String device;

    private final List<Tensor> decay = new ArrayList<>();
    private final List<Tensor> noDecay = new ArrayList<>();
    private FusedAdamW jv;
    private AdamW ref;
    private Device dev;

    /** ConvNeXt-T: stem, 4 stages (depths 3-3-9-3, dims 96-192-384-768), downsamplers, head. */
    static List<long[]> convnextTinyShapes() {
        List<long[]> s = new ArrayList<>();
        int[] depths = {3, 3, 9, 3};
        int[] dims = {96, 192, 384, 768};
        s.add(new long[] {96, 3, 4, 4});
        s.add(new long[] {96});
        s.add(new long[] {96});
        s.add(new long[] {96});
        for (int st = 0; st < 4; st++) {
            long c = dims[st];
            if (st > 0) {
                s.add(new long[] {dims[st - 1]});
                s.add(new long[] {dims[st - 1]});
                s.add(new long[] {c, dims[st - 1], 2, 2});
                s.add(new long[] {c});
            }
            for (int b = 0; b < depths[st]; b++) {
                s.add(new long[] {c, 1, 7, 7});
                s.add(new long[] {c});
                s.add(new long[] {c});
                s.add(new long[] {c});
                s.add(new long[] {4 * c, c});
                s.add(new long[] {4 * c});
                s.add(new long[] {c, 4 * c});
                s.add(new long[] {c});
                s.add(new long[] {c});
            }
        }
        s.add(new long[] {768});
        s.add(new long[] {768});
        s.add(new long[] {1000, 768});
        s.add(new long[] {1000});
        return s;
    }

    @Setup(Level.Trial)
    public void setUp() {
        NativeRuntime.init();
        TorchSettings.setThreads(threads);
        TorchSettings.seed(1);
        dev = Device.parse(device);
        for (long[] shape : convnextTinyShapes()) {
            try (var scope = Memory.step()) {
                Tensor p = torch.randn(shape).to(dev.toNative(), torch.ScalarType.Float);
                p.requires_grad_(true);
                p.mutable_grad().put(torch.randn(shape).mul(new org.bytedeco.pytorch.Scalar(1e-3)).to(dev.toNative(), torch.ScalarType.Float));
                p.retainReference();
                (shape.length > 1 ? decay : noDecay).add(p);
            }
        }
        if ("libtorch".equals(impl)) {
            AdamWOptions o = new AdamWOptions(1e-4);
            o.weight_decay().put(0.05);
            ref = new AdamW(new TensorVector(decay.toArray(new Tensor[0])), o);
            AdamWOptions o2 = new AdamWOptions(1e-4);
            o2.weight_decay().put(0.0);
            ref.add_param_group(new org.bytedeco.pytorch.OptimizerParamGroup(new TensorVector(noDecay.toArray(new Tensor[0])), o2));
        } else {
            List<String> dn = new ArrayList<>();
            List<String> nn = new ArrayList<>();
            for (int i = 0; i < decay.size(); i++) dn.add("d" + i);
            for (int i = 0; i < noDecay.size(); i++) nn.add("n" + i);
            jv = new FusedAdamW(List.of(new ParamGroup("decay", dn, decay, 1.0, 0.05),
                    new ParamGroup("no_decay", nn, noDecay, 1.0, 0.0)), 0.9, 0.999, 1e-8,
                    "fused".equals(impl) ? FusedAdamW.Impl.FUSED : FusedAdamW.Impl.FOREACH);
        }
    }

    @Benchmark
    public void step() {
        try (var scope = Memory.step()) {
            if (ref != null) {
                ref.step();
            } else {
                jv.step(1e-4);
            }
            if (dev.isCuda()) {
                torch.synchronizeDevice((byte) Math.max(0, dev.index()));
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (jv != null) jv.close();
        if (ref != null) ref.close();
        decay.forEach(Tensor::releaseReference);
        noDecay.forEach(Tensor::releaseReference);
    }
}
