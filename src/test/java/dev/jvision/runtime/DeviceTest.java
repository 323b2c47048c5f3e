package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DeviceTest {
    @Test
    void cpu_parsesToCpu_andCrossesTheNativeBoundary() {
        Device d = Device.parse("cpu");
        assertEquals(Device.CPU, d);
        assertFalse(d.isCuda());
        assertEquals(-1, d.index());
        assertEquals("cpu", d.toString());
        var n = d.toNative();
        assertTrue(n.is_cpu());
        assertEquals(Device.CPU, Device.of(n));
    }

    @Test
    void cuda_isAValueByIndex() {
        assertEquals(Device.cuda(1), Device.cuda(1));
        assertNotEquals(Device.cuda(0), Device.cuda(1));
        assertEquals("cuda:1", Device.cuda(1).toString());
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }

    @Test
    void auto_isCpuWithoutCuda() {
        Assumptions.assumeTrue(Device.cudaCount() == 0, "CUDA is available here");
        assertEquals(Device.CPU, Device.parse("auto"));
        assertEquals(Device.CPU, Device.parse(null));
    }

    @Test
    void cuda_onCpuBuild_explainsHowToGetCuda() {
        Assumptions.assumeTrue(Device.cudaCount() == 0, "CUDA is available here");
        var e = assertThrows(UnsupportedOperationException.class, () -> Device.parse("CUDA"));
        assertTrue(e.getMessage().contains("-Pcuda"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> Device.parse("cuda:1"));
    }

    @Test
    void malformedName_namesValueAndExpectedForms() {
        var e = assertThrows(IllegalArgumentException.class, () -> Device.parse("gpu"));
        assertTrue(e.getMessage().contains("'gpu'"), e.getMessage());
        for (String form : new String[] {"auto", "cpu", "cuda", "cuda:N"}) {
            assertTrue(e.getMessage().contains(form), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
    }
}
