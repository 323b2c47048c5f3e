package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** QuickNet shapes and whitening, and the ResNet small-input stem (parity: NumericsMatrixTest). */
class QuickNetTest {
    @Test
    void shapes_at28And32px_andCustomWidths() {
        TorchSettings.seed(1);
        try (ImageModel m = Models.create("quicknet_s", ModelOptions.of(10)); var s = Memory.step()) {
            m.train(false);
            assertArrayEquals(new long[] {2, 128, 3, 3}, Tensors.shape(m.forwardFeatures(ModelFixtures.images(2, 32, 1))));
            assertArrayEquals(new long[] {2, 128, 3, 3}, Tensors.shape(m.forwardFeatures(ModelFixtures.images(2, 28, 1))));
            assertArrayEquals(new long[] {2, 10}, Tensors.shape(m.forward(ModelFixtures.images(2, 28, 1))));
            assertEquals("quicknet", m.spec().family());
            assertArrayEquals(new long[] {24, 3, 2, 2}, Tensors.shape(m.stateDict().get("stem.weight")));
        }
        try (QuickNet q = QuickNet.create(new int[] {8, 16}, 3, ModelOptions.of(4)); var s = Memory.step()) {
            assertArrayEquals(new int[] {8, 16}, q.widths());
            assertTrue(q.stateDict().containsKey("stages.1.blocks.2.conv.weight"));
            assertArrayEquals(new long[] {1, 16, 7, 7}, Tensors.shape(q.forwardFeatures(ModelFixtures.images(1, 32, 2))));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> QuickNet.create(new int[] {8, 0}, 2, ModelOptions.of(2)));
        assertTrue(e.getMessage().startsWith("widths"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuickNet.create(new int[] {8}, 0, ModelOptions.of(2)));
    }

    @Test
    void whiten_givesIdentityCovarianceOnTheFirstHalf_andNegationsOnTheSecond() {
        TorchSettings.seed(2);
        try (QuickNet m = (QuickNet) Models.create("quicknet_s", ModelOptions.of(10)); var s = Memory.step()) {
            // correlated channels: a shared component plus noise, so whitening has work to do
            Tensor base = ModelFixtures.images(64, 12, 3);
            Tensor shared = base.narrow(1, 0, 1);
            Tensor x = base.mul(new org.bytedeco.pytorch.Scalar(0.3)).add(shared).add(new org.bytedeco.pytorch.Scalar(2.0));
            m.whiten(x, 1e-6, true);
            Tensor w = m.stateDict().get("stem.weight");
            assertFalse(w.requires_grad(), "frozen");
            assertTrue(m.stateDict().get("stem.bias").requires_grad(), "bias trains");
            Tensor y = torch.conv2d(x, w, new org.bytedeco.pytorch.TensorOptional(m.stateDict().get("stem.bias")),
                    new long[] {1, 1}, new long[] {0, 0}, new long[] {1, 1}, 1);
            Tensor flat = y.permute(0, 2, 3, 1).reshape(-1, 24).to(torch.ScalarType.Double);
            Tensor firstHalf = flat.narrow(1, 0, 12);
            Tensor mean = firstHalf.mean(new long[] {0}, false, new ScalarTypeOptional());
            double[] mu = Tensors.toDoubles(mean);
            for (double v : mu) assertEquals(0, v, 1e-6, "centred by the bias");
            Tensor cov = firstHalf.t().matmul(firstHalf).div(new org.bytedeco.pytorch.Scalar((double) firstHalf.size(0)));
            double[] c = Tensors.toDoubles(cov);
            for (int i = 0; i < 12; i++) {
                for (int j = 0; j < 12; j++) {
                    assertEquals(i == j ? 1.0 : 0.0, c[i * 12 + j], 1e-3, "cov[" + i + "][" + j + "]");
                }
            }
            double[] all = Tensors.toDoubles(flat.narrow(0, 0, 5));
            for (int r = 0; r < 5; r++) {
                for (int k = 0; k < 12; k++) assertEquals(-all[r * 24 + k], all[r * 24 + 12 + k], 1e-9);
            }
            assertThrows(IllegalArgumentException.class, () -> m.whiten(ModelFixtures.images(2, 8, 1).narrow(1, 0, 2), 1e-4, false));
        }
    }

    @Test
    void resnetSmallStem_keepsTheResolution() {
        TorchSettings.seed(3);
        try (ImageModel small = Models.create("resnet18_cifar", ModelOptions.of(10));
             ImageModel big = Models.create("resnet18", ModelOptions.of(10)); var s = Memory.step()) {
            small.train(false);
            big.train(false);
            Tensor x = ModelFixtures.images(1, 32, 4);
            assertArrayEquals(new long[] {1, 512, 4, 4}, Tensors.shape(small.forwardFeatures(x)));
            assertArrayEquals(new long[] {1, 512, 1, 1}, Tensors.shape(big.forwardFeatures(x)));
            assertArrayEquals(new long[] {64, 3, 3, 3}, Tensors.shape(small.stateDict().get("conv1.weight")));
            assertEquals(ResNet.Stem.SMALL, ((ResNet) small).stem());
            assertEquals(32, small.spec().inputSize());
            assertEquals(small.stateDict().keySet().size(), big.stateDict().keySet().size(), "same names as timm's");
        }
    }
}
