package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Runs with {@code -Pcuda -Dsurefire.excludedGroups= } on a machine with a CUDA device. */
@Tag("gpu")
class CudaDevicesTest {
    @Test
    void cuda_resolvesAndRoundTripsATensor() {
        Assumptions.assumeTrue(Devices.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        Device d = Devices.resolve("cuda");
        assertTrue(Devices.isCuda(d));
        assertEquals("cuda:0", Devices.describe(d));
        assertEquals("cuda:0", Devices.describe(Devices.resolve("auto")));
        float[] data = {1, 2, 3, 4};
        try (Tensor cpu = Tensors.fromFloats(data, 2, 2);
                Tensor gpu = cpu.to(d, torch.ScalarType.Float);
                Tensor twice = gpu.mul(gpu)) {
            assertTrue(gpu.is_cuda());
            assertArrayEquals(new float[] {1, 4, 9, 16}, Tensors.toFloats(twice));
        }
    }
}
