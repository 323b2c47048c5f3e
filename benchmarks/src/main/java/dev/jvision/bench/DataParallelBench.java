package dev.jvision.bench;

import dev.jvision.train.task.ClassificationTask;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.runtime.dist.DistEnv;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.runtime.dist.Launcher;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.train.StepEngine;
import dev.jvision.train.Trainer;
import java.time.Duration;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Scripted data-parallel benchmark (not JMH: it spans processes): {@code RANKS} worker JVMs on
 * loopback, each training {@code MODEL} at {@code SIZE} px with batch {@code BATCH} and
 * {@code THREADS} torch threads through the production {@link StepEngine} and a Gloo
 * {@link GradientSync}; rank 0 prints one line {@code DPBENCH {json}} with the global images/s
 * over the measured steps and the mean milliseconds of one gradient all-reduce (timed apart,
 * after the run, on one more backward's gradients). {@code RANKS = 1} runs in this JVM without a
 * process group (all-reduce 0).
 *
 * <p>Arguments: {@code RANKS THREADS MODEL SIZE BATCH WARMUP STEPS} (see
 * {@code benchmarks/dist_bench.sh}). Environment {@code JVISION_DIST_OVERLAP=1} starts the
 * all-reduces from backward hooks (overlapped with backward); otherwise after backward.
 */
public final class DataParallelBench {
    private DataParallelBench() {}

    public static void main(String[] args) throws Exception {
        int ranks = Integer.parseInt(args[0]);
        if (ranks > 1 && System.getenv("WORLD_SIZE") == null) {
            int rc = new Launcher(ranks, 1, 0, null, Duration.ofSeconds(60)).run(DataParallelBench.class, List.of(args));
            System.exit(rc);
        }
        int threads = Integer.parseInt(args[1]);
        String model = args[2];
        int size = Integer.parseInt(args[3]);
        int batch = Integer.parseInt(args[4]);
        int warmup = Integer.parseInt(args[5]);
        int steps = Integer.parseInt(args[6]);
        DistEnv env = DistEnv.fromEnvironment();
        Device dev = Fixtures.setUp(threads, "cpu");
        TorchSettings.setThreads(threads);
        ProcessGroup group = env.distributed()
                ? ProcessGroup.open(env, dev, Duration.ofMinutes(2), Duration.ofMinutes(2)) : null;
        boolean overlap = "1".equals(System.getenv("JVISION_DIST_OVERLAP"));
        GradientSync sync = group == null ? null
                : new GradientSync(group, GradientSync.DEFAULT_BUCKET_BYTES, overlap, false);
        try (ImageModel net = Fixtures.model(model, dev)) {
            net.train(true);
            if (sync != null) {
                sync.broadcast(new java.util.ArrayList<>(net.stateDict().values()));
            }
            TrainConfig t = TrainConfig.defaults();
            try (StepOptimizer opt = Trainer.buildOptimizer(net, t); LossScaler scaler = LossScaler.disabled(dev);
                 Tensor x = torch.randn(batch, 3, size, size);
                 Tensor labels = Fixtures.randomLabels(batch, dev)) {
                Tensor y = torch.one_hot(labels, Fixtures.NUM_CLASSES).to(torch.ScalarType.Float);
                StepEngine engine = new StepEngine(net, opt, scaler, null, t, StepEngine.Amp.OFF, dev,
                        ClassificationTask.objective(t, null), sync);
                long start = 0;
                for (int s = 0; s < warmup + steps; s++) {
                    if (s == warmup) {
                        if (group != null) {
                            group.barrier();
                        }
                        start = System.nanoTime();
                    }
                    try (var scope = Memory.step()) {
                        engine.accumulate(x, y);
                        engine.step(1e-3);
                    }
                }
                if (group != null) {
                    group.barrier();
                }
                double secs = (System.nanoTime() - start) / 1e9;
                double allReduceMs = 0;
                if (sync != null) {
                    try (var scope = Memory.step()) {
                        engine.accumulate(x, y); // gradients to reduce (untimed)
                        sync.averageGradients(opt.parameters()); // ends an overlapped pass; the reps below are not
                    }
                    int reps = 5;
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        try (var scope = Memory.step()) {
                            sync.averageGradients(opt.parameters());
                        }
                    }
                    allReduceMs = (System.nanoTime() - t0) / 1e6 / reps;
                }
                if (env.isMain()) {
                    System.out.printf(java.util.Locale.ROOT,
                            "DPBENCH {\"model\":\"%s\",\"size\":%d,\"ranks\":%d,\"threads_per_rank\":%d,"
                                    + "\"batch_per_rank\":%d,\"steps\":%d,\"images_per_s\":%.2f,\"allreduce_ms\":%.2f,"
                                    + "\"params\":%d,\"overlap\":%b}%n",
                            model, size, env.worldSize(), threads, batch, steps,
                            (double) env.worldSize() * batch * steps / secs, allReduceMs, net.parameterCount(),
                            sync != null && sync.overlap());
                }
                y.close();
            }
        } finally {
            if (group != null) {
                group.close();
            }
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
