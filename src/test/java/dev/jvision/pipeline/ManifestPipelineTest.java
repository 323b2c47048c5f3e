package dev.jvision.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.data.demo.ScaleData;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.TemperatureScaling;
import dev.jvision.track.OofLogits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image manifests end to end: a fixed validation set trains one hold-out model (fold 0) instead of
 * K folds, the temperature is fitted on the validation logits, and the test manifest is predicted
 * into predictions.csv with top-5 class names and test scores.
 */
class ManifestPipelineTest {
    @TempDir
    static Path tmp;

    static Path data;

    @BeforeAll
    static void generate() throws IOException {
        data = tmp.resolve("data");
        ScaleData.generate(data, 120, 40, 4, 40, 3, 2);
        // a labelled test manifest (the validation images) and an unlabelled one (its first 10 paths)
        List<String> val = Files.readAllLines(data.resolve("val.csv"));
        Files.write(data.resolve("test.csv"), val);
        List<String> unlabelled = new ArrayList<>(List.of("image_path"));
        for (String l : val.subList(1, 11)) {
            unlabelled.add(l.substring(0, l.indexOf(',')));
        }
        Files.write(data.resolve("test_unlabelled.csv"), unlabelled);
        // the same rows in one manifest with a split column
        List<String> split = new ArrayList<>(List.of("image_path,label,split"));
        for (String l : Files.readAllLines(data.resolve("train.csv")).subList(1, 121)) split.add(l + ",train");
        for (String l : val.subList(1, val.size())) split.add(l + ",val");
        Files.write(data.resolve("split.csv"), split);
    }

    private static Experiment exp(String name, String... overrides) {
        String yaml = """
                experiment: {name: %s, seed: 5, output_dir: '%s', threads: 2}
                data: {root: '%s', train_manifest: train.csv, val_manifest: val.csv, class_file: classes.txt,
                       test_manifest: test.csv, img_size: 32}
                model: {name: resnet18, num_classes: 4}
                train: {epochs: 2, batch_size: 16, n_folds: 5, lr: 2.0e-3}
                infer: {batch_size: 32}
                """.formatted(name, tmp.resolve("runs"), data);
        return Configs.fromYaml(yaml, name + ".yaml", List.of(overrides));
    }

    @Test
    void pipeline_valManifest_trainsOneHoldoutModel_calibratesOnValidation_predictsTestManifest() throws IOException {
        Experiment exp = exp("holdout");
        Pipeline.Outcome o = Pipeline.run(exp);
        Path run = o.train().runDir();
        assertEquals(1, o.train().cv().folds().size(), "one hold-out model, not train.n_folds = 5");
        assertEquals(0, o.train().cv().folds().get(0).fold());
        assertFalse(Files.exists(run.resolve("fold1")));
        for (String f : List.of("fold0/best.safetensors", "fold0/result.json", "oof_logits.csv", "calibration.json",
                ManifestInference.PREDICTIONS, ManifestInference.INFO)) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " missing in " + run);
        }
        assertFalse(Files.exists(run.resolve("submission.csv")));
        assertEquals(3, Files.readAllLines(run.resolve("metrics.csv")).size(), "header + 1 model x 2 epochs");

        // "out-of-fold" = the validation manifest's 40 rows, in its order
        OofLogits oof = OofLogits.read(run.resolve(OofLogits.FILE));
        List<String> valPaths = Files.readAllLines(data.resolve("val.csv")).subList(1, 41).stream()
                .map(l -> l.substring(0, l.indexOf(','))).toList();
        assertEquals(valPaths, oof.ids());
        assertEquals(40, o.calibration().orElseThrow().samples());

        List<String> pred = Files.readAllLines(run.resolve(ManifestInference.PREDICTIONS));
        assertEquals("image_path,label,prediction,probability,top5,top5_probabilities", pred.get(0));
        assertEquals(41, pred.size());
        List<String> classes = Files.readAllLines(data.resolve("classes.txt"));
        for (String row : pred.subList(1, pred.size())) {
            String[] c = row.split(",");
            assertEquals(6, c.length, row);
            String[] top = c[4].split("\\|");
            assertEquals(4, top.length, "4 classes: top-5 lists all 4: " + row);
            assertEquals(c[2], top[0], row);
            assertTrue(classes.containsAll(List.of(top)) && classes.contains(c[1]), row);
            String[] p = c[5].split("\\|");
            assertEquals(Double.parseDouble(c[3]), Double.parseDouble(p[0]), 0);
            for (int i = 1; i < p.length; i++) {
                assertTrue(Double.parseDouble(p[i - 1]) >= Double.parseDouble(p[i]), row);
            }
        }
        assertEquals(40, o.infer().rows());
        assertTrue(o.infer().testAcc().isPresent() && o.infer().testF1().isPresent());
        JsonNode info = new ObjectMapper().readTree(run.resolve(ManifestInference.INFO).toFile());
        assertEquals(1.0, info.get("test_top5_accuracy").asDouble(), 1e-12, "4 classes: every label is in the top 5");
        assertEquals(o.infer().testAcc().get(), info.get("test_accuracy").asDouble(), 1e-12);

        // resuming the run neither retrains nor changes the predictions
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        byte[] predictions = Files.readAllBytes(run.resolve(ManifestInference.PREDICTIONS));
        Pipeline.Outcome again = Pipeline.run(exp, new Pipeline.Options(InferStage.Options.of(exp), run));
        assertEquals(List.of(0), again.train().cv().folds().stream().map(f -> f.fold()).toList());
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")), "resume must not train");
        assertArrayEquals(predictions, Files.readAllBytes(run.resolve(ManifestInference.PREDICTIONS)));
        TrainStage.Outcome resumed = TrainStage.train(exp, run);
        assertEquals(o.train().cv().oofF1(), resumed.cv().oofF1(), 1e-12, "finished hold-out fit read back");
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")));
        // killed after its last checkpoint but before result.json: the fit continues from last.safetensors
        Files.delete(run.resolve("fold0/result.json"));
        TrainStage.Outcome continued = TrainStage.train(exp, run);
        assertEquals(o.train().cv().oofF1(), continued.cv().oofF1(), 1e-12);
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")), "no epoch trained twice");
        assertTrue(Files.isRegularFile(run.resolve("fold0/result.json")));

        // a run from before oof_logits.csv: the validation logits are recomputed from fold0's checkpoint
        Files.delete(run.resolve(OofLogits.FILE));
        Files.delete(run.resolve(TemperatureScaling.FILE));
        OofLogits recomputed = TrainStage.recomputeOofLogits(exp, run);
        assertEquals(oof.ids(), recomputed.ids());
        for (int i = 0; i < oof.size(); i++) {
            assertArrayEquals(oof.logits()[i], recomputed.logits()[i], 1e-3f, oof.ids().get(i));
        }

        // an unlabelled test manifest: predictions without a label column, no test scores
        Experiment unlabelled = exp("holdout", "data.test_manifest=test_unlabelled.csv");
        Path out = Files.createDirectories(tmp.resolve("unlabelled"));
        InferStage.Outcome u = InferStage.infer(unlabelled, out, List.of(EnsembleMember.ofRun(run, 1)),
                new InferStage.Options(false, false, false, 0));
        List<String> rows = Files.readAllLines(out.resolve(ManifestInference.PREDICTIONS));
        assertEquals("image_path,prediction,probability,top5,top5_probabilities", rows.get(0));
        assertEquals(11, rows.size());
        assertTrue(u.testF1().isEmpty());
        for (int i = 1; i < rows.size(); i++) {
            assertTrue(rows.get(i).startsWith(valPaths.get(i - 1) + ","), rows.get(i));
            // same model, same images: the same prediction as in the labelled run
            String[] a = rows.get(i).split(",");
            String[] b = pred.get(i).split(",");
            assertEquals(b[2], a[1]);
        }
    }

    @Test
    void pipeline_withoutTestManifest_endsAfterCalibration() throws IOException {
        Pipeline.Outcome o = Pipeline.run(exp("notest", "data.test_manifest=null", "train.epochs=1"));
        Path run = o.train().runDir();
        assertNull(o.infer());
        assertTrue(Files.isRegularFile(run.resolve("calibration.json")));
        assertFalse(Files.exists(run.resolve(ManifestInference.PREDICTIONS)));
        Path out = Files.createDirectories(tmp.resolve("notest-infer"));
        var e = assertThrows(IllegalArgumentException.class, () -> InferStage.infer(
                exp("notest", "data.test_manifest=null"), out, List.of(EnsembleMember.ofRun(run, 1)),
                new InferStage.Options(false, false, false, 0)));
        assertTrue(e.getMessage().startsWith("data.test_manifest: not set"), e.getMessage());
    }

    @Test
    void holdout_splitColumnOrValManifest_elseKFold() throws IOException {
        assertTrue(RunSetup.holdout(exp("a")));
        assertEquals(List.of(0), RunSetup.folds(exp("a")));
        Experiment split = exp("b", "data.train_manifest=split.csv", "data.val_manifest=null");
        assertTrue(RunSetup.holdout(split), "rows with split val");
        assertEquals(List.of(0), RunSetup.folds(split));
        Experiment none = exp("c", "data.val_manifest=null");
        assertFalse(RunSetup.holdout(none), "no validation rows: K-fold over the train rows");
        assertEquals(List.of(0, 1, 2, 3, 4), RunSetup.folds(none));
    }

    @Test
    void testManifest_needsTrainManifest() {
        var e = assertThrows(IllegalArgumentException.class, () -> exp("d", "data.train_manifest=null",
                "data.val_manifest=null", "data.class_file=null"));
        assertTrue(e.getMessage().contains("test_manifest"), e.getMessage());
    }

    @Test
    void topClasses_largestFirst_tiesByLowerId_atMostTheClassCount() {
        assertArrayEquals(new int[] {2, 0, 1, 3, 4},
                ManifestInference.topClasses(new float[] {0.3f, 0.1f, 0.4f, 0.1f, 0.1f, 0.0f}, 5));
        assertArrayEquals(new int[] {1, 0}, ManifestInference.topClasses(new float[] {0.2f, 0.8f}, 5));
        assertArrayEquals(new int[] {5}, ManifestInference.topClasses(new float[] {0, 0, 0, 0, 0, 1}, 1));
    }
}
