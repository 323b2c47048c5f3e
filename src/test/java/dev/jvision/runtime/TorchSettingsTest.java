package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class TorchSettingsTest {
    @Test
    void setThreads_returnsThreadsInEffect() {
        assertEquals(1, TorchSettings.setThreads(1));
        assertEquals(1, torch.get_num_threads());
    }

    @Test
    void seedTwice_givesIdenticalRandn() {
        TorchSettings.seed(1234);
        float[] a = randn();
        TorchSettings.seed(1234);
        float[] b = randn();
        assertArrayEquals(a, b);
        TorchSettings.seed(4321);
        assertFalse(java.util.Arrays.equals(a, randn()));
    }

    @Test
    void deterministic_setsGlobalContextFlag() {
        try {
            TorchSettings.deterministic(true);
            assertTrue(torch.globalContext().deterministicAlgorithms());
            TorchSettings.deterministic(false);
            assertFalse(torch.globalContext().deterministicAlgorithms());
        } finally {
            TorchSettings.deterministic(false);
        }
    }

    private static float[] randn() {
        NativeRuntime.init();
        try (Tensor t = torch.randn(8)) {
            return Tensors.toFloats(t);
        }
    }
}
