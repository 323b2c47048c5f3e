package dev.jvision.cli;

import dev.jvision.pipeline.Pipeline;
import dev.jvision.train.FoldResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jvision train}: K-fold training into a new run folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the configured model on every fold; checkpoints and metrics go to a new run folder.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        Pipeline.TrainOutcome t = Pipeline.train(options.load());
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
