package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DevicesTest {
    @Test
    void cpu_resolvesToCpu() {
        Device d = Devices.resolve("cpu");
        assertTrue(d.is_cpu());
        assertEquals("cpu", Devices.describe(d));
    }

    @Test
    void auto_isCpuWithoutCuda() {
        Assumptions.assumeTrue(Devices.cudaCount() == 0, "CUDA is available here");
        assertEquals("cpu", Devices.describe(Devices.resolve("auto")));
        assertEquals("cpu", Devices.describe(Devices.resolve(null)));
    }

    @Test
    void cuda_onCpuBuild_explainsHowToGetCuda() {
        Assumptions.assumeTrue(Devices.cudaCount() == 0, "CUDA is available here");
        var e = assertThrows(UnsupportedOperationException.class, () -> Devices.resolve("CUDA"));
        assertTrue(e.getMessage().contains("-Pcuda"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> Devices.resolve("cuda:1"));
    }

    @Test
    void malformedName_namesValueAndExpectedForms() {
        var e = assertThrows(IllegalArgumentException.class, () -> Devices.resolve("gpu"));
        assertTrue(e.getMessage().contains("'gpu'"), e.getMessage());
        for (String form : new String[] {"auto", "cpu", "cuda", "cuda:N"}) {
            assertTrue(e.getMessage().contains(form), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Devices.resolve("cuda:x"));
    }
}
