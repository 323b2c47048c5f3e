package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.demo.ScaleData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tuner's objective on image manifests with a validation manifest: one hold-out fit per trial. */
class ManifestObjectiveTest {
    @TempDir
    Path tmp;

    @Test
    void evaluate_valManifest_oneHoldoutFitPerTrial_evenWithObjectiveFolds() throws Exception {
        Path data = tmp.resolve("data");
        ScaleData.generate(data, 40, 12, 3, 32, 9, 2);
        Path config = tmp.resolve("c.yaml");
        Files.writeString(config, """
                experiment: {name: t, seed: 5, output_dir: '%s', threads: 2}
                data: {root: '%s', train_manifest: train.csv, val_manifest: val.csv, class_file: classes.txt, img_size: 32}
                model: {name: resnet18, num_classes: 3}
                train: {epochs: 1, batch_size: 16, n_folds: 5}
                """.formatted(tmp.resolve("runs"), data));
        SearchSpace space = SearchSpace.parse("""
                params:
                  train.lr: {type: float, low: 1.0e-3, high: 2.0e-3, log: true}
                objective: {folds: 3}
                """, "space.yaml");
        Study study = Study.builder("m").build();
        study.optimize(new ExperimentObjective(config, List.of(), space), 1);
        FrozenTrial trial = study.trials().get(0);
        assertEquals(TrialState.COMPLETE, trial.state());
        // one epoch of one fit reported (step 1): K-fold with objective.folds 3 would report steps 1..3
        assertEquals(1, trial.lastStep(), trial.toString());
        assertTrue(trial.value() >= 0 && trial.value() <= 1, trial.toString());
    }
}
