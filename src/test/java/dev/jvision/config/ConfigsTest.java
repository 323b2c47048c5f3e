package dev.jvision.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigsTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = ConfigsTest.class.getResourceAsStream("/config/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ConfigException fails(String yaml, String source, String... overrides) {
        return assertThrows(ConfigException.class, () -> Configs.fromYaml(yaml, source, List.of(overrides)));
    }

    private static void assertContainsAll(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), () -> "expected '" + p + "' in: " + message);
    }

    @Test
    void emptyFile_givesDefaults(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("empty.yaml");
        Files.writeString(f, "");
        assertEquals(Experiment.defaults(), Configs.load(f, List.of()));
        assertEquals(Experiment.defaults(), Configs.fromYaml("# only a comment\n", "c.yaml", null));
        assertEquals(Experiment.defaults(), Configs.fromYaml("train:\n", "c.yaml", List.of()));
    }

    @Test
    void defaults_matchSpec() {
        Experiment d = Experiment.defaults();
        assertEquals(new ExperimentSection("experiment", 42, "auto", "runs", true, 0), d.experiment());
        assertEquals(224, d.data().imgSize());
        assertNull(d.data().cache().dir());
        assertEquals(DataConfig.OnBadImage.ERROR, d.data().loader().onBadImage());
        assertEquals(17, d.model().numClasses());
        assertNull(d.model().weights());
        assertEquals("basic", d.augment().policy());
        assertEquals(0.5, d.augment().hflip());
        assertEquals(1e-3, d.train().optimizer().lr());
        assertEquals(5, d.train().cv().nFolds());
        assertNull(d.train().cv().folds());
        assertEquals(64, d.infer().batchSize());
    }

    @Test
    void fullFile_parsesEveryKey() throws IOException {
        Experiment e = Configs.fromYaml(resource("full.yaml"), "full.yaml", List.of());
        assertEquals("cuda:1", e.experiment().device());
        assertEquals(-7L, e.experiment().seed());
        assertEquals(Path.of("/tmp/cache"), e.data().cache().dir());
        assertEquals(DataConfig.OnBadImage.SKIP, e.data().loader().onBadImage());
        assertEquals(0.2, e.model().dropRate());
        assertEquals(15.0, e.augment().rotateDegrees());
        assertEquals(3e-4, e.train().optimizer().lr());
        assertEquals(1e-7, e.train().schedule().minLr());
        assertEquals(0.0, e.train().optimizer().weightDecay());
        assertEquals(List.of(0, 2), e.train().cv().folds());
        assertEquals(java.time.Duration.ofMinutes(90), e.train().stopping().maxTime());
        assertTrue(e.infer().tta());
    }

    @Test
    void maxTime_parsesDurationsAndNamesTheExpectedForm() {
        Experiment d = Experiment.defaults();
        assertNull(d.train().stopping().maxTime(), "no budget by default");
        assertNull(d.train().stopping().maxTime());
        assertEquals(java.time.Duration.ofSeconds(90), d.with("train.max_time=90s").train().stopping().maxTime());
        assertEquals(java.time.Duration.ofMinutes(20), d.with("train.max_time=20m").train().stopping().maxTime());
        assertEquals(java.time.Duration.ofHours(2), d.with("train.max_time=2h").train().stopping().maxTime());
        assertEquals(java.time.Duration.ofMinutes(45), d.with("train.max_time=0.75h").train().stopping().maxTime());
        assertNull(d.with("train.max_time=20m", "train.max_time=null").train().stopping().maxTime());
        assertEquals("t.yaml:3 train.max_time: '20 min' (expected: a duration like 90s, 20m, 1h30m or 2h, or null"
                + " for none)", fails("train:\n  epochs: 2\n  max_time: 20 min\n", "t.yaml").getMessage());
        assertContainsAll(fails("train:\n  max_time: 90\n", "t.yaml").getMessage(), "t.yaml:2 train.max_time: '90'",
                "(expected: a duration like 90s");
        assertContainsAll(fails("train:\n  max_time: 0s\n", "t.yaml").getMessage(), "t.yaml:2 train.max_time: '0s'",
                "(expected: a duration > 0");
        assertContainsAll(fails("", "o.yaml", "train.max_time=1h30").getMessage(), "override train.max_time=1h30: '1h30'",
                "(expected: a duration like");
    }

    @Test
    void fullFile_roundTripsThroughToYaml() throws IOException {
        Experiment e = Configs.fromYaml(resource("full.yaml"), "full.yaml", List.of());
        String yaml = Configs.toYaml(e);
        assertEquals(e, Configs.fromYaml(yaml, "roundtrip.yaml", List.of()));
        assertEquals(Experiment.defaults(), Configs.fromYaml(Configs.toYaml(Experiment.defaults()), "d.yaml", null));
    }

    @Test
    void scientificNotation_lrParses() {
        Experiment e = Configs.fromYaml("train:\n  lr: 1e-3\n  min_lr: 1e-6\n", "x.yaml", List.of());
        assertEquals(1e-3, e.train().optimizer().lr());
        assertEquals(1e-6, e.train().schedule().minLr());
        assertEquals(2.0, Configs.fromYaml("train: {lr: 2}\n", "x.yaml", null).train().optimizer().lr());
        assertEquals(0.5, Configs.fromYaml("train: {lr: '5e-1'}\n", "x.yaml", null).train().optimizer().lr());
    }

    @Test
    void unknownKey_namesFileLineAndSuggestion() {
        ConfigException ex = fails("model:\n  name: resnet18\n  nmae: x\n", "configs/x.yaml");
        assertContainsAll(ex.getMessage(), "configs/x.yaml:3 model.nmae: unknown key",
                "expected one of: name, num_classes", "did you mean 'name'?");
    }

    @Test
    void unknownSection_isAnError() {
        ConfigException ex = fails("experiment:\n  seed: 1\ntrian:\n  epochs: 2\n", "x.yaml");
        assertContainsAll(ex.getMessage(), "x.yaml:3 trian: unknown key", "did you mean 'train'?");
    }

    @Test
    void wrongType_namesValueAndExpectation() {
        ConfigException ex = fails("\n\n\n\n\n\ntrain:\n  epochs: ten\n", "configs/x.yaml");
        assertEquals("configs/x.yaml:8 train.epochs: 'ten' (expected: integer)", ex.getMessage());
        assertContainsAll(fails("model:\n  channels_last: yes\n", "m.yaml").getMessage(),
                "m.yaml:2 model.channels_last: yes (expected: true or false)");
        assertContainsAll(fails("model:\n  num_classes: 3.5\n", "m.yaml").getMessage(),
                "m.yaml:2 model.num_classes: 3.5 (expected: integer)");
        assertContainsAll(fails("train: 5\n", "m.yaml").getMessage(), "m.yaml:1 train: 5 (expected: a mapping");
        assertContainsAll(fails("model:\n  name: [a, b]\n", "m.yaml").getMessage(),
                "m.yaml:2 model.name: a list (expected: string)");
    }

    @Test
    void nullForNonNullable_isRejected() {
        assertContainsAll(fails("train:\n  epochs: null\n", "n.yaml").getMessage(),
                "n.yaml:2 train.epochs: null (expected: integer)");
        assertContainsAll(fails("data:\n  root: ~\n", "n.yaml").getMessage(),
                "n.yaml:2 data.root: null (expected: a string)");
        assertNull(Configs.fromYaml("data:\n  cache_dir: null\n", "n.yaml", null).data().cache().dir());
    }

    @Test
    void outOfRange_namesFileLineKeyValue() {
        String yaml = "experiment:\n  seed: 1\ntrain:\n  epochs: 2\n  batch_size: 0\n";
        assertEquals("configs/train.yaml:5 train.batch_size: 0 (expected: >= 1)",
                fails(yaml, "configs/train.yaml").getMessage());
        assertContainsAll(fails("data:\n  img_size: 8\n", "d.yaml").getMessage(),
                "d.yaml:2 data.img_size: 8 (expected: in [16, 2048])");
        assertContainsAll(fails("experiment:\n  device: gpu\n", "d.yaml").getMessage(),
                "d.yaml:2 experiment.device: 'gpu' (expected: auto, cpu, cuda or cuda:N)");
        assertContainsAll(fails("augment:\n  hflip: 1.5\n", "d.yaml").getMessage(),
                "d.yaml:2 augment.hflip: 1.5 (expected: in [0.0, 1.0])");
        assertContainsAll(fails("augment:\n  scale_min: 1.2\n  scale_max: 1.1\n", "d.yaml").getMessage(),
                "d.yaml:3 augment.scale_max: 1.1 (expected: >= scale_min (1.2))");
        assertContainsAll(fails("train:\n  lr: 0.01\n  min_lr: 0.1\n", "d.yaml").getMessage(),
                "d.yaml:3 train.min_lr: 0.1 (expected: <= lr (0.01))");
        assertContainsAll(fails("data:\n  on_bad_image: ignore\n", "d.yaml").getMessage(),
                "d.yaml:2 data.on_bad_image: 'ignore' (expected: one of error, skip)");
        assertContainsAll(fails("model:\n  drop_rate: 1\n", "d.yaml").getMessage(),
                "d.yaml:2 model.drop_rate: 1.0 (expected: in [0.0, 1.0))");
    }

    @Test
    void unknownChoice_namesFileLineKeyValueAndEveryChoice() {
        assertEquals("t.yaml:3 train.optimizer: 'adam' (expected: one of adamw, sgd)",
                fails("train:\n  epochs: 2\n  optimizer: adam\n", "t.yaml").getMessage());
        assertEquals("t.yaml:2 train.amp: 'bf32' (expected: one of auto, bf16, fp16, off)",
                fails("train:\n  amp: bf32\n", "t.yaml").getMessage());
        assertEquals("t.yaml:2 train.monitor: 'VAL_F1' (expected: one of val_f1, val_acc, val_top5, val_loss)",
                fails("train:\n  monitor: VAL_F1\n", "t.yaml").getMessage());
        assertEquals("t.yaml:2 train.schedule: 3 (expected: one of cosine, step, plateau, onecycle)",
                fails("train:\n  schedule: 3\n", "t.yaml").getMessage());
        assertEquals("t.yaml:2 train.loss: null (expected: one of ce, bce)",
                fails("train:\n  loss: null\n", "t.yaml").getMessage());
        Experiment e = Configs.fromYaml("train:\n  optimizer: sgd\n  amp: fp16\n", "t.yaml",
                List.of("train.monitor=val_loss"));
        assertEquals(TrainConfig.Optimizer.Kind.SGD, e.train().optimizer().kind());
        assertEquals(TrainConfig.Amp.FP16, e.train().precision().amp());
        assertTrue(e.train().checkpoint().monitor().minimised());
        assertTrue(Configs.toYaml(e).contains("  optimizer: sgd\n"), Configs.toYaml(e));
    }

    @Test
    void badListElement_pointsAtTheElement() {
        String yaml = "train:\n  n_folds: 3\n  folds:\n    - 0\n    - 1\n    - 3\n";
        assertEquals("f.yaml:6 train.folds[2]: 3 (expected: in [0, 3) since n_folds is 3)",
                fails(yaml, "f.yaml").getMessage());
        assertContainsAll(fails("train:\n  folds: [0, x]\n", "f.yaml").getMessage(),
                "f.yaml:2 train.folds[1]: 'x' (expected: integer)");
        assertContainsAll(fails("train:\n  folds: [0, 0]\n", "f.yaml").getMessage(),
                "f.yaml:2 train.folds[1]: 0 (expected: distinct fold indices)");
        assertContainsAll(fails("train:\n  folds: 1\n", "f.yaml").getMessage(),
                "f.yaml:2 train.folds: 1 (expected: a list of integer");
        assertContainsAll(fails("train:\n  folds: []\n", "f.yaml").getMessage(),
                "f.yaml:2 train.folds: [] (expected: a non-empty list, or null for all folds)");
    }

    @Test
    void malformedYaml_namesFileAndLine() {
        ConfigException ex = fails("train:\n  epochs: 3\n  lr: [1, 2\n", "bad.yaml");
        assertTrue(ex.getMessage().matches("bad\\.yaml:\\d+: malformed YAML: .*"), ex.getMessage());
        ConfigException ex2 = fails("train:\n  epochs: 3\n bad: : x\n", "bad.yaml");
        assertTrue(ex2.getMessage().startsWith("bad.yaml:3: malformed YAML"), ex2.getMessage());
    }

    @Test
    void duplicateKey_isAnError() {
        assertContainsAll(fails("train:\n  epochs: 3\n  epochs: 4\n", "d.yaml").getMessage(),
                "d.yaml:3 train.epochs: duplicate key (first given on line 2)");
    }

    @Test
    void overrides_applyInOrderOverFile() {
        Experiment e = Configs.fromYaml("train:\n  epochs: 10\n", "o.yaml", List.of(
                "train.epochs=3", "train.folds=[0,1]", "data.cache_dir=/tmp/c", "model.name=vit_s",
                "infer.tta=true", "train.lr=1e-2", "data.cache_dir=null", "experiment.seed=7"));
        assertEquals(3, e.train().epochs());
        assertEquals(List.of(0, 1), e.train().cv().folds());
        assertNull(e.data().cache().dir());
        assertEquals("vit_s", e.model().name());
        assertTrue(e.infer().tta());
        assertEquals(1e-2, e.train().optimizer().lr());
        assertEquals(7L, e.experiment().seed());
        assertEquals(Experiment.defaults().train().batch().size(), e.train().batch().size());
    }

    @Test
    void overrides_onEmptyDocumentAndNullSection() {
        assertEquals(2, Configs.fromYaml("", "o.yaml", List.of("train.epochs=2")).train().epochs());
        assertEquals(2, Configs.fromYaml("train:\n", "o.yaml", List.of("train.epochs=2")).train().epochs());
        assertEquals(List.of(1), Configs.fromYaml("train:\n  folds: [0]\n", "o.yaml",
                List.of("train.folds=[1]")).train().cv().folds());
    }

    @Test
    void overrideError_fromJava_namesNoCommandLineFlag() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Experiment.defaults().with("train.epochs=zero"));
        assertEquals("override train.epochs=zero: 'zero' (expected: integer)", e.getMessage());
        assertEquals("train.epochs=zero", e.override());
        assertEquals("--set train.epochs=zero: 'zero' (expected: integer)",
                e.messageNaming("--set", java.util.List.of("train.epochs=zero")), "the CLI's wording for its own flag");
        assertEquals(e.getMessage(), e.messageNaming("--set", java.util.List.of()), "not typed on the command line");
    }

    @Test
    void badOverride_namesTheOverride() {
        assertEquals("override train.epochs=zero: 'zero' (expected: integer)",
                fails("", "o.yaml", "train.epochs=zero").getMessage());
        assertEquals("override train.epochz=3: unknown key train.epochz (did you mean train.epochs?)",
                fails("", "o.yaml", "train.epochz=3").getMessage());
        assertEquals("override foo: expected key=value", fails("", "o.yaml", "foo").getMessage());
        assertEquals("override train.batch_size=0: 0 (expected: >= 1)",
                fails("train:\n  epochs: 2\n", "o.yaml", "train.batch_size=0").getMessage());
        assertEquals("override train.folds=[0,7]: train.folds[1]: 7 (expected: in [0, 5) since n_folds is 5)",
                fails("", "o.yaml", "train.folds=[0,7]").getMessage());
        assertContainsAll(fails("", "o.yaml", "trian.epochs=3").getMessage(),
                "override trian.epochs=3: unknown key trian (did you mean train?)");
        assertContainsAll(fails("", "o.yaml", "train.folds=[0,1").getMessage(),
                "override train.folds=[0,1: malformed value");
        assertContainsAll(fails("", "o.yaml", "train.epochs.x=1").getMessage(),
                "override train.epochs.x=1: unknown key train.epochs.x");
    }

    @Test
    void crossFieldError_fromFileStaysLocatedInFile() {
        // n_folds lowered by an override makes the file's folds invalid: the element is in the file
        ConfigException ex = fails("train:\n  folds: [0, 4]\n", "c.yaml", "train.n_folds=3");
        assertEquals("c.yaml:2 train.folds[1]: 4 (expected: in [0, 3) since n_folds is 3)", ex.getMessage());
    }

    @Test
    void load_missingFile_isConfigException(@TempDir Path dir) {
        ConfigException ex = assertThrows(ConfigException.class,
                () -> Configs.load(dir.resolve("nope.yaml"), List.of()));
        assertContainsAll(ex.getMessage(), "nope.yaml", "cannot read");
    }

    @Test
    void load_usesPathInMessages(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("train.yaml");
        Files.writeString(f, "train:\n  batch_size: 0\n");
        ConfigException ex = assertThrows(ConfigException.class, () -> Configs.load(f, List.of()));
        assertEquals(f + ":2 train.batch_size: 0 (expected: >= 1)", ex.getMessage());
    }

    @Test
    void write_isAtomicAndReloadable(@TempDir Path dir) throws IOException {
        Experiment e = Configs.fromYaml("", "x", List.of("train.epochs=4", "train.folds=[1]", "model.name=123"));
        Path out = dir.resolve("sub/effective.yaml");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "stale");
        Configs.write(e, out);
        assertEquals(e, Configs.load(out, List.of()));
        assertEquals("123", Configs.load(out, List.of()).model().name());
        try (var s = Files.list(out.getParent())) {
            assertEquals(List.of(out.getFileName().toString()),
                    s.map(p -> p.getFileName().toString()).toList(), "no temp files left behind");
        }
    }

    @Test
    void records_validateProgrammaticConstruction() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new InferConfig(0, false, false));
        assertEquals("batch_size: 0 (expected: >= 1)", ex.getMessage());
        TrainConfig t = TrainConfig.defaults();
        var folds = new java.util.ArrayList<>(List.of(0, 1));
        TrainConfig t2 = t.withCv(c -> new TrainConfig.Folds(c.nFolds(), folds));
        folds.add(2);
        assertEquals(List.of(0, 1), t2.cv().folds());
        assertThrows(UnsupportedOperationException.class, () -> t2.cv().folds().add(3));
    }
    @Test
    void fullFile_setsEveryFieldAwayFromItsDefault() throws Exception {
        // guards the round-trip test: it only proves something if every field is exercised
        Experiment e = Configs.fromYaml(resource("full.yaml"), "full.yaml", List.of());
        Experiment d = Experiment.defaults();
        for (var section : Experiment.class.getRecordComponents()) {
            Object got = section.getAccessor().invoke(e);
            Object def = section.getAccessor().invoke(d);
            if (!section.getType().isRecord()) {
                assertNotEquals(def, got, section.getName());
                continue;
            }
            for (var field : section.getType().getRecordComponents()) {
                assertNotEquals(field.getAccessor().invoke(def), field.getAccessor().invoke(got),
                        section.getName() + "." + field.getName());
            }
        }
    }

    @Test
    void toYaml_quotesStringsThatLookLikeOtherTypes(@TempDir Path dir) throws IOException {
        for (String name : List.of("null", "~", "yes", "true", "123", "1e-3", "a: b", "# hash", "[x]", "it's", " pad ")) {
            Experiment e = Configs.fromYaml("", "x", List.of("data.root=x"));
            e = new Experiment(e.experiment(), e.data(), new ModelConfig(name, 5, 0.0, name, false),
                    e.augment(), e.train(), e.infer());
            assertEquals(e, Configs.fromYaml(Configs.toYaml(e), "rt.yaml", null), name);
        }
    }

    @Test
    void toYaml_isBlockStyleWithSnakeCaseKeys() {
        String y = Configs.toYaml(Experiment.defaults());
        assertTrue(y.startsWith("experiment:\n  name: experiment\n"), y);
        assertContainsAll(y, "\ntrain:\n", "  batch_size: 32\n", "  n_folds: 5\n", "  folds: null\n",
                "  cache_dir: null\n", "  lr: 0.001\n", "\ninfer:\n  batch_size: 64\n");
    }

    @Test
    void crossFieldError_onDefaultedKey_pointsAtItsSection() {
        assertEquals("x.yaml:2 train.min_lr: 1.0E-6 (expected: <= lr (1.0E-7))",
                fails("train:\n  lr: 1e-7\n", "x.yaml").getMessage());
    }

    @Test
    void numbers_acceptYamlIntForms() {
        Experiment e = Configs.fromYaml("experiment:\n  seed: 1_000_000_000_000\n  threads: 0x10\n", "n.yaml", null);
        assertEquals(1_000_000_000_000L, e.experiment().seed());
        assertEquals(16, e.experiment().threads());
        assertContainsAll(fails("train:\n  epochs: 99999999999\n", "n.yaml").getMessage(),
                "n.yaml:2 train.epochs: 99999999999 (expected: integer in [");
        assertContainsAll(fails("train:\n  lr: .nan\n", "n.yaml").getMessage(),
                "n.yaml:2 train.lr: .nan (expected: number)");
    }

    @Test
    void sectionOverride_withFlowMapping() {
        Experiment e = Configs.fromYaml("", "o.yaml", List.of("infer={batch_size: 8, tta: true}"));
        assertEquals(new InferConfig(8, false, true), e.infer());
        assertEquals("override infer={batch_sise: 8}: infer.batch_sise: unknown key (expected one of: "
                + "batch_size, save_probs, tta, tta_views, tta_num_augments, use_calibration, confidence_threshold; "
                + "did you mean 'batch_size'?)",
                fails("", "o.yaml", "infer={batch_sise: 8}").getMessage());
    }
}
