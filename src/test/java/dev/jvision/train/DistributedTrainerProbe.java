package dev.jvision.train;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.runtime.dist.DistEnv;
import dev.jvision.runtime.dist.ProcessGroup;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.bytedeco.pytorch.Tensor;

/**
 * Child JVM of {@link DataParallelTest}: one rank of {@link Trainer#fit} with
 * {@code distributed(group)} on {@link TrainerTest}'s tiny CNN and shapes data, each rank
 * starting from its own random weights. Prints {@code EVENTS <n> <first event>}, the listener
 * calls this rank saw, then {@code WEIGHTS <hash>} and {@code LOGITS <hash>} of its final weights
 * and best validation logits. Argument: the checkpoint folder.
 */
public final class DistributedTrainerProbe {
    private DistributedTrainerProbe() {}

    public static void main(String[] args) throws Exception {
        NativeRuntime.init();
        DistEnv env = DistEnv.fromEnvironment();
        TorchSettings.setThreads(env.threadsPerRank(Runtime.getRuntime().availableProcessors()));
        try (ProcessGroup group = ProcessGroup.open(env, Device.CPU, Duration.ofSeconds(120), Duration.ofSeconds(60))) {
            TrainerTest.Recorder rec = new TrainerTest.Recorder();
            Trainer trainer = Trainer.builder(TrainerTest.exp("train.epochs=2")).checkpoints(Path.of(args[0]))
                    .callback(rec).seed(5).distributed(group, 1 << 10).build();
            TorchSettings.seed(9 + env.rank());
            try (TrainerTest.TinyCnn model = new TrainerTest.TinyCnn()) {
                FitResult r = trainer.fit(model, TrainerTest.shapes(32, 3), TrainerTest.shapes(8, 4));
                StringBuilder w = new StringBuilder();
                for (Tensor p : model.stateDict().values()) {
                    w.append(Arrays.hashCode(Tensors.toFloats(p.contiguous())));
                }
                System.out.println("EVENTS " + rec.events.size() + " " + (rec.events.isEmpty() ? "-" : rec.events.get(0)));
                System.out.println("WEIGHTS " + w.toString().hashCode());
                System.out.println("LOGITS " + Arrays.deepHashCode(r.bestLogits()));
            }
            group.barrier();
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
