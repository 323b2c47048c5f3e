package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import dev.jvision.augment.Augmenter;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.pipeline.TrainStage;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.MemoryStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The GPU paths of the training engine: AMP bf16 and fp16 (loss scaling) training runs on
 * CUDA, auto batch size, flat device memory, and GPU augmentation matching the CPU result.
 * Tagged {@code gpu}; skipped without CUDA (run with -Pcuda -Dsurefire.excludedGroups= -Dgroups=gpu).
 */
@Tag("gpu")
class CudaTrainingTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void needCuda() {
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
    }

    private Experiment tiny(String amp, boolean autoBatch) {
        String yaml = """
                experiment: {name: cuda-%s, seed: 5, device: cuda, output_dir: '%s'}
                data: {root: '%s', generate_demo: true, demo_train: 68, demo_test: 17, img_size: 64}
                model: {name: resnet18, num_classes: 17, channels_last: true}
                train: {epochs: 3, batch_size: 8, n_folds: 2, folds: [0], lr: 1.0e-3, amp: %s, auto_batch_size: %s}
                """.formatted(amp, tmp.resolve("runs"), tmp.resolve("data"), amp, autoBatch);
        return Configs.fromYaml(yaml, "cuda.yaml", List.of());
    }

    @ParameterizedTest
    @ValueSource(strings = {"bf16", "fp16", "off"})
    void train_onCuda_withAmp_lossFiniteAndCheckpointWritten(String amp) throws Exception {
        TrainStage.Outcome t = TrainStage.train(tiny(amp, false));
        FoldResult r = t.cv().folds().get(0);
        assertTrue(Double.isFinite(r.bestLoss()), amp + ": val loss " + r.bestLoss());
        assertTrue(Files.isRegularFile(t.runDir().resolve("fold0/best.safetensors")));
    }

    @Test
    void autoBatchSize_onCuda_trains() throws Exception {
        TrainStage.Outcome t = TrainStage.train(tiny("bf16", true));
        assertTrue(Files.isRegularFile(t.runDir().resolve("fold0/best.safetensors")));
    }

    @Test
    void augmenter_cudaEqualsCpu_sameSeed() {
        TorchSettings.seed(1);
        Device cpu = Device.CPU;
        Device gpu = Device.parse("cuda");
        Experiment exp = tiny("off", false);
        byte[] px = new byte[4 * 32 * 32 * 3];
        new Random(2).nextBytes(px);
        try (var s = Memory.step();
             Augmenter a = new Augmenter(exp.augment(), 17, new double[] {0.5, 0.5, 0.5}, new double[] {0.25, 0.25, 0.25}, cpu, false);
             Augmenter b = new Augmenter(exp.augment(), 17, new double[] {0.5, 0.5, 0.5}, new double[] {0.25, 0.25, 0.25}, gpu, false)) {
            Tensor raw = Tensors.fromBytes(px, 4, 32, 32, 3);
            Tensor labels = Tensors.fromLongs(new long[] {0, 1, 2, 3}, 4);
            float[] c = Tensors.toFloats(a.train(raw, labels, 0, 1, 9).images());
            float[] g = Tensors.toFloats(b.train(raw.to(gpu.toNative(), torch.ScalarType.Byte), labels.to(gpu.toNative(), torch.ScalarType.Long), 0, 1, 9).images());
            double max = 0;
            for (int i = 0; i < c.length; i++) {
                max = Math.max(max, Math.abs(c[i] - g[i]));
            }
            assertTrue(max < 1e-3, "CPU vs CUDA augmentation differ by " + max);
        }
    }

    @Test
    void deviceMemory_flatOverManySteps() throws Exception {
        Device gpu = Device.parse("cuda");
        TrainStage.train(tiny("bf16", false));
        long after1 = MemoryStats.allocatedBytes(gpu);
        TrainStage.train(tiny("bf16", false));
        long after2 = MemoryStats.allocatedBytes(gpu);
        assertTrue(after2 - after1 < (16L << 20), "CUDA allocated memory grew by " + ((after2 - after1) >> 20) + " MB");
    }
}
