package dev.jvision.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.augment.Augmenter;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ConvNeXt;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.optim.Ema;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.LrSchedule;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.MemoryTrend;
import dev.jvision.runtime.HostMemory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Child JVM of {@link StepMemoryTest}: runs the production training step as {@link Trainer}
 * wires it (upload; {@link Augmenter} with the advanced policy, erasing, Mixup and CutMix;
 * {@link StepEngine} forward and backward under the given autocast mode; gradient clipping;
 * {@code FusedAdamW} from {@link Trainer#buildOptimizer}; EMA; one native scope for the
 * micro-batch and one for the optimiser step) on a fixed random batch, samples
 * {@link MemoryTrend#standard()} plus malloc's bytes in use ({@link HostMemory#heapInUseBytes()}) every few
 * steps, and prints the trends and one line {@code MEMTREND <json>}.
 *
 * <p>The model is a ConvNeXt with the {@code conv_mlp} layout of {@code convnext_atto}, cut to one
 * block per stage and widths 16-128, so that thousands of steps take seconds on two cores; every
 * layer kind of the family runs.
 *
 * <p>Arguments: {@code AMP STEPS EVERY LEAK}: {@code off} or {@code bf16}; steps to run; steps
 * between samples; {@code none}, or {@code tensor} to keep one step tensor per step alive outside
 * its scope, as code that collects step outputs in a list does (the positive control).
 */
public final class StepMemoryProbe {
    static final String MARKER = "MEMTREND ";
    static final String MALLOC = "malloc_in_use_bytes";
    static final int BATCH = 4;
    static final int SIZE = 32;
    static final int CLASSES = 5;
    static final int STEPS_PER_EPOCH = 200;

    private StepMemoryProbe() {}

    /** The experiment a training run with this recipe would use. */
    static Experiment experiment(String amp) {
        String yaml = """
                experiment: {seed: 7, threads: 1, device: cpu}
                model: {name: convnext_atto, num_classes: %d, drop_rate: 0.1, drop_path_rate: 0.1}
                augment:
                  policy: advanced
                  hflip: 0.5
                  vflip: 0.5
                  rot90: 0.5
                  rotate_degrees: 30
                  scale_min: 0.85
                  scale_max: 1.15
                  brightness: 0.2
                  contrast: 0.2
                  erasing: {prob: 0.25}
                  hard_augmentation: {enabled: true, initial_prob: 0.3, final_prob: 0.8, progression: linear}
                  mixup: {enabled: true, alpha: 0.2, prob: 0.5, switch_prob: 0.5}
                  cutmix: {enabled: true, alpha: 1.0, prob: 0.5}
                train:
                  batch_size: %d
                  optimizer: adamw
                  optimizer_impl: auto
                  lr: 1.0e-3
                  weight_decay: 0.05
                  warmup_epochs: 1
                  label_smoothing: 0.1
                  grad_clip: 1.0
                  ema: true
                  ema_decay: 0.998
                  amp: %s
                """.formatted(CLASSES, BATCH, amp);
        return Configs.fromYaml(yaml, "StepMemoryProbe", List.of());
    }

    /** Runs {@code steps} training steps, sampling every {@code every}; returns the samples. */
    static MemoryTrend run(String ampName, int steps, int every, boolean leak) {
        Experiment exp = experiment(ampName);
        TrainConfig t = exp.train();
        TorchSettings.setThreads(exp.experiment().threads());
        TorchSettings.seed(exp.experiment().seed());
        Device cpu = Device.CPU;
        MemoryTrend trend = MemoryTrend.standard().with(MALLOC, HostMemory::heapInUseBytes);
        byte[] pixels = new byte[BATCH * SIZE * SIZE * 3];
        new Random(3).nextBytes(pixels);
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) labels[i] = i % CLASSES;
        int epochs = Math.max(1, steps / STEPS_PER_EPOCH);
        var m = exp.model();
        ConvNeXt.Config arch = ConvNeXt.Config.of(new int[] {1, 1, 1, 1}, new int[] {16, 32, 64, 128}, true);
        List<Tensor> kept = new ArrayList<>();
        try (ImageModel model = ConvNeXt.create(arch, new ModelOptions(CLASSES, m.dropRate(), m.dropPathRate()));
             Augmenter augmenter = new Augmenter(exp.augment(), CLASSES, model.spec().mean(), model.spec().std(), cpu,
                     m.channelsLast());
             StepOptimizer opt = Trainer.buildOptimizer(model, t);
             LossScaler scaler = LossScaler.disabled(cpu);
             Ema ema = new Ema(model, t.ema().decay(), t.ema().warmup())) {
            model.to(cpu);
            model.train(true);
            StepEngine engine = new StepEngine(model, opt, scaler, ema, t, StepEngine.resolveAmp(t.precision().amp(), cpu), cpu,
                    null);
            LrSchedule schedule = Trainer.buildSchedule(t, STEPS_PER_EPOCH);
            for (int step = 0; step < steps; step++) {
                int epoch = Math.min(epochs - 1, step / STEPS_PER_EPOCH);
                try (var scope = Memory.step()) {
                    Tensor raw = Tensors.fromBytes(pixels, BATCH, SIZE, SIZE, 3).to(cpu.toNative(), torch.ScalarType.Byte);
                    Tensor y = Tensors.fromInts(labels).to(cpu.toNative(), torch.ScalarType.Long);
                    Augmenter.Augmented a = augmenter.train(raw, y, epoch, epochs, 1_000_003L * step);
                    engine.accumulate(a.images(), a.targets());
                    if (leak) {
                        Tensor images = a.images();
                        images.retainReference();
                        kept.add(images);
                    }
                }
                if (engine.readyToStep()) {
                    try (var scope = Memory.step()) {
                        engine.step(schedule.at(step));
                    }
                }
                if ((step + 1) % every == 0) {
                    trend.sample(step + 1);
                }
            }
        } finally {
            kept.forEach(Tensor::releaseReference);
        }
        return trend;
    }

    public static void main(String[] args) throws Exception {
        String amp = args[0];
        int steps = Integer.parseInt(args[1]);
        int every = Integer.parseInt(args[2]);
        boolean leak = "tensor".equals(args[3]);
        long t0 = System.nanoTime();
        MemoryTrend trend = run(amp, steps, every, leak);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("amp", amp);
        out.put("steps", steps);
        out.put("leak", leak);
        out.put("seconds", seconds);
        out.put("trends", trend.trends());
        Map<String, long[]> series = new LinkedHashMap<>();
        series.put("step", trend.steps());
        trend.names().forEach(n -> series.put(n, trend.values(n)));
        out.put("series", series);
        trend.trends().forEach(System.out::println);
        System.out.println(MARKER + new ObjectMapper().writeValueAsString(out));
        System.out.flush();
        System.exit(0);
    }
}
