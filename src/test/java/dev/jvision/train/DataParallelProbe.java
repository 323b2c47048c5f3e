package dev.jvision.train;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.models.ConvNeXt;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.LrSchedule;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.runtime.dist.DistEnv;
import dev.jvision.runtime.dist.DistributedException;
import dev.jvision.runtime.dist.DistributedSampler;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.runtime.dist.ProcessGroup;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Child JVM of {@link DataParallelTest}: one rank (from the torchrun environment, or a single
 * process when {@code WORLD_SIZE} is unset) of a data-parallel run of the production
 * {@link StepEngine} (AdamW from {@link Trainer#buildOptimizer}, gradient clipping) on a
 * LayerNorm ConvNeXt (the {@code convnext_atto} block layout, one block per stage, widths 16-128)
 * at 32 px. Every rank starts from its own random initialisation, so the broadcast from rank 0
 * is exercised; each step a global batch of {@code GLOBAL} samples of one seeded permutation is
 * split by {@link DistributedSampler}. After the steps, every rank predicts its shard of a
 * validation set, the rows are gathered and macro-F1 computed on all of them.
 *
 * <p>Arguments: {@code OUT GLOBAL STEPS DIE_AT OPTIMIZER}: {@code adamw} (with clipping at 1.0,
 * which with Adam's scale invariance hides a wrong gradient scale) or {@code sgd} (momentum, no
 * clipping: sensitive to the averaging itself); rank 0 writes the final parameters (float32,
 * in state-dict order) and then the macro-F1 (double) to {@code OUT}; rank {@code DYING}
 * (optional sixth argument, default 1) halts the JVM (as SIGKILL would) before step
 * {@code DIE_AT} when it is >= 0. A {@link DistributedException}
 * is printed as one line {@code DIST-ERROR <message>} and exits with status 3.
 *
 * <p>System properties: {@code probe.model=resnet18} trains timm's resnet18 (BatchNorm) instead,
 * {@code probe.syncbn=true} synchronises its BatchNorm statistics across ranks,
 * {@code probe.overlap=true} starts the gradient all-reduces from backward hooks.
 */
public final class DataParallelProbe {
    static final int SIZE = Integer.getInteger("probe.size", 32);
    static final int CLASSES = 4;
    static final int TRAIN = 160;
    static final int VAL = 37;

    private DataParallelProbe() {}

    static Experiment experiment(int batch, String optimizer) {
        String opt = optimizer.equals("sgd") ? "{optimizer: sgd, lr: 0.05, momentum: 0.9, grad_clip: 0.0"
                : "{optimizer: adamw, lr: 1.0e-3, grad_clip: 1.0";
        String yaml = """
                experiment: {seed: 7, threads: 1, device: cpu}
                model: {name: convnext_atto, num_classes: %d, drop_rate: 0.0, drop_path_rate: 0.0}
                train: %s, batch_size: %d, weight_decay: 0.05, warmup_epochs: 0, label_smoothing: 0.0,
                        ema: false, amp: off}
                """.formatted(CLASSES, opt, batch);
        return Configs.fromYaml(yaml, "DataParallelProbe", List.of());
    }

    /** Sample {@code i}: a fixed random image whose class {@code i % CLASSES} shifts one channel. */
    static float[] image(int i) {
        Random r = new Random(1000L + i);
        float[] px = new float[3 * SIZE * SIZE];
        int c = i % CLASSES;
        for (int k = 0; k < px.length; k++) {
            px[k] = (float) r.nextGaussian() + ((k / (SIZE * SIZE)) == c % 3 ? 0.5f * (c + 1) : 0f);
        }
        return px;
    }

    static Tensor images(int[] idx) {
        float[] all = new float[idx.length * 3 * SIZE * SIZE];
        for (int j = 0; j < idx.length; j++) {
            System.arraycopy(image(idx[j]), 0, all, j * 3 * SIZE * SIZE, 3 * SIZE * SIZE);
        }
        return Tensors.fromFloats(all, idx.length, 3, SIZE, SIZE);
    }

    static Tensor oneHot(int[] idx) {
        float[] t = new float[idx.length * CLASSES];
        for (int j = 0; j < idx.length; j++) {
            t[j * CLASSES + idx[j] % CLASSES] = 1f;
        }
        return Tensors.fromFloats(t, idx.length, CLASSES);
    }

    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int global = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        int dieAt = Integer.parseInt(args[3]);
        String optimizer = args[4];
        int dying = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        DistEnv env = DistEnv.fromEnvironment();
        try {
            run(env, out, global, steps, dieAt, optimizer, dying);
        } catch (DistributedException e) {
            System.out.println("DIST-ERROR " + e.getMessage());
            if (Boolean.getBoolean("probe.trace")) {
                e.printStackTrace(System.out);
            }
            System.out.flush();
            Runtime.getRuntime().halt(3);
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }

    static void run(DistEnv env, Path out, int global, int steps, int dieAt, String optimizer, int dying) throws IOException {
        int world = env.worldSize();
        int local = global / world;
        Experiment exp = experiment(local, optimizer);
        TrainConfig t = exp.train();
        TorchSettings.setThreads(env.threadsPerRank(1));
        TorchSettings.seed(exp.experiment().seed() + env.rank());
        Device cpu = Device.CPU;
        ConvNeXt.Config arch = ConvNeXt.Config.of(new int[] {1, 1, 1, 1}, new int[] {16, 32, 64, 128}, true);
        ProcessGroup group = env.distributed()
                ? ProcessGroup.open(env, cpu, Duration.ofSeconds(120), Duration.ofSeconds(30)) : null;
        boolean syncBn = Boolean.getBoolean("probe.syncbn");
        GradientSync sync = group == null ? null
                : new GradientSync(group, 64L << 10, Boolean.getBoolean("probe.overlap"), syncBn);
        String name = System.getProperty("probe.model", "convnext");
        try (ImageModel model = name.equals("convnext") ? ConvNeXt.create(arch, new ModelOptions(CLASSES, 0.0, 0.0))
                : dev.jvision.models.Models.create(name, new ModelOptions(CLASSES, 0.0, 0.0))) {
            model.to(cpu);
            if (group != null && syncBn) {
                int n = dev.jvision.nn.BatchNorm2d.synchronize(model, group);
                System.out.println("synchronised BatchNorm layers: " + n);
            }
            if (sync != null) {
                List<Tensor> state = new ArrayList<>(model.stateDict().values());
                sync.broadcast(state);
            }
            model.train(true);
            try (StepOptimizer opt = Trainer.buildOptimizer(model, t);
                 LossScaler scaler = LossScaler.disabled(cpu)) {
                StepEngine engine = new StepEngine(model, opt, scaler, null, t, StepEngine.Amp.OFF, cpu,
                        dev.jvision.train.task.ClassificationTask.objective(t, null), sync);
                int perEpoch = TRAIN / global;
                LrSchedule schedule = Trainer.buildSchedule(t, perEpoch);
                for (int step = 0; step < steps; step++) {
                    if (step == dieAt && env.rank() == dying) {
                        System.out.println("rank " + dying + " dies before step " + step);
                        System.out.flush();
                        Runtime.getRuntime().halt(9);
                    }
                    int epoch = step / perEpoch;
                    int[] shard = DistributedSampler.shard(permutation(TRAIN, 7L + epoch), env.rank(), world);
                    int[] idx = DistributedSampler.batch(shard, step % perEpoch, local);
                    try (var scope = Memory.step()) {
                        engine.accumulate(images(idx), oneHot(idx));
                    }
                    try (var scope = Memory.step()) {
                        engine.step(schedule.at(step));
                    }
                }
            }
            if (sync != null) {
                System.out.println("buckets started in backward: " + sync.bucketsStartedInBackward());
            }
            model.train(false);
            float[][] rows = predict(model, env);
            float[][] all = group == null ? rows : group.allGatherRows(rows, CLASSES + 1);
            int[] pred = new int[all.length];
            int[] target = new int[all.length];
            for (int i = 0; i < all.length; i++) {
                float[] scores = java.util.Arrays.copyOfRange(all[i], 1, CLASSES + 1);
                pred[i] = ClassificationMetrics.argmax(new float[][] {scores})[0];
                target[i] = (int) all[i][0] % CLASSES;
            }
            double f1 = ClassificationMetrics.macroF1(pred, target, CLASSES);
            if (env.isMain()) {
                write(out, model.stateDict(), f1, all.length);
            }
            if (group != null) {
                group.barrier();
            }
        } finally {
            if (group != null) {
                group.close();
            }
        }
    }

    /** This rank's validation rows: sample index, then the logits (a disjoint, unpadded shard). */
    static float[][] predict(ImageModel model, DistEnv env) {
        List<Integer> mine = new ArrayList<>();
        for (int i = env.rank(); i < VAL; i += env.worldSize()) {
            mine.add(TRAIN + i);
        }
        int[] idx = mine.stream().mapToInt(Integer::intValue).toArray();
        float[][] rows = new float[idx.length][];
        try (var scope = Memory.step(); NoGradGuard g = new NoGradGuard()) {
            float[] logits = Tensors.toFloats(model.forward(images(idx)).contiguous());
            for (int j = 0; j < idx.length; j++) {
                rows[j] = new float[CLASSES + 1];
                rows[j][0] = idx[j];
                System.arraycopy(logits, j * CLASSES, rows[j], 1, CLASSES);
            }
        }
        return rows;
    }

    static void write(Path out, Map<String, Tensor> state, double f1, int valRows) throws IOException {
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(out), 1 << 16))) {
            o.writeInt(valRows);
            o.writeDouble(f1);
            for (Tensor p : state.values()) {
                float[] v = Tensors.toFloats(p.to(torch.ScalarType.Float).contiguous());
                o.writeInt(v.length);
                for (float f : v) {
                    o.writeFloat(f);
                }
            }
        }
    }
}
