package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.ConfigException;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchSpaceTest {
    @TempDir
    Path dir;

    @Test
    void exampleSpace_parses_andConditionsPickTheVariant() {
        SearchSpace s = SearchSpace.load(Path.of("configs/tune.yaml"));
        assertEquals(List.of("model.name", "train.lr", "train.weight_decay", "train.batch_size", "train.label_smoothing",
                "augment.mixup.enabled", "augment.mixup.alpha"), s.params().stream().map(SearchSpace.Param::key).toList());
        assertEquals("train.lr|model.name=resnet18", s.params().get(1).variants().get(0).name());
        assertEquals(Distribution.FloatRange.logUniform(3e-4, 6e-3), s.params().get(1).variants().get(0).distribution());
        assertEquals(new Distribution.IntRange(16, 64, false, 16), s.params().get(3).variants().get(0).distribution());
        assertEquals("tpe", s.sampler().name());
        assertEquals(5, s.sampler().nStartupTrials());
        assertEquals("median", s.pruner().name());
        assertEquals(1, s.folds());

        Study study = Study.builder("s").sampler(new RandomSampler(3)).build();
        study.optimize(t -> {
            Map<String, Object> v = s.suggest(t);
            double lr = (Double) v.get("train.lr");
            if (v.get("model.name").equals("resnet18")) {
                assertTrue(lr >= 3e-4 && lr <= 6e-3);
            } else {
                assertTrue(lr >= 1e-4 && lr <= 3e-3);
            }
            assertEquals(Boolean.TRUE.equals(v.get("augment.mixup.enabled")), v.containsKey("augment.mixup.alpha"), v.toString());
            // the values are valid overrides of the quickstart config
            Experiment e = Configs.load(Path.of("configs/quickstart.yaml"), SearchSpace.overrides(v));
            assertEquals(lr, e.train().optimizer().lr(), 1e-15);
            assertEquals(v.get("train.batch_size"), e.train().batch().size());
            assertEquals(v, s.configValues(study.storage().trial(idOf(study, t.number()))));
            return 0;
        }, 12);
    }

    private static long idOf(Study s, int number) {
        return s.trials().stream().filter(t -> t.number() == number).findFirst().orElseThrow().id();
    }

    @Test
    void errors_nameFileLineAndKey() {
        assertError("params:\n  train.lr: {type: float, low: 1.0, high: 0.5}\n", "s.yaml:2 params.train.lr: float range");
        assertError("params:\n  train.lr: {type: floot, low: 1, high: 2}\n", "s.yaml:2 params.train.lr.type: 'floot'");
        assertError("params:\n  a: {type: int, low: 1}\n", "s.yaml:2 params.a.high: missing");
        assertError("params:\n  a: {type: categorical, choices: [x], low: 1}\n", "s.yaml:2 params.a.low: not used by type");
        assertError("params:\n  a:\n    - when: {b: 1}\n      type: int\n      low: 1\n      high: 2\n",
                "s.yaml:3 params.a[0].when.b: not a parameter listed before a");
        assertError("params:\n  a: {type: int, low: 1, high: 3}\nsampler: {name: tpe, seeds: 3}\n", "s.yaml:3 sampler.seeds: unknown key");
        assertError("sampler: {name: tpe}\n", "s.yaml:1 params: missing");
        assertError("params:\n  a: {type: float, low: 1e-4, high: 1, log: yes please}\n", "s.yaml:2 params.a.log: yes please");
    }

    private static void assertError(String yaml, String expected) {
        ConfigException e = assertThrows(ConfigException.class, () -> SearchSpace.parse(yaml, "s.yaml"));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @Test
    void unknownConfigKey_inTheSpace_isReportedWithTheSpaceFileLine() throws Exception {
        Path space = dir.resolve("space.yaml");
        Files.writeString(space, "params:\n  train.lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}\n"
                + "  train.bach_size: {type: int, low: 8, high: 32}\n");
        SearchSpace s = SearchSpace.load(space);
        ExperimentObjective o = new ExperimentObjective(Path.of("configs/quickstart.yaml"), List.of(), s);
        ConfigException e = assertThrows(ConfigException.class, () -> Tuning.validate(s, o));
        assertTrue(e.getMessage().startsWith(space + ":3 params.train.bach_size: value 8 rejected by the config"),
                e.getMessage());
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "params:\n  train.batch_size: {type: int, low: 0, high: 32}\n");
        SearchSpace b = SearchSpace.load(bad);
        e = assertThrows(ConfigException.class, () -> Tuning.validate(b,
                new ExperimentObjective(Path.of("configs/quickstart.yaml"), List.of(), b)));
        assertTrue(e.getMessage().startsWith(bad + ":2 params.train.batch_size: value 0"), e.getMessage());
    }

    @Test
    void optimizedConfig_isNamedByExperimentAndMinute() throws Exception {
        Path f = Tuning.writeOptimized(dir.resolve("configs/optimized"), "quickstart", "# header\nexperiment: {name: q}\n");
        assertTrue(f.getFileName().toString().matches("quickstart_\\d{8}_\\d{4}\\.yaml"), f.toString());
        assertEquals("# header\nexperiment: {name: q}\n", Files.readString(f));
    }

    @Test
    void yamlScalars_readBackAsTheSameValues() {
        assertEquals("0.0001", SearchSpace.yamlScalar(1e-4));
        assertEquals("3.0", SearchSpace.yamlScalar(3.0));
        assertEquals("\"a\\\"b\"", SearchSpace.yamlScalar("a\"b"));
        assertEquals("true", SearchSpace.yamlScalar(true));
        assertEquals(Duration.ofMinutes(90), Tuning.parseDuration("t", "1h30m"));
        assertEquals(Duration.ofSeconds(45), Tuning.parseDuration("t", "45s"));
        assertThrows(IllegalArgumentException.class, () -> Tuning.parseDuration("--timeout", "2 hours"));
        assertEquals(1, Tuning.threadsPerWorker(2, 2));
        assertEquals(4, Tuning.threadsPerWorker(8, 2));
        assertEquals(1, Tuning.threadsPerWorker(2, 4));
    }
}
