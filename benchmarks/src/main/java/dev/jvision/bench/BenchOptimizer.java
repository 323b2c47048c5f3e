package dev.jvision.bench;

import dev.jvision.models.ImageModel;
import dev.jvision.optim.FusedAdamW;
import dev.jvision.optim.ParamGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;

/**
 * The AdamW step of the model benchmarks, by name: {@code fused} is jvision's {@link FusedAdamW}
 * (what the Trainer runs), {@code libtorch} is libtorch's C++ {@code torch::optim::AdamW}. Both
 * use lr 1e-3, betas (0.9, 0.999), eps 1e-8 and weight decay 0.01 on every parameter, the
 * defaults of torch.optim.AdamW that bench_timm.py runs. Owns its optimizer state; not
 * thread-safe.
 */
interface BenchOptimizer extends AutoCloseable {
    /** One AdamW step over the current gradients, then drops them (set to none). */
    void stepAndZero();

    @Override
    void close();

    static BenchOptimizer of(String name, ImageModel net, TensorVector params) {
        switch (name) {
            case "fused" -> {
                Map<String, Tensor> named = net.namedParameters();
                ParamGroup all = new ParamGroup("all", new ArrayList<>(named.keySet()), new ArrayList<>(named.values()),
                        1.0, 0.01);
                FusedAdamW o = new FusedAdamW(List.of(all), 0.9, 0.999, 1e-8, FusedAdamW.Impl.AUTO);
                return new BenchOptimizer() {
                    @Override
                    public void stepAndZero() {
                        o.step(1e-3);
                        o.zeroGrad();
                    }

                    @Override
                    public void close() {
                        o.close();
                    }
                };
            }
            case "libtorch" -> {
                AdamW o = new AdamW(params, new AdamWOptions(1e-3));
                return new BenchOptimizer() {
                    @Override
                    public void stepAndZero() {
                        o.step();
                        o.zero_grad(true);
                    }

                    @Override
                    public void close() {
                        o.close();
                    }
                };
            }
            default -> throw new IllegalArgumentException("optimizer: " + name + " (expected: fused or libtorch)");
        }
    }
}
