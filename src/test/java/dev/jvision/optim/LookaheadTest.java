package dev.jvision.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.nn.Layer;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LookaheadTest {
    @BeforeAll
    static void init() {
        NativeRuntime.init();
    }

    /** One parameter [2] and one float buffer [1]. */
    static final class Pair extends Layer {
        final Tensor w = registerParameter("w", Tensors.fromFloats(new float[] {1, 2}, 2));
        final Tensor b = registerBuffer("b", Tensors.fromFloats(new float[] {10}, 1));

        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }

    private static void set(Tensor t, float... v) {
        try (NoGradGuard ng = new NoGradGuard()) {
            t.copy_(Tensors.fromFloats(v, v.length));
        }
    }

    @Test
    void everyKSteps_slowMovesTowardsLive_andLiveIsSetBack() {
        try (Pair m = new Pair(); Lookahead la = new Lookahead(m, 2, 0.5, 1.0)) {
            set(m.w, 3, 6);
            set(m.b, 14);
            assertFalse(la.afterStep(1, 1.0), "not a multiple of every");
            assertArrayEquals(new float[] {3, 6}, Tensors.toFloats(m.w), "untouched between synchronisations");
            // progress 1: d = 0.5 -> slow = 0.5 * (1, 2) + 0.5 * (3, 6) = (2, 4); live set to it
            assertTrue(la.afterStep(2, 1.0));
            assertArrayEquals(new float[] {2, 4}, Tensors.toFloats(m.w));
            assertArrayEquals(new float[] {12}, Tensors.toFloats(m.b), "float buffers too");
            assertArrayEquals(new float[] {2, 4}, Tensors.toFloats(la.state().get("w")));
            assertTrue(m.w.requires_grad(), "still a parameter");
            // progress 0.5, power 1: d = 0.25 -> slow = 0.25 * (2, 4) + 0.75 * (6, 8) = (5, 7)
            set(m.w, 6, 8);
            la.afterStep(4, 0.5);
            assertArrayEquals(new float[] {5, 7}, Tensors.toFloats(m.w));
            assertEquals(2, la.updates());
        }
    }

    @Test
    void decayRamp_isCubicInProgress_andZeroAtTheStart() {
        try (Pair m = new Pair(); Lookahead la = new Lookahead(m, 5, 0.7738, 3.0)) {
            assertEquals(0.0, la.decayAt(0), 0);
            assertEquals(0.7738 * 0.125, la.decayAt(0.5), 1e-12);
            assertEquals(0.7738, la.decayAt(1.0), 1e-12);
            assertEquals(0.7738, la.decayAt(3.0), 1e-12, "clamped");
            // progress 0: the live weights are kept as they are
            set(m.w, 7, 9);
            la.afterStep(5, 0.0);
            assertArrayEquals(new float[] {7, 9}, Tensors.toFloats(m.w));
        }
    }

    @Test
    void closed_throws_andCloseIsIdempotent() {
        try (Pair m = new Pair()) {
            Lookahead la = new Lookahead(m, 1, 0.5, 1);
            la.close();
            la.close();
            assertThrows(IllegalStateException.class, () -> la.afterStep(1, 1));
            assertThrows(IllegalArgumentException.class, () -> new Lookahead(m, 0, 0.5, 1));
        }
    }
}
