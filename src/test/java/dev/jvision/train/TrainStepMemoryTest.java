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
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.TorchSettings;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Device;
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
    /** Allowed RSS growth between step WARMUP and step STEPS (allocator noise, JIT, heap). */
    static final long MAX_GROWTH = 64L << 20;

    @Test
    void trainStep_thousandsOfSteps_residentMemoryStaysFlat() {
        TorchSettings.setThreads(2);
        TorchSettings.seed(1);
        Device cpu = new Device(torch.DeviceType.CPU);
        TrainConfig cfg = TrainConfig.defaults();
        Trainer trainer = new Trainer(Experiment.defaults(), cpu, List.of("a", "b", "c"));
        Random r = new Random(3);
        int n = 4;
        int size = 32;
        byte[] pixels = new byte[n * size * size * 3];
        r.nextBytes(pixels);
        Batch batch = new Batch(pixels, new int[] {0, 1, 2, 1}, List.of("a", "b", "c", "d"), n, size, size);
        long before = 0;
        try (ImageModel model = Models.create("resnet18", ModelOptions.of(3));
             BatchTransform t = new BatchTransform(AugmentConfig.defaults(), model.spec().mean(), model.spec().std(), cpu, false)) {
            Optimizer opt = Optimizers.adamw(model, 1e-4, 0.05);
            for (int step = 0; step < STEPS; step++) {
                if (step == WARMUP) {
                    System.gc();
                    before = Memory.residentBytes();
                }
                trainer.trainStep(model, opt, t, batch, step, cfg);
            }
            opt.close();
        }
        System.gc();
        long after = Memory.residentBytes();
        long growth = after - before;
        System.out.printf("RSS after %d steps: %d MB, after %d steps: %d MB, growth %.1f MB (limit %d MB)%n", WARMUP,
                before >> 20, STEPS, after >> 20, growth / 1048576.0, MAX_GROWTH >> 20);
        assertTrue(before > 0, "RSS must be readable from /proc/self/status");
        assertTrue(growth < MAX_GROWTH, "RSS grew by " + (growth >> 20) + " MB over " + (STEPS - WARMUP) + " steps");
    }
}
