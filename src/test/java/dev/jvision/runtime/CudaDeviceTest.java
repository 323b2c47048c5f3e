package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Runs with {@code -Pcuda -Dsurefire.excludedGroups= } on a machine with a CUDA device. */
@Tag("gpu")
class CudaDeviceTest {
    @Test
    void cuda_resolvesAndRoundTripsATensor() {
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        Device d = Device.parse("cuda");
        assertTrue(d.isCuda());
        assertEquals("cuda:0", d.toString());
        assertEquals(Device.cuda(0), Device.parse("auto"));
        float[] data = {1, 2, 3, 4};
        try (Tensor cpu = Tensors.fromFloats(data, 2, 2);
                Tensor gpu = cpu.to(d.toNative(), torch.ScalarType.Float);
                Tensor twice = gpu.mul(gpu)) {
            assertTrue(gpu.is_cuda());
            assertArrayEquals(new float[] {1, 4, 9, 16}, Tensors.toFloats(twice));
        }
    }
}
