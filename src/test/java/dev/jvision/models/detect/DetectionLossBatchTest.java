package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The detection loss before normalisation is a sum over images: a batch's loss equals the sum of
 * its images' losses whatever the padding of the target rows (the property data-parallel training
 * relies on when each rank sums its own images and all divide by the global normaliser).
 */
class DetectionLossBatchTest {
    static final int SIZE = 64;

    @BeforeAll
    static void natives() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    @Test
    void unnormalisedLoss_isTheSumOverImages_whateverThePadding() {
        TorchSettings.seed(3);
        Random r = new Random(4);
        int n = 3;
        int m = 3;
        int[] count = {3, 1, 0};
        float[] pixels = new float[n * 3 * SIZE * SIZE];
        for (int i = 0; i < pixels.length; i++) pixels[i] = r.nextFloat();
        float[] boxes = new float[n * m * 4];
        long[] classes = new long[n * m];
        java.util.Arrays.fill(classes, -1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < count[i]; j++) {
                float x = r.nextInt(30);
                float y = r.nextInt(30);
                float[] b = {x, y, x + 10 + r.nextInt(20), y + 10 + r.nextInt(20)};
                System.arraycopy(b, 0, boxes, (i * m + j) * 4, 4);
                classes[i * m + j] = j % 2;
            }
        }
        DetectionLoss loss = new DetectionLoss(DetectionLoss.Options.defaults());
        DetectionLoss.Normaliser one = sum -> Tensors.fromFloats(new float[] {1f});
        try (Detector det = Detectors.csp("det_test", 0.125, 0.33, SIZE, DetectorOptions.of(2));
             var scope = Memory.step()) {
            det.train(false);   // BatchNorm with running statistics: each image's output is its own
            Tensor images = Tensors.fromFloats(pixels, n, 3, SIZE, SIZE);
            double whole = loss.compute(det.forwardDetect(images), Tensors.fromFloats(boxes, n, m, 4),
                    Tensors.fromLongs(classes, n, m), one).total().item_double();
            double parts = 0;
            for (int i = 0; i < n; i++) {
                int mi = Math.max(count[i], 1);   // each image padded to its own box count
                float[] bi = new float[mi * 4];
                long[] ci = new long[mi];
                java.util.Arrays.fill(ci, -1);
                System.arraycopy(boxes, i * m * 4, bi, 0, count[i] * 4);
                System.arraycopy(classes, i * m, ci, 0, count[i]);
                parts += loss.compute(det.forwardDetect(images.narrow(0, i, 1)), Tensors.fromFloats(bi, 1, mi, 4),
                        Tensors.fromLongs(ci, 1, mi), one).total().item_double();
            }
            assertEquals(whole, parts, 1e-4 * Math.abs(whole), "batch loss = sum of per-image losses");
        }
    }
}
