package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.DeviceOutOfMemoryException;
import dev.jvision.runtime.NativeRuntime;
import org.junit.jupiter.api.Test;

/** Out-of-memory errors become one typed exception naming the device, batch size, peak memory and a batch that fits. */
class OutOfMemoryTest {
    @Test
    void outOfMemory_cudaOom_typedWithSmallerBatch() {
        NativeRuntime.init();
        RuntimeException oom = new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB");
        RuntimeException e = StepStack.outOfMemory(oom, "training", 64, Device.CPU);
        DeviceOutOfMemoryException d = assertInstanceOf(DeviceOutOfMemoryException.class, e);
        assertEquals(64, d.batchSize());
        assertTrue(e.getMessage().contains("batch size 64"), e.getMessage());
        assertTrue(e.getMessage().contains("train.batch_size: 32"), e.getMessage());
        assertTrue(e.getMessage().contains("peak"), e.getMessage());
        assertFalse(e.getMessage().contains("--set"), e.getMessage());
        assertSame(oom, e.getCause());
    }

    @Test
    void detect_cpuAllocatorAndWrappedCauses() {
        assertTrue(DeviceOutOfMemoryException.detect(new IllegalStateException("x",
                new RuntimeException("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes"))));
        assertFalse(DeviceOutOfMemoryException.detect(new IllegalArgumentException("shape mismatch")));
    }

    @Test
    void outOfMemory_otherErrors_unchanged() {
        NativeRuntime.init();
        RuntimeException other = new IllegalArgumentException("shape mismatch");
        assertSame(other, StepStack.outOfMemory(other, "training", 8, Device.CPU));
    }
}
