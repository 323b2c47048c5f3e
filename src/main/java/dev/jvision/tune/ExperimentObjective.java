package dev.jvision.tune;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.memprof.MemoryPlanner;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.MemoryStats;
import dev.jvision.train.FitResult;
import dev.jvision.train.ModelFactory;
import dev.jvision.train.RunContext;
import dev.jvision.train.Trainer;
import dev.jvision.train.listeners.LoggingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The objective of {@code jvision tune}: a trial's parameters are applied to the base config as
 * overrides, then fold 0 (or folds 0..K-1, {@code objective.folds}) of the competition data is
 * trained with the {@link Trainer}; the value is the best {@code train.monitor} value of the fit
 * (the mean over folds). When the data has fixed validation rows (image manifests with
 * {@code data.val_manifest} or split {@code val}), each trial is one fit on the train rows
 * scored on those rows, as {@code jvision train} does. Each epoch's value is reported for pruning ({@link PruningListener}).
 * With {@code train.max_time} every fit trains for the same wall-clock budget (equal-cost
 * trials; the partial last epoch is validated and reported too).
 * Decoded images are cached across trials per image size. Not thread-safe (one trial at a time,
 * as the trainer requires).
 */
public final class ExperimentObjective implements Objective {
    private static final Logger LOG = LoggerFactory.getLogger(ExperimentObjective.class);

    private final Path config;
    private final List<String> baseOverrides;
    private final SearchSpace space;
    private final Map<String, RunContext> data = new HashMap<>();

    /**
     * @param config        the base experiment YAML
     * @param baseOverrides {@code key=value} overrides applied before the trial's (e.g. threads)
     * @param space         the search space
     */
    public ExperimentObjective(Path config, List<String> baseOverrides, SearchSpace space) {
        this.config = config;
        this.baseOverrides = List.copyOf(baseOverrides);
        this.space = space;
    }

    /** The experiment of a trial's config values (base config, base overrides, then the values). */
    public Experiment experiment(Map<String, Object> values) {
        List<String> ov = new ArrayList<>(baseOverrides);
        ov.addAll(SearchSpace.overrides(values));
        return Configs.load(config, ov);
    }

    @Override
    public double evaluate(Trial trial) throws Exception {
        Map<String, Object> values = space.suggest(trial);
        Experiment exp = experiment(values);
        LOG.info("trial {}: {}", trial.number(), values);
        NativeRuntime.init();
        TorchSettings.setThreads(exp.experiment().threads());
        Device device = Device.parse(exp.experiment().device());
        RunContext ctx = data(exp, device);
        int folds = ctx.holdout() ? 1 : Math.min(space.folds(), exp.train().cv().nFolds());
        boolean minimise = exp.train().checkpoint().monitor().minimised();
        double sum = 0;
        for (RunContext.Split split : ctx.splits(IntStream.range(0, folds).boxed().toList())) {
            int f = split.fold();
            PruningListener pruning = new PruningListener(trial, f * exp.train().epochs(), minimise);
            Trainer trainer = ctx.trainer(f).batchSizePlanner(MemoryPlanner.forTraining())
                    .callback(new LoggingListener()).callback(pruning).build();
            try {
                FitResult r = trainer.fit(ModelFactory.of(exp.model(), exp.model().modelForFold(f), exp.model().numClasses(),
                        device), Dataset.of(split.train(), ctx.cache()), Dataset.of(split.validation(), ctx.cache()));
                LOG.info("trial {} fold {}: best {} {} in {} s", trial.number(), f, exp.train().checkpoint().monitor(),
                        String.format("%.4f", pruning.best()), String.format("%.0f", r.seconds()));
                if (pruning.pruned() != null) {
                    throw pruning.pruned();
                }
            } finally {
                MemoryStats.emptyCudaCache();
            }
            sum += pruning.best();
        }
        return sum / folds;
    }

    /** The run data of {@code exp} ({@link RunContext#load}), kept across trials per data section and image size. */
    private RunContext data(Experiment exp, Device device) throws java.io.IOException {
        String key = exp.data() + "@" + exp.data().imgSize();
        RunContext d = data.get(key);
        if (d == null) {
            d = RunContext.load(exp, device, null);
            if (d.holdout()) {
                LOG.info("validation rows ({}): every trial trains one model on the train rows and scores it on them "
                        + "(objective.folds and train.n_folds are not used)", d.validation().size());
            }
            data.put(key, d);
        }
        return d.with(exp);
    }
}
