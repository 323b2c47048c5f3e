package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class BatchUploaderTest {
    private static Batch batch(int n, int hw, int salt) {
        byte[] px = new byte[n * hw * hw * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 31 + salt);
        return new Batch(px, new int[n], List.of(), n, hw, hw);
    }

    private static float[] asFloats(byte[] b) {
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) f[i] = b[i] & 0xff;
        return f;
    }

    private static void roundTrips(Device d) {
        try (BatchUploader up = new BatchUploader(d)) {
            assertEquals(d.isCuda(), up.pinned());
            // three batches, the last one larger: both pinned buffers are reused and one grows
            for (Batch b : new Batch[] {batch(2, 5, 1), batch(2, 5, 2), batch(3, 6, 3)}) {
                try (var step = Memory.step()) {
                    Tensor t = up.images(b);
                    assertEquals(d.isCuda(), t.is_cuda());
                    assertArrayEquals(new long[] {b.size(), b.height(), b.width(), 3}, Tensors.shape(t));
                    assertArrayEquals(asFloats(b.pixels()), Tensors.toFloats(t.to(torch.ScalarType.Float)));
                }
            }
            up.close();
            assertThrows(IllegalStateException.class, () -> up.images(batch(1, 2, 0)));
        }
    }

    @Test
    void cpu_copiesThePixels() {
        NativeRuntime.init();
        roundTrips(Device.CPU);
    }

    /** Runs with {@code -Pcuda -Dsurefire.excludedGroups= } on a machine with a CUDA device. */
    @Test
    @Tag("gpu")
    void cuda_pinnedAsyncCopy_deliversThePixels() {
        NativeRuntime.init();
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        roundTrips(Device.cuda(0));
    }
}
