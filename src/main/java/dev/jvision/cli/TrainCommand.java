package dev.jvision.cli;

import dev.jvision.config.Configs;
import dev.jvision.pipeline.TrainStage;
import dev.jvision.train.FoldResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jvision train}: K-fold training into a new run folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the configured model on every fold; checkpoints and metrics go to a new run folder.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "continue an interrupted run in RUN_DIR (its config.yaml is used; --set still applies)")
    Path resume;

    @Override
    public Integer call() throws Exception {
        TrainStage.Outcome t;
        if (resume != null) {
            Path cfg = resume.resolve("config.yaml");
            if (!Files.isRegularFile(cfg)) {
                throw new IllegalArgumentException("--resume " + resume + ": no config.yaml there (expected: a run "
                        + "folder made by `jvision train`)");
            }
            t = TrainStage.train(Configs.load(cfg, options.overrides), resume);
        } else {
            t = TrainStage.train(options.load());
        }
        for (FoldResult r : t.cv().folds()) {
            System.out.printf("fold %d: val macro-F1 %.4f (accuracy %.4f, best epoch %d)%n", r.fold(), r.bestF1(),
                    r.bestAcc(), r.bestEpoch());
        }
        System.out.printf("cross-validation: mean macro-F1 %.4f, out-of-fold macro-F1 %.4f%n", t.cv().meanF1(),
                t.cv().oofF1());
        System.out.println("run folder: " + t.runDir());
        return 0;
    }
}
