package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.optim.Optimizers;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.TorchSettings;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * Thousands of real training steps (upload, augmentation, forward, backward, AdamW) keep the
 * resident set flat: each step's tensors are freed by its scope, not by the garbage collector.
 */
class TrainStepMemoryTest {
    static final int WARMUP = 200;
    static final int STEPS = 2000;
    /** Allowed RSS growth from the first to the second half of the steps (allocator noise, JIT, heap). */
    static final long MAX_GROWTH = 64L << 20;

    @Test
    void trainStep_thousandsOfSteps_residentMemoryStaysFlat() {
        TorchSettings.setThreads(2);
        TorchSettings.seed(1);
        Device cpu = Device.CPU;
        TrainConfig cfg = TrainConfig.defaults();
        Trainer trainer = new Trainer(Experiment.defaults(), cpu, List.of("a", "b", "c"));
        Random r = new Random(3);
        int n = 4;
        int size = 32;
        byte[] pixels = new byte[n * size * size * 3];
        r.nextBytes(pixels);
        Batch batch = new Batch(pixels, new int[] {0, 1, 2, 1}, List.of("a", "b", "c", "d"), n, size, size);
        long earlyMin = Long.MAX_VALUE;
        long lateMax = 0;
        int half = (WARMUP + STEPS) / 2;
        try (ImageModel model = Models.create("resnet18", ModelOptions.of(3));
             BatchTransform t = new BatchTransform(AugmentConfig.defaults(), model.spec().mean(), model.spec().std(), cpu, false)) {
            Optimizer opt = Optimizers.adamw(model, 1e-4, 0.05);
            for (int step = 0; step < STEPS; step++) {
                if (step >= WARMUP && step % 100 == 0) {
                    long rss = Memory.residentBytes();
                    if (step < half) {
                        earlyMin = Math.min(earlyMin, rss);
                    } else {
                        lateMax = Math.max(lateMax, rss);
                    }
                }
                trainer.trainStep(model, opt, t, batch, step, cfg);
            }
            opt.close();
        }
        // sampled every 100 steps: the highest RSS of the second half against the lowest of the
        // first, so memory freed by earlier tests in this JVM cannot hide a leak
        long growth = lateMax - earlyMin;
        System.out.printf("RSS: lowest %d MB in steps %d-%d, highest %d MB in steps %d-%d, growth %.1f MB (limit %d MB)%n",
                earlyMin >> 20, WARMUP, half, lateMax >> 20, half, STEPS, growth / 1048576.0, MAX_GROWTH >> 20);
        assertTrue(earlyMin > 0, "RSS must be readable from /proc/self/status");
        assertTrue(growth < MAX_GROWTH, "RSS grew by " + (growth >> 20) + " MB over " + (STEPS - WARMUP) + " steps");
    }
}
