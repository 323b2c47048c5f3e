package dev.jvision.bench;

import dev.jvision.runtime.Device;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Shared set-up helpers of the benchmarks. Stateless. */
final class Fixtures {
    static final int NUM_CLASSES = 17;
    static final long SEED = 42;

    private Fixtures() {}

    /** Warns once per trial when OpenBLAS may start its own thread pool next to libtorch's. */
    /**
     * Loads the natives, warns about OpenBLAS threads, sets libtorch's threads and seed, and
     * returns the device: the common start of every benchmark's trial set-up.
     */
    static Device setUp(int threads, String device) {
        dev.jvision.runtime.NativeRuntime.init();
        checkOpenBlasThreads();
        dev.jvision.runtime.TorchSettings.setThreads(threads);
        dev.jvision.runtime.TorchSettings.seed(SEED);
        return dev.jvision.runtime.Device.parse(device);
    }

    /** A model of {@code name} with {@link #NUM_CLASSES} outputs on {@code device}. */
    static dev.jvision.models.ImageModel model(String name, Device device) {
        dev.jvision.models.ImageModel m = dev.jvision.models.Models.create(name,
                dev.jvision.models.ModelOptions.of(NUM_CLASSES));
        m.to(device);
        return m;
    }

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
        if (!device.isCuda()) {
            return cpu;
        }
        try (cpu) {
            return cpu.to(device.toNative(), cpu.scalar_type());
        }
    }

    /** Waits for queued CUDA work so that a GPU benchmark's time covers it. */
    static void sync(Device device) {
        if (device.isCuda()) {
            torch.cuda_synchronize();
        }
    }

    /** Document-like JPEGs (a page with a header bar and text lines) of varied sizes around 128 px. */
    static List<byte[]> documents(int n, long seed) throws IOException {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int w = 112 + r.nextInt(48);
            int h = 112 + r.nextInt(48);
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(235 + r.nextInt(20), 235 + r.nextInt(20), 230 + r.nextInt(25)));
            g.fillRect(0, 0, w, h);
            g.setColor(new Color(r.nextInt(200), r.nextInt(200), r.nextInt(200)));
            g.fillRect(0, 0, w, 10 + r.nextInt(20));
            g.setColor(Color.DARK_GRAY);
            for (int y = 40; y < h - 8; y += 6 + r.nextInt(6)) {
                g.fillRect(8, y, 20 + r.nextInt(w - 30), 2);
            }
            g.dispose();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(img, "jpg", bytes);
            out.add(bytes.toByteArray());
        }
        return out;
    }
}
