package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Swin on CUDA: the relative position index and shift masks (plain fields, not buffers) must
 * follow the weights to the device. Runs with {@code -Pcuda -Dsurefire.excludedGroups= }.
 */
@Tag("gpu")
class SwinCudaTest {
    @Test
    void tinyParity_onCuda_andNewHeadStaysOnDevice() throws IOException {
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        Device cuda = Device.parse("cuda");
        try (SwinTransformer m = SwinTransformer.create(SwinParityTest.tiny(64));
             SafeTensors.Contents data = SafeTensors.read(SwinParityTest.resource("tiny64_io.safetensors"))) {
            Weights.load(m, SwinParityTest.resource("tiny64.safetensors"), false);
            m.to(cuda);
            m.train(false);
            float[] expected = Tensors.toFloats(data.tensors().get("logits"));
            try (var s = Memory.step()) {
                Tensor x = data.tensors().get("x").to(cuda.toNative(), torch.ScalarType.Float);
                Tensor logits = m.forward(x);
                assertTrue(logits.is_cuda());
                float diff = ModelFixtures.maxAbsDiff(expected, Tensors.toFloats(logits));
                assertTrue(diff <= 1e-3, "max abs diff on CUDA " + diff);
            }
            m.resetClassifier(3);
            assertTrue(m.stateDict().get("head.fc.weight").is_cuda());
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(2, 64, 1).to(cuda.toNative(), torch.ScalarType.Float);
                assertArrayEquals(new long[] {2, 3}, Tensors.shape(m.forward(x)));
            }
        }
    }
}
