package dev.jvision.cli;

import dev.jvision.config.Experiment;
import dev.jvision.tune.Direction;
import dev.jvision.tune.FrozenTrial;
import dev.jvision.tune.JdbcStorage;
import dev.jvision.tune.StudyReport;
import dev.jvision.tune.Tuning;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jvision tune}: hyper-parameter search over a search space file, in a study database
 * that any number of workers (processes, machines) can share; {@code --report} prints a study.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Search hyper-parameters (TPE, random or grid; median or Hyperband pruning) in a study database "
                + "(SQLite file or PostgreSQL) that several workers can share; --report prints a study.")
final class TuneCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Mixin
    TuneOptions tune;

    @Option(names = "--report", description = "print the study (trials, best parameters, importance) and write its "
            + "trials.csv, report.txt and plots; runs no trial")
    boolean report;

    @Option(names = "--out", paramLabel = "DIR", description = "with --report: where to write the files "
            + "(default: runs/tune/<study>)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (report) {
            if (tune.study == null || tune.storage == null) {
                throw new IllegalArgumentException("--report: needs --study NAME and --storage SPEC");
            }
            try (JdbcStorage s = JdbcStorage.open(tune.storage)) {
                long id = s.studyId(tune.study);
                Direction d = s.direction(id);
                List<FrozenTrial> trials = s.trials(id);
                System.out.print(StudyReport.text(tune.study, d, trials));
                Path dir = out != null ? out : Path.of("runs", "tune", tune.study);
                Tuning.writeOutputs(dir, tune.study, d, trials);
                System.out.println("files: " + dir);
            }
            return 0;
        }
        Tuning.Options o = tune.options(options);
        List<Process> others = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        if (tune.workers > 1 && !workerChild) {
            Experiment base = options.load();
            Path dir = Path.of(base.experiment().outputDir(), "tune", Tuning.studyName(o, base));
            Files.createDirectories(dir);
            // the study must exist before the workers race to create it in a fresh database
            try (JdbcStorage s = JdbcStorage.open(Tuning.storageSpec(o, base))) {
                s.studyNames();
            }
            for (int k = 1; k < tune.workers; k++) {
                Path log = dir.resolve("worker" + k + ".log");
                List<String> cmd = childCommand(spec.commandLine().getParseResult().originalArgs());
                others.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start());
                logs.add(log);
            }
            System.out.println("started " + others.size() + " more worker(s) on this machine; logs: " + logs);
        }
        Tuning.Result r;
        try {
            r = Tuning.run(o, () -> awaitWorkers(others, logs));
        } finally {
            others.forEach(Process::destroy);
        }
        System.out.println();
        System.out.print(StudyReport.text(r.study(), r.direction(), r.trials()));
        System.out.println("storage: " + r.storage());
        System.out.println("outputs: " + r.outDir() + (r.bestYaml() == null ? "" : " (best config: " + r.bestYaml() + ")"));
        return 0;
    }

    @Option(names = "--worker-child", hidden = true, description = "started by another worker's --workers K")
    boolean workerChild;

    @Spec
    CommandSpec spec;

    /** This JVM's command line (same JVM options and class path) for a worker running {@code args}. */
    static List<String> childCommand(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        if (args.isEmpty() || !args.get(0).equals("tune")) {
            cmd.add("tune");
        }
        cmd.addAll(args);
        cmd.add("--worker-child");
        return cmd;
    }

    private static void awaitWorkers(List<Process> others, List<Path> logs) throws IOException {
        for (int i = 0; i < others.size(); i++) {
            try {
                int code = others.get(i).waitFor();
                if (code != 0) {
                    System.err.println("warning: worker " + (i + 1) + " exited with " + code + " (see " + logs.get(i) + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the other workers", e);
            }
        }
    }

    /**
     * {@code pipeline --optimize}: runs the study, then writes the best effective config to
     * {@code configs/optimized/<name>_<yyyyMMdd_HHmm>.yaml} and returns it.
     */
    static Path optimize(ConfigOptions c, TuneOptions t) throws Exception {
        Tuning.Result r = Tuning.run(t.options(c));
        System.out.print(StudyReport.text(r.study(), r.direction(), r.trials()));
        if (r.bestConfigYaml() == null) {
            throw new IllegalStateException("study " + r.study() + ": no trial completed, nothing to optimize with");
        }
        String name = c.load().experiment().name();
        Path file = Tuning.writeOptimized(Path.of("configs", "optimized"), name, r.bestConfigYaml());
        System.out.println("optimized config: " + file + " (study " + r.study() + ", trial " + r.best().number() + ")");
        return file;
    }

    /** The options {@code tune} and {@code pipeline --optimize} share. */
    static final class TuneOptions {
        @Option(names = "--space", paramLabel = "YAML", description = "search space (see configs/tune.yaml; default: "
                + "jvision's space for the model's family: resnet, efficientnetv2, convnext, swin; see docs/tuning.md)")
        Path space;

        @Option(names = "--study", paramLabel = "NAME", description = "study name (default: <experiment.name>_tune)")
        String study;

        @Option(names = "--storage", paramLabel = "SPEC", description = "sqlite:PATH or postgresql://user:pass@host:port/db "
                + "(default: sqlite:<output_dir>/tune/<study>.db)")
        String storage;

        @Option(names = "--n-trials", paramLabel = "N", defaultValue = "20",
                description = "trials of the study, counted over all workers (default: ${DEFAULT-VALUE})")
        int nTrials;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "stop starting trials after this, e.g. 2h, 45m")
        String timeout;

        @Option(names = "--sampler", paramLabel = "NAME", description = "tpe, random or grid (default: the space file's, else tpe)")
        String sampler;

        @Option(names = "--pruner", paramLabel = "NAME",
                description = "median, hyperband, successive_halving or none (default: the space file's, else median)")
        String pruner;

        @Option(names = "--workers", paramLabel = "K", defaultValue = "1",
                description = "workers on this machine: `tune` starts K-1 more worker processes on the same study; each uses "
                        + "cores/K torch threads (default: ${DEFAULT-VALUE})")
        int workers;

        @Option(names = "--heartbeat-timeout", paramLabel = "DURATION", defaultValue = "2m",
                description = "a trial whose worker stopped heartbeating this long is failed (default: ${DEFAULT-VALUE})")
        String heartbeatTimeout;

        @Option(names = "--requeue-failed", description = "run the parameters of a dead worker's trial again")
        boolean requeueFailed;

        Tuning.Options options(ConfigOptions c) {
            if (sampler != null && !List.of("tpe", "random", "grid").contains(sampler)) {
                throw new IllegalArgumentException("--sampler: " + sampler + " (expected: tpe, random or grid)");
            }
            if (pruner != null && !List.of("median", "hyperband", "successive_halving", "none").contains(pruner)) {
                throw new IllegalArgumentException("--pruner: " + pruner
                        + " (expected: median, hyperband, successive_halving or none)");
            }
            Duration t = timeout == null ? null : Tuning.parseDuration("--timeout", timeout);
            return new Tuning.Options(c.config, c.overrides, space, study, storage, nTrials, t, sampler, pruner, workers,
                    Tuning.parseDuration("--heartbeat-timeout", heartbeatTimeout), requeueFailed);
        }
    }
}
