package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.optim.FusedAdamW;
import dev.jvision.optim.ParamGroups;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Proof that the detector, assigner and loss learn: a small detector overfits four synthetic
 * 128x128 images (coloured rectangles on grey; red = class 0, blue = class 1) with a plain AdamW
 * loop, and its decoded boxes then cover every ground-truth box (IoU &gt; 0.5, right class).
 * 128 px rather than less: at 64 px the stride-32 maps of a 4-image batch hold 16 values per
 * channel, and the gap between BatchNorm's batch variance and its unbiased running variance
 * (16/15) compounds over the deep layers enough to spoil eval-mode predictions of an overfit net.
 */
class DetectorOverfitTest {
    static final int SIZE = 128;
    static final int STEPS = 150;

    @Test
    void handfulOfImages_overfit_decodedBoxesMatchGroundTruth() {
        // one thread: on a shared 2-core machine two OpenMP threads stall each other for long spells
        TorchSettings.setThreads(1);
        TorchSettings.seed(7);
        Random r = new Random(5);
        int n = 4;
        int m = 2;
        float[] pixels = new float[n * 3 * SIZE * SIZE];
        float[] boxes = new float[n * m * 4];
        long[] classes = new long[n * m];
        java.util.Arrays.fill(pixels, 0.5f);
        for (int i = 0; i < n; i++) {
            int count = 1 + (i % 2);
            for (int j = 0; j < m; j++) {
                if (j >= count) {
                    classes[i * m + j] = -1;
                    continue;
                }
                int w = 28 + r.nextInt(32);
                int h = 28 + r.nextInt(32);
                int x = j == 0 ? r.nextInt(SIZE / 2 - w / 2) : SIZE / 2 + r.nextInt(SIZE / 2 - w);
                int y = r.nextInt(SIZE - h);
                int cls = (i + j) % 2;
                classes[i * m + j] = cls;
                float[] box = {x, y, x + w, y + h};
                System.arraycopy(box, 0, boxes, (i * m + j) * 4, 4);
                for (int yy = y; yy < y + h; yy++) {
                    for (int xx = x; xx < x + w; xx++) {
                        for (int c = 0; c < 3; c++) {
                            float v = cls == 0 ? (c == 0 ? 0.9f : 0.1f) : (c == 2 ? 0.9f : 0.1f);
                            pixels[((i * 3 + c) * SIZE + yy) * SIZE + xx] = v;
                        }
                    }
                }
            }
        }
        try (Detector det = Detectors.csp("det_test", 0.125, 0.33, SIZE, DetectorOptions.of(2));
             Tensor images = (Tensors.fromFloats(pixels, n, 3, SIZE, SIZE));
             Tensor gtBoxes = (Tensors.fromFloats(boxes, n, m, 4));
             Tensor gtClasses = (Tensors.fromLongs(classes, n, m));
             FusedAdamW opt = new FusedAdamW(ParamGroups.of(det, "head", 0.0, 1.0), 0.9, 0.999, 1e-8, FusedAdamW.Impl.AUTO)) {
            DetectionLoss loss = new DetectionLoss(DetectionLoss.Options.defaults());
            det.train(true);
            double first = 0;
            double last = 0;
            for (int step = 0; step < STEPS; step++) {
                try (var s = Memory.step()) {
                    opt.zeroGrad();
                    var parts = loss.compute(det.forwardDetect(images), gtBoxes, gtClasses);
                    parts.total().backward();
                    // warm-up, then cosine to zero: the weights settle, so BatchNorm's running
                    // statistics (used in eval mode) catch up with the batch statistics
                    double lr = 0.01 * (step < 10 ? (step + 1) / 10.0
                            : 0.5 * (1 + Math.cos(Math.PI * (step - 10) / (STEPS - 10))));
                    opt.step(lr);
                    last = parts.total().item_double();
                    if (step == 0) {
                        first = last;
                    }
                }
            }
            assertTrue(last < first * 0.3, "loss " + first + " -> " + last);
            // precise BatchNorm: the overfit weights move until the last steps and the running
            // statistics (momentum 0.03) lag them; forward passes without updates let them settle
            for (int k = 0; k < 100; k++) {
                try (var s = Memory.step(); var ng = new org.bytedeco.pytorch.NoGradGuard()) {
                    det.forwardDetect(images);
                }
            }
            det.train(false);
            List<List<Detections.Box>> found;
            try (var s = Memory.step()) {
                found = det.predict(images, new DetectionDecoder.Options(0.2, 0.5, 20, 1000, false)).toLists();
            }
            List<String> misses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < m; j++) {
                    if (classes[i * m + j] < 0) {
                        continue;
                    }
                    float[] g = java.util.Arrays.copyOfRange(boxes, (i * m + j) * 4, (i * m + j) * 4 + 4);
                    double best = 0;
                    for (Detections.Box b : found.get(i)) {
                        if (b.classId() == classes[i * m + j]) {
                            best = Math.max(best, iou(g, b));
                        }
                    }
                    if (best <= 0.5) {
                        misses.add("image " + i + " box " + java.util.Arrays.toString(g) + " best IoU " + best);
                    }
                }
            }
            assertTrue(misses.isEmpty(), "loss " + first + " -> " + last + "; missed: " + misses + "; found " + found);
        }
    }

    static double iou(float[] g, Detections.Box b) {
        double iw = Math.max(0, Math.min(g[2], b.x2()) - Math.max(g[0], b.x1()));
        double ih = Math.max(0, Math.min(g[3], b.y2()) - Math.max(g[1], b.y1()));
        double inter = iw * ih;
        double union = (g[2] - g[0]) * (g[3] - g[1]) + b.width() * b.height() - inter;
        return inter / union;
    }
}
