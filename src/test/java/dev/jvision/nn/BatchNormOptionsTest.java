package dev.jvision.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.optim.ParamGroup;
import dev.jvision.optim.ParamGroups;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** train.batch_norm: momentum, frozen scale, and the bias learning-rate group. */
class BatchNormOptionsTest {
    @BeforeAll
    static void init() {
        NativeRuntime.init();
    }

    static final class Net extends Layer {
        final Conv2d conv = registerChild("conv", new Conv2d(1, 2, 1, 1, 0, true));
        final Sequential body = registerChild("body", new Sequential(new BatchNorm2d(2)));

        @Override
        public Tensor forward(Tensor x) {
            return body.forward(conv.forward(x));
        }
    }

    @Test
    void momentum_weighsTheNewBatchInTheRunningMean() {
        try (Net net = new Net()) {
            assertEquals(1, BatchNorm2d.configure(net, 0.4, false));
            try (var s = Memory.step()) {
                // batch mean of the BatchNorm's input is the conv output's mean: compute it directly
                Tensor x = Tensors.fromFloats(new float[] {1, 2, 3, 4}, 4, 1, 1, 1);
                float[] mean = Tensors.toFloats(net.conv.forward(x).mean(new long[] {0, 2, 3}, false,
                        new org.bytedeco.pytorch.ScalarTypeOptional()));
                net.forward(x);
                float[] running = Tensors.toFloats(net.namedBuffers().get("body.0.running_mean"));
                for (int c = 0; c < 2; c++) {
                    assertEquals(0.4f * mean[c], running[c], 1e-6, "momentum 0.4 (default 0.1 would give " + 0.1 * mean[c] + ")");
                }
            }
        }
    }

    @Test
    void frozenScale_isOne_andGetsNoGradient() {
        try (Net net = new Net()) {
            try (var s = Memory.step()) {
                net.namedParameters().get("body.0.weight").detach().fill_(new org.bytedeco.pytorch.Scalar(3));
            }
            BatchNorm2d.configure(net, null, true);
            Tensor w = net.namedParameters().get("body.0.weight");
            assertArrayEquals(new float[] {1, 1}, Tensors.toFloats(w));
            assertEquals(0.1, ((BatchNorm2d) net.body.children().get("0")).momentum(), 0, "momentum kept");
            try (var s = Memory.step()) {
                net.forward(Tensors.fromFloats(new float[] {1, 2, 3, 4}, 4, 1, 1, 1)).pow(new org.bytedeco.pytorch.Scalar(2))
                        .sum().backward();
                assertFalse(w.grad().defined(), "frozen scale");
                assertTrue(net.namedParameters().get("body.0.bias").grad().defined(), "bias still trains");
            }
        }
    }

    @Test
    void biasNames_andScaledGroup() {
        try (Net net = new Net()) {
            Set<String> names = BatchNorm2d.biasNames(net);
            assertEquals(Set.of("body.0.bias"), names, "the conv's bias is not a BatchNorm bias");
            List<ParamGroup> groups = ParamGroups.scale(ParamGroups.of(net, null, 0.05, 1.0), names, 64, "bn_bias");
            assertEquals(List.of("backbone", "backbone_no_decay", "backbone_no_decay_bn_bias"),
                    groups.stream().map(ParamGroup::name).toList());
            ParamGroup bn = groups.get(2);
            assertEquals(List.of("body.0.bias"), bn.names());
            assertEquals(64.0, bn.lrScale(), 0);
            assertEquals(0.0, bn.weightDecay(), 0);
            assertEquals(List.of("conv.bias", "body.0.weight"), groups.get(1).names());
            assertThrows(IllegalArgumentException.class, () -> BatchNorm2d.configure(net, 0.0, false));
        }
    }
}
