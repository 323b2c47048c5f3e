package dev.jvision.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class LayerTest {
    @Test
    void names_followPyTorchStateDict() {
        try (Sequential s = new Sequential(new Conv2d(3, 4, 3, 1, 1, true), new BatchNorm2d(4), new Linear(4, 2))) {
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"),
                    List.copyOf(s.namedParameters().keySet()));
            assertEquals(List.of("1.running_mean", "1.running_var", "1.num_batches_tracked"),
                    List.copyOf(s.namedBuffers().keySet()));
            assertEquals(9, s.stateDict().size());
            assertEquals(4 * 3 * 9 + 4 + 4 + 4 + 8 + 2, s.parameterCount());
        }
    }

    @Test
    void parameters_surviveTheScopeTheyWereBuiltIn() {
        Linear l;
        try (var s = Memory.step()) {
            l = new Linear(3, 2);
        }
        try (var s = Memory.step()) {
            Tensor y = l.forward(Tensors.fromFloats(new float[] {1, 2, 3}, 1, 3));
            assertArrayEquals(new long[] {1, 2}, Tensors.shape(y));
        } finally {
            l.close();
        }
    }

    @Test
    void batchNorm_countsBatchesOnlyInTraining() {
        try (BatchNorm2d bn = new BatchNorm2d(2)) {
            try (var s = Memory.step()) {
                Tensor x = Tensors.fromFloats(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 1, 2);
                bn.forward(x);
                bn.train(false);
                bn.forward(x);
            }
            assertArrayEquals(new long[] {1}, Tensors.toLongs(bn.namedBuffers().get("num_batches_tracked")));
            float[] mean = Tensors.toFloats(bn.namedBuffers().get("running_mean"));
            assertEquals(0.1f * 3.5f, mean[0], 1e-6); // channel 0: 1,2,5,6
            assertEquals(0.1f * 5.5f, mean[1], 1e-6); // channel 1: 3,4,7,8
        }
    }

    @Test
    void close_isIdempotent_andUseAfterCloseThrows() {
        Conv2d inner = new Conv2d(1, 1, 1, 1, 0, false);
        Sequential s = new Sequential(inner);
        s.close();
        s.close();
        inner.close();
        var e = assertThrows(IllegalStateException.class, s::namedParameters);
        assertTrue(e.getMessage().contains("Sequential"), e.getMessage());
        assertThrows(IllegalStateException.class, inner::stateDict, "children are closed with their parent");
        assertThrows(IllegalStateException.class, () -> s.train(false));
        assertThrows(IllegalStateException.class, s::parameterVector);
    }

    @Test
    void useAfterClose_forward_throwsIllegalState() {
        Linear l = new Linear(2, 2);
        l.close();
        try (var s = Memory.step()) {
            Tensor x = Tensors.fromFloats(new float[] {1, 2}, 1, 2);
            assertThrows(IllegalStateException.class, () -> l.forward(x));
        }
    }
}
