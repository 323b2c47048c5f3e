package dev.jvision.tune;

import dev.jvision.config.Configs;
import dev.jvision.config.ConfigException;
import dev.jvision.config.Durations;
import dev.jvision.config.Experiment;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jvision tune} as a library call: opens (or creates) the study in its storage, runs this
 * worker's trials of an {@link ExperimentObjective}, and writes the outputs into
 * {@code <output_dir>/tune/<study>/}: {@code trials.csv}, {@code best.yaml} (the best trial's
 * effective config), {@code report.txt} and PNG plots. Stateless, thread-safe; runs trials on
 * the calling thread.
 */
public final class Tuning {
    private static final Logger LOG = LoggerFactory.getLogger(Tuning.class);

    private Tuning() {}

    /**
     * What to tune.
     *
     * @param config           base experiment YAML
     * @param overrides        user {@code --set} overrides
     * @param spaceFile        search space YAML; null for the default space of the model's family
     *                         ({@link DefaultSearchSpaces#forModel})
     * @param study            study name, or null for {@code <experiment.name>_tune}
     * @param storage          storage spec, or null for {@code sqlite:<output_dir>/tune/<study>.db}
     * @param nTrials          trials of the study (counted over all workers)
     * @param timeout          this worker stops claiming trials after it, or null
     * @param sampler          overrides the space's sampler name (tpe|random|grid), or null
     * @param pruner           overrides the space's pruner name, or null
     * @param workers          workers sharing this machine: each gets cores / workers torch threads
     * @param heartbeatTimeout a silent trial is failed after it
     * @param requeueFailed    re-queue trials of dead workers
     */
    public record Options(Path config, List<String> overrides, Path spaceFile, String study, String storage, int nTrials,
                          Duration timeout, String sampler, String pruner, int workers, Duration heartbeatTimeout,
                          boolean requeueFailed) {
        public Options {
            if (nTrials < 1) {
                throw new IllegalArgumentException("--n-trials: " + nTrials + " (expected: >= 1)");
            }
            if (workers < 1) {
                throw new IllegalArgumentException("--workers: " + workers + " (expected: >= 1)");
            }
            overrides = List.copyOf(overrides);
        }
    }

    /**
     * The outcome: study name, storage, the study's trials, the best one (or null), and the
     * output folder with {@code best.yaml} (null when no trial completed).
     */
    public record Result(String study, String storage, Direction direction, List<FrozenTrial> trials, FrozenTrial best,
                         Path outDir, Path bestYaml, String bestConfigYaml) {}

    /** Runs this worker's share of the study and writes the outputs. */
    public static Result run(Options o) throws IOException {
        return run(o, () -> { });
    }

    /** Something to wait for after this worker's trials, before the outputs are written. */
    @FunctionalInterface
    public interface AfterTrials {
        void await() throws IOException;
    }

    /**
     * Runs this worker's share of the study, then {@code afterTrials} (e.g. waits for the other
     * workers this process started), then writes the outputs.
     */
    public static Result run(Options o, AfterTrials afterTrials) throws IOException {
        Experiment base = Configs.load(o.config(), o.overrides());
        SearchSpace space = o.spaceFile() != null ? SearchSpace.load(o.spaceFile())
                : DefaultSearchSpaces.forModel(base.model().name());
        String studyName = studyName(o, base);
        Path tuneDir = Path.of(base.experiment().outputDir(), "tune");
        String storageSpec = storageSpec(o, base);
        int threads = threadsPerWorker(base.experiment().threads(), o.workers());
        List<String> workerOverrides = new ArrayList<>(o.overrides());
        workerOverrides.add("experiment.threads=" + threads);
        ExperimentObjective objective = new ExperimentObjective(o.config(), workerOverrides, space);
        validate(space, objective);
        Direction direction = space.direction() != null ? space.direction()
                : base.train().checkpoint().monitor().minimised() ? Direction.MINIMIZE : Direction.MAXIMIZE;
        SearchSpace.SamplerSpec ss = space.sampler();
        if (o.sampler() != null) {
            ss = new SearchSpace.SamplerSpec(o.sampler(), ss.seed(), ss.nStartupTrials(), ss.multivariate(), ss.gridPoints());
        }
        SearchSpace.PrunerSpec ps = space.pruner();
        if (o.pruner() != null) {
            ps = new SearchSpace.PrunerSpec(o.pruner(), ps.nStartupTrials(), ps.nWarmupSteps(), ps.minResource(),
                    ps.reductionFactor());
        }
        int steps = base.train().epochs() * Math.min(space.folds(), base.train().cv().nFolds());
        Duration hbTimeout = o.heartbeatTimeout() != null ? o.heartbeatTimeout() : Duration.ofMinutes(2);
        Duration hbInterval = hbTimeout.dividedBy(4);
        LOG.info("tune: study {} in {} ({}, {} trials, sampler {}, pruner {}, {} torch threads per worker)", studyName,
                storageSpec, direction.name().toLowerCase(Locale.ROOT), o.nTrials(), ss.name(), ps.name(), threads);
        try (JdbcStorage storage = JdbcStorage.open(storageSpec)) {
            Study study = Study.builder(studyName).storage(storage).direction(direction).sampler(ss.create(space))
                    .pruner(ps.create(steps)).heartbeat(hbInterval, hbTimeout).requeueFailed(o.requeueFailed()).build();
            storage.setStudyAttr(study.id(), "config", o.config().toString());
            storage.setStudyAttr(study.id(), "space", o.spaceFile() != null ? o.spaceFile().toString() : space.source());
            study.optimize(objective, o.nTrials(), o.timeout());
            afterTrials.await();
            List<FrozenTrial> trials = study.trials();
            Path out = tuneDir.resolve(studyName);
            FrozenTrial best = StudyReport.best(trials, direction);
            String bestYaml = null;
            Path bestFile = null;
            if (best != null) {
                Experiment e = Configs.load(o.config(), concat(o.overrides(),
                        SearchSpace.overrides(space.configValues(best))));
                bestYaml = header(studyName, best, base, space.configValues(best)) + Configs.toYaml(e);
                bestFile = out.resolve("best.yaml");
                String text = bestYaml;
                AtomicFiles.writeText(bestFile, w -> w.write(text));
            }
            writeOutputs(out, studyName, direction, trials);
            return new Result(studyName, storageSpec, direction, trials, best, out, bestFile, bestYaml);
        }
    }

    /** The study name: {@code --study}, else {@code <experiment.name>_tune}. */
    public static String studyName(Options o, Experiment base) {
        return o.study() != null ? o.study() : base.experiment().name() + "_tune";
    }

    /** The storage: {@code --storage}, else {@code sqlite:<output_dir>/tune/<study>.db}. */
    public static String storageSpec(Options o, Experiment base) {
        return o.storage() != null ? o.storage()
                : "sqlite:" + Path.of(base.experiment().outputDir(), "tune").resolve(studyName(o, base) + ".db");
    }

    /** Writes trials.csv, report.txt and the plots of a study into {@code out}. */
    public static void writeOutputs(Path out, String study, Direction direction, List<FrozenTrial> trials)
            throws IOException {
        StudyReport.writeTrialsCsv(out.resolve("trials.csv"), trials);
        String report = StudyReport.text(study, direction, trials);
        AtomicFiles.writeText(out.resolve("report.txt"), w -> w.write(report));
        StudyReport.writePlots(out.resolve("plots"), direction, trials);
    }

    /** best.yaml's comment header: the parameters under their config keys. */
    static String header(String study, FrozenTrial best, Experiment base, Map<String, Object> values) {
        return String.format(Locale.ROOT, "# jvision tune: study %s, trial %d, %s %.6f%n# parameters: %s%n", study,
                best.number(), base.train().checkpoint().monitor().toString().toLowerCase(Locale.ROOT), best.value(), values);
    }

    /**
     * Writes the best config to {@code configs/optimized/<name>_<yyyyMMdd_HHmm>.yaml} (under
     * {@code dir}) atomically and returns the file.
     */
    public static Path writeOptimized(Path dir, String experimentName, String yaml) throws IOException {
        String ts = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmm"));
        Path file = dir.resolve(experimentName + "_" + ts + ".yaml");
        AtomicFiles.writeText(file, w -> w.write(yaml));
        return file;
    }

    /** Torch threads for one of {@code workers} workers: the configured threads (0 = all cores) split between them. */
    static int threadsPerWorker(int configured, int workers) {
        int cores = configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
        return Math.max(1, cores / workers);
    }

    /** Checks every parameter's key and values against the config before any trial runs. */
    static void validate(SearchSpace space, ExperimentObjective objective) {
        for (SearchSpace.Param p : space.params()) {
            for (SearchSpace.Variant v : p.variants()) {
                for (Object value : extremes(v.distribution())) {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put(p.key(), value);
                    try {
                        objective.experiment(one);
                    } catch (ConfigException e) {
                        throw new ConfigException(space.source() + ":" + v.line() + " params." + p.key() + ": value "
                                + SearchSpace.yamlScalar(value) + " rejected by the config: " + e.detail(), e);
                    }
                }
            }
        }
    }

    private static List<Object> extremes(Distribution d) {
        if (d instanceof Distribution.Categorical c) {
            return c.choices();
        }
        if (d instanceof Distribution.FloatRange f) {
            return List.of(f.low(), f.high());
        }
        Distribution.IntRange r = (Distribution.IntRange) d;
        return List.of(r.low(), r.high());
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** Parses {@code 2h}, {@code 20m}, {@code 90s}, {@code 1h30m}. @throws IllegalArgumentException naming {@code what} */
    public static Duration parseDuration(String what, String text) {
        return Durations.parse(what, text);
    }
}
