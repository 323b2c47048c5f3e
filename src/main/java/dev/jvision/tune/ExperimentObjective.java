package dev.jvision.tune;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.Dataset;
import dev.jvision.data.Folds;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.memprof.MemoryPlanner;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.MemoryStats;
import dev.jvision.train.FitResult;
import dev.jvision.train.ModelFactory;
import dev.jvision.train.Trainer;
import dev.jvision.train.listeners.LoggingListener;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private final Map<String, Data> data = new HashMap<>();

    /** Training rows, and the fixed validation rows (null: folds of the training rows). */
    private record Data(List<Sample> samples, List<Sample> validation, ImageCache cache, List<String> classNames) {}

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
        Data d = data(exp);
        int k = exp.train().nFolds();
        boolean holdout = d.validation() != null;
        int folds = holdout ? 1 : Math.min(space.folds(), k);
        int[] labels = d.samples().stream().mapToInt(Sample::label).toArray();
        int[] fold = holdout ? null : Folds.stratified(labels, k, exp.experiment().seed());
        boolean minimise = exp.train().monitorMinimises();
        double sum = 0;
        for (int f = 0; f < folds; f++) {
            List<Sample> tr = new ArrayList<>();
            List<Sample> va = new ArrayList<>();
            if (holdout) {
                tr.addAll(d.samples());
                va.addAll(d.validation());
            } else {
                for (int i = 0; i < d.samples().size(); i++) {
                    (fold[i] == f ? va : tr).add(d.samples().get(i));
                }
            }
            PruningListener pruning = new PruningListener(trial, f * exp.train().epochs(), minimise);
            Trainer trainer = Trainer.builder(exp).device(device).fold(f).classNames(d.classNames())
                    .batchSizePlanner(MemoryPlanner.forTraining())
                    .listener(new LoggingListener()).listener(pruning).build();
            try {
                FitResult r = trainer.fit(ModelFactory.of(exp.model(), exp.model().modelForFold(f), exp.model().numClasses(),
                        device), Dataset.of(tr, d.cache()), Dataset.of(va, d.cache()));
                LOG.info("trial {} fold {}: best {} {} in {} s", trial.number(), f, exp.train().monitor(),
                        String.format("%.4f", pruning.best()), String.format("%.0f", r.seconds()));
            } finally {
                MemoryStats.emptyCudaCache();
            }
            sum += pruning.best();
        }
        return sum / folds;
    }

    private Data data(Experiment exp) throws java.io.IOException {
        String key = exp.data() + "@" + exp.data().imgSize();
        Data d = data.get(key);
        if (d == null) {
            CompetitionData cd = CompetitionData.open(exp.data(), exp.experiment().seed());
            ImageCache cache = ImageCache.forImages(exp.data().imgSize(), cd.train().samples().size()
                    + cd.validation().map(m -> m.samples().size()).orElse(0),
                    exp.data().cacheDir() == null ? null : Path.of(exp.data().cacheDir()),
                    Path.of(exp.data().root(), ".jvision_cache"), (long) exp.data().memoryCacheMb() << 20,
                    exp.data().workers(), exp.data().reducedDecode());
            List<Sample> samples = CompetitionData.applyBadImagePolicy(cd.train().samples(),
                    cache.preload(cd.train().samples(), "decode train"), exp.data().onBadImage(), "train images");
            List<Sample> validation = null;
            if (cd.validation().isPresent()) {
                List<Sample> v = cd.validation().get().samples();
                validation = CompetitionData.applyBadImagePolicy(v, cache.preload(v, "decode validation"),
                        exp.data().onBadImage(), "validation images");
                LOG.info("validation rows ({}): every trial trains one model on the train rows and scores it on them "
                        + "(objective.folds and train.n_folds are not used)", validation.size());
            }
            d = new Data(samples, validation, cache, cd.classNames());
            data.put(key, d);
        }
        return d;
    }
}
