package dev.jvision.bench;

import dev.jvision.runtime.Tensors;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Shared set-up helpers of the benchmarks. Stateless. */
final class Fixtures {
    static final int NUM_CLASSES = 17;
    static final long SEED = 42;

    private Fixtures() {}

    /** Warns once per trial when OpenBLAS may start its own thread pool next to libtorch's. */
    static void checkOpenBlasThreads() {
        if (!"1".equals(System.getenv("OPENBLAS_NUM_THREADS"))) {
            System.err.println("WARNING: OPENBLAS_NUM_THREADS is not 1; set it in the environment before "
                    + "`java -jar benchmarks.jar` (two thread pools on few cores stall each other)");
        }
    }

    /** A fixed random uint8 NHWC RGB batch on {@code device}; the caller closes it. */
    static Tensor randomImages(int batch, int size, Device device) {
        byte[] data = new byte[batch * size * size * 3];
        SplittableRandom rng = new SplittableRandom(SEED);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) rng.nextInt(256);
        }
        return onDevice(Tensors.fromBytes(data, batch, size, size, 3), device);
    }

    /** Fixed random int64 labels in [0, NUM_CLASSES) on {@code device}; the caller closes them. */
    static Tensor randomLabels(int batch, Device device) {
        long[] y = new long[batch];
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        for (int i = 0; i < batch; i++) {
            y[i] = rng.nextInt(NUM_CLASSES);
        }
        return onDevice(Tensors.fromLongs(y, batch), device);
    }

    private static Tensor onDevice(Tensor cpu, Device device) {
        if (device.is_cpu()) {
            return cpu;
        }
        try (cpu) {
            return cpu.to(device, cpu.scalar_type());
        }
    }

    /** Waits for queued CUDA work so that a GPU benchmark's time covers it. */
    static void sync(Device device) {
        if (device.is_cuda()) {
            torch.cuda_synchronize();
        }
    }
}
