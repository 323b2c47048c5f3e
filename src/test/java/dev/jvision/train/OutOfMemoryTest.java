package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** The out-of-memory explanation names the device, batch size, peak memory and a batch that fits. */
class OutOfMemoryTest {
    @Test
    void explain_cudaOom_suggestsSmallerBatch() {
        NativeRuntime.init();
        Device cpu = Device.CPU;
        RuntimeException oom = new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB");
        RuntimeException e = OutOfMemory.explain(oom, 64, cpu);
        assertTrue(e.getMessage().contains("batch size 64"), e.getMessage());
        assertTrue(e.getMessage().contains("train.batch_size=32"), e.getMessage());
        assertTrue(e.getMessage().contains("peak"), e.getMessage());
        assertSame(oom, e.getCause());
    }

    @Test
    void explain_otherErrors_unchanged() {
        NativeRuntime.init();
        RuntimeException other = new IllegalArgumentException("shape mismatch");
        assertSame(other, OutOfMemory.explain(other, 8, Device.CPU));
    }
}
