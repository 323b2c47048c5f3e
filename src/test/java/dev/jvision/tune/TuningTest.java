package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.cli.Main;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvision tune} end to end on a tiny demo: real training trials, pruning, outputs, the report. */
class TuningTest {
    @TempDir
    Path tmp;

    private Path tinyConfig() throws Exception {
        Path config = tmp.resolve("tiny.yaml");
        Files.writeString(config, """
                experiment: {name: tiny, seed: 7, output_dir: '%s', threads: 2}
                data: {root: '%s', generate_demo: true, demo_train: 51, demo_test: 17, img_size: 32}
                model: {name: resnet18, num_classes: 17}
                train: {epochs: 3, batch_size: 8, n_folds: 2, lr: 1.0e-3}
                infer: {batch_size: 16}
                """.formatted(tmp.resolve("runs"), tmp.resolve("data")));
        return config;
    }

    @Test
    void tune_workers2_startsASecondWorkerProcess_onTheSameStudy() throws Exception {
        Path config = tinyConfig();
        Path space = tmp.resolve("space.yaml");
        Files.writeString(space, "params:\n  train.lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}\n"
                + "pruner: {name: none}\n");
        assertEquals(0, Main.execute("tune", "--config", config.toString(), "--space", space.toString(), "--set",
                "train.epochs=1", "--n-trials", "4", "--workers", "2"));
        Path log = tmp.resolve("runs/tune/tiny_tune/worker1.log");
        assertTrue(Files.isRegularFile(log));
        try (JdbcStorage s = JdbcStorage.open("sqlite:" + tmp.resolve("runs/tune/tiny_tune.db"))) {
            List<FrozenTrial> trials = s.trials(s.studyId("tiny_tune"));
            assertEquals(4, trials.size(), Files.readString(log));
            assertTrue(trials.stream().allMatch(t -> t.state() == TrialState.COMPLETE), trials.toString());
            assertEquals(2, trials.stream().map(FrozenTrial::worker).distinct().count(), "two workers: " + trials);
        }
        assertEquals(5, Files.readAllLines(tmp.resolve("runs/tune/tiny_tune/trials.csv")).size(),
                "outputs written after both workers finished");
    }

    @Test
    void tune_withoutSpaceFile_usesTheModelFamilysDefaultSpace_andBestYamlNamesConfigKeys() throws Exception {
        Path config = tinyConfig();
        Tuning.Result r = Tuning.run(new Tuning.Options(config, List.of("train.epochs=1"), null, null, null, 2, null, null,
                null, 1, null, false));
        assertEquals(2, r.trials().size());
        java.util.Set<String> keys = new java.util.HashSet<>();
        r.trials().forEach(t -> keys.addAll(SearchSpace.byConfigKey(t.externalParams()).keySet()));
        assertTrue(keys.containsAll(List.of("train.lr", "train.weight_decay", "train.label_smoothing", "augment.mixup.enabled")),
                "resnet's default space: " + keys);
        String header = r.bestConfigYaml().lines().filter(l -> l.startsWith("# parameters:")).findFirst().orElseThrow();
        assertTrue(header.contains("train.lr="), header);
        assertTrue(!header.contains("|"), "config keys, not internal conditional names: " + header);
    }

    @Test
    void tune_tinyDemo_runsTrials_writesOutputs_andReports() throws Exception {
        Path config = tinyConfig();
        Path space = tmp.resolve("space.yaml");
        Files.writeString(space, """
                params:
                  train.lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
                  train.batch_size: {type: categorical, choices: [8, 16]}
                sampler: {name: tpe, n_startup_trials: 2, seed: 1}
                pruner: {name: median, n_startup_trials: 1, n_warmup_steps: 1}
                """);
        Tuning.Result r = Tuning.run(new Tuning.Options(config, List.of(), space, null, null, 4, null, null, null, 2,
                null, false));
        assertEquals("tiny_tune", r.study());
        assertEquals(Direction.MAXIMIZE, r.direction(), "val_f1 is maximised");
        assertEquals(4, r.trials().size());
        for (FrozenTrial t : r.trials()) {
            assertTrue(t.state() == TrialState.COMPLETE || t.state() == TrialState.PRUNED, t.toString());
            assertTrue(t.lastStep() >= 1 && t.lastStep() <= 3, "reported epochs 1..3: " + t.intermediate());
            if (t.state() == TrialState.COMPLETE) {
                assertEquals(3, t.lastStep());
                assertEquals(t.intermediate().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
                        t.value(), 1e-12, "value = best val_f1 over the epochs");
            }
        }
        Path out = tmp.resolve("runs/tune/tiny_tune");
        assertEquals(out, r.outDir());
        for (String f : List.of("trials.csv", "best.yaml", "report.txt", "plots/optimization_history.png",
                "plots/intermediate_values.png", "plots/slice_train.lr.png", "plots/slice_train.batch_size.png")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(5, Files.readAllLines(out.resolve("trials.csv")).size());
        Experiment best = Configs.load(out.resolve("best.yaml"), List.of());
        assertEquals((Double) r.best().param("train.lr"), best.train().optimizer().lr(), 1e-15);
        assertEquals(r.best().param("train.batch_size"), best.train().batch().size());
        assertEquals(2, best.experiment().threads(), "the best config keeps the user's threads, not the worker's");
        assertTrue(Files.readString(out.resolve("best.yaml")).startsWith("# jvision tune: study tiny_tune, trial "
                + r.best().number()));

        // the study continues where it stopped, and --report prints it
        Tuning.Result more = Tuning.run(new Tuning.Options(config, List.of(), space, null, null, 5, null, "random", "none",
                1, null, false));
        assertEquals(5, more.trials().size());
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true));
            code = Main.execute("tune", "--report", "--study", "tiny_tune", "--storage", r.storage(), "--out",
                    tmp.resolve("report").toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        String text = buf.toString();
        assertTrue(text.contains("study tiny_tune (maximize): 5 trials"), text);
        assertTrue(text.contains("best: trial "), text);
        assertTrue(Files.isRegularFile(tmp.resolve("report/trials.csv")));
        assertEquals(2, Main.execute("tune", "--config", config.toString(), "--space", tmp.resolve("none.yaml").toString()));
    }
}
