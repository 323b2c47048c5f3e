package dev.jvision.cli;

import dev.jvision.config.Experiment;
import dev.jvision.pipeline.Pipeline;
import dev.jvision.train.FoldResult;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jvision pipeline}: train all folds, then predict the test set with the fold ensemble. */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Train K folds, ensemble them on the test set and write a validated submission.")
final class PipelineCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        Experiment exp = options.load();
        Pipeline.Outcome o = Pipeline.run(exp);
        System.out.println();
        System.out.println("== jvision pipeline summary (" + exp.experiment().name() + ") ==");
        for (FoldResult r : o.train().cv().folds()) {
            System.out.printf("fold %d: val macro-F1 %.4f (accuracy %.4f, best epoch %d)%n", r.fold(), r.bestF1(),
                    r.bestAcc(), r.bestEpoch());
        }
        System.out.printf("cross-validation: mean macro-F1 %.4f, out-of-fold macro-F1 %.4f%n", o.train().cv().meanF1(),
                o.train().cv().oofF1());
        o.infer().testF1().ifPresent(f -> System.out.printf("test macro-F1 %.4f (accuracy %.4f, %d images)%n", f,
                o.infer().testAcc().orElse(0.0), o.infer().rows()));
        System.out.println("submission: " + o.infer().submission());
        System.out.println("run folder: " + o.train().runDir());
        System.out.printf("elapsed: %.1f min%n", (System.nanoTime() - start) / 60e9);
        return 0;
    }
}
