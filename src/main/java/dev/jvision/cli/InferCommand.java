package dev.jvision.cli;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.pipeline.Pipeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision infer}: predict the test set with a run's folds or explicit checkpoints. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Predict the test set (sample_submission.csv order) with a run's fold ensemble or with checkpoints.")
final class InferCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--run", paramLabel = "RUN_DIR", description = "a run folder made by train/pipeline")
        Path run;

        @Option(names = "--checkpoint", paramLabel = "FILE", description = "a .safetensors checkpoint with its .json sidecar (repeatable)")
        List<Path> checkpoints;
    }

    @Option(names = {"-c", "--config"}, description = "experiment YAML for data settings (default: the run's config.yaml)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config value (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "where to write submission.csv (default: the run folder, or .)")
    Path out;

    @Option(names = "--save-probs", description = "also write probs.csv with the averaged class probabilities")
    boolean saveProbs;

    @Override
    public Integer call() throws Exception {
        Path cfg = config;
        if (cfg == null) {
            cfg = source.run != null ? source.run.resolve("config.yaml") : Path.of("configs/quickstart.yaml");
        }
        Experiment exp = Configs.load(cfg, overrides);
        Pipeline.InferOutcome o;
        boolean probs = saveProbs || exp.infer().saveProbs();
        if (source.run != null) {
            Path dir = out != null ? out : source.run;
            o = Pipeline.infer(exp, dir, dev.jvision.infer.Predictor.runCheckpoints(source.run), probs);
        } else {
            o = Pipeline.infer(exp, out != null ? out : Path.of("."), source.checkpoints, probs);
        }
        o.testF1().ifPresent(f -> System.out.printf("test macro-F1 %.4f (accuracy %.4f, %d images)%n", f,
                o.testAcc().orElse(0.0), o.rows()));
        System.out.println("submission: " + o.submission());
        return 0;
    }
}
