package dev.jvision.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TypedSectionsTest {

    @Test
    void javaWithers_buildTheSameConfigAsYaml_withoutStrings() {
        TrainConfig t = TrainConfig.defaults()
                .withEpochs(20)
                .withBatch(b -> b.withSize(64).withMemoryBudget(ByteSize.gigabytes(8)))
                .withOptimizer(o -> o.withKind(TrainConfig.Optimizer.Kind.SGD).withLr(0.1)
                        .withScaling(s -> s.withHeadLrScale(10.0)))
                .withSchedule(s -> s.withKind(TrainConfig.Schedule.Kind.ONECYCLE).withMinLr(1e-5))
                .withEma(e -> e.withEnabled(true))
                .withStopping(s -> s.withMaxTime(Duration.ofMinutes(90)));
        DataConfig d = DataConfig.defaults().withRoot(Path.of("data/raw")).withImgSize(64)
                .withLoader(l -> l.withOnBadImage(DataConfig.OnBadImage.SKIP).withWorkers(3));
        Experiment fromJava = new Experiment(null, d, null, null, t, null);

        Experiment fromYaml = Configs.fromYaml("""
                data:
                  root: data/raw
                  img_size: 64
                  on_bad_image: skip
                  workers: 3
                train:
                  epochs: 20
                  batch_size: 64
                  memory_budget: 8GB
                  optimizer: sgd
                  lr: 0.1
                  head_lr_scale: 10.0
                  schedule: onecycle
                  min_lr: 1.0e-5
                  ema: true
                  max_time: 1h30m
                """, "j.yaml", List.of());
        assertEquals(fromYaml, fromJava);
        assertEquals(8L << 30, fromJava.train().batch().memoryBudget().bytes());
        assertTrue(fromJava.data().loader().onBadImage().skips());
    }

    @Test
    void withers_validate_andNameTheYamlKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.defaults().withEma(x -> x.withDecay(1.0)));
        assertEquals("ema_decay: 1.0 (expected: in [0.0, 1.0))", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.defaults().withSchedule(s -> s.withMinLr(0.5)));
        assertEquals("min_lr: 0.5 (expected: <= lr (0.001))", e.getMessage());
    }

    @Test
    void yaml_toRecords_toDumpedYaml_toRecords_isEqual_andStaysFlat() {
        Experiment e = Configs.fromYaml("""
                data:
                  root: /data/x
                  cache_dir: /tmp/c
                  on_bad_image: skip
                  train_manifest: m.csv
                  demo_train: 100
                train:
                  lr: 3.0e-4
                  optimizer_impl: foreach
                  amp: fp16
                  ema: true
                  ema_decay: 0.99
                  monitor: val_loss
                  checkpoint_every_steps: 5
                  early_stopping_patience: 3
                  max_time: 1.5s
                  memory_budget: 1536MB
                  lr_multipliers: {"head.*": 10.0}
                  one_cycle: {peak: 0.3}
                  batch_norm: {frozen_scale: true}
                augment:
                  hflip: 0.25
                """, "r.yaml", List.of("train.lr=5e-4"));
        String dumped = Configs.toYaml(e);
        assertEquals(e, Configs.fromYaml(dumped, "dumped.yaml", List.of()));
        assertTrue(dumped.contains("\n  lr: 5.0E-4\n"), dumped);
        assertTrue(dumped.contains("\n  ema_decay: 0.99\n"), dumped);
        assertTrue(dumped.contains("\n  max_time: 1.5s\n"), dumped);
        assertTrue(dumped.contains("\n  memory_budget: 1536MB\n"), dumped);
        assertTrue(dumped.contains("\n  on_bad_image: skip\n"), dumped);
        assertTrue(dumped.contains("\n  cache_dir: /tmp/c\n"), dumped);
        for (String javaOnly : List.of("optimizer:\n", "schedule:\n", "precision:", "stopping:", "cv:", "loader:", "layout:")) {
            assertFalse(dumped.contains("  " + javaOnly), "flattened section written as a mapping: " + javaOnly);
        }
    }

    @Test
    void flattenedKeys_workInOverrides_andUnknownKeysStillSuggest() {
        Experiment e = Experiment.defaults().with("train.ema_decay=0.5", "data.memory_cache_mb=0");
        assertEquals(0.5, e.train().ema().decay());
        assertEquals(0, e.data().cache().memoryMb());
        ConfigException x = assertThrows(ConfigException.class, () -> Experiment.defaults().with("train.ema_decy=0.5"));
        assertTrue(x.getMessage().contains("did you mean train.ema_decay?"), x.getMessage());
        x = assertThrows(ConfigException.class, () -> Configs.fromYaml("train:\n  lr: 0.1\n  optimzer: sgd\n", "u.yaml", null));
        assertTrue(x.getMessage().startsWith("u.yaml:3 train.optimzer: unknown key"), x.getMessage());
        assertTrue(x.getMessage().contains("did you mean 'optimizer'?"), x.getMessage());
        x = assertThrows(ConfigException.class, () -> Configs.fromYaml("data:\n  on_bad_image: ignore\n", "b.yaml", null));
        assertEquals("b.yaml:2 data.on_bad_image: 'ignore' (expected: one of error, skip)", x.getMessage());
        x = assertThrows(ConfigException.class, () -> Configs.fromYaml("train:\n\n  memory_budget: lots\n", "m.yaml", null));
        assertEquals("m.yaml:3 train.memory_budget: 'lots' (expected: a size such as 8GB, 12GB, 512MB)", x.getMessage());
    }
}
