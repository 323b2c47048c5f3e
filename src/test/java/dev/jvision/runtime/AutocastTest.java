package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class AutocastTest {
    private static boolean cpuEnabled() {
        return torch.is_autocast_enabled(torch.DeviceType.CPU);
    }

    @Test
    void bf16Region_castsMatmuls_andRestoresTheStateOnClose() {
        NativeRuntime.init();
        torch.ScalarType before = torch.get_autocast_dtype(torch.DeviceType.CPU);
        assertFalse(cpuEnabled());
        try (var step = Memory.step()) {
            Tensor a = Tensors.fromFloats(new float[] {1, 2, 3, 4}, 2, 2);
            try (Autocast ac = Autocast.bf16(Device.CPU)) {
                assertTrue(ac.enabled());
                assertTrue(cpuEnabled());
                assertEquals(torch.ScalarType.BFloat16, a.matmul(a).scalar_type().intern());
                try (Autocast inner = Autocast.fp16(Device.CPU)) {
                    assertEquals(torch.ScalarType.Half, torch.get_autocast_dtype(torch.DeviceType.CPU).intern());
                }
                assertEquals(torch.ScalarType.BFloat16, torch.get_autocast_dtype(torch.DeviceType.CPU).intern());
                ac.close();
                ac.close(); // idempotent
            }
            assertFalse(cpuEnabled());
            assertEquals(before.intern(), torch.get_autocast_dtype(torch.DeviceType.CPU).intern());
            assertEquals(torch.ScalarType.Float, a.matmul(a).scalar_type().intern());
        }
    }

    @Test
    void off_changesNothing() {
        NativeRuntime.init();
        try (Autocast ac = Autocast.off()) {
            assertFalse(ac.enabled());
            assertFalse(cpuEnabled());
        }
        assertFalse(cpuEnabled());
    }
}
