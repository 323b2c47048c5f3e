package dev.jvision.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.track.OofLogits;
import dev.jvision.infer.SubmissionValidator;
import dev.jvision.infer.TemperatureScaling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole flow on tiny demo data: K-fold training, fold ensemble, validated submission. */
class PipelineTest {
    @TempDir
    Path tmp;

    private Experiment tiny(String name) {
        String yaml = """
                experiment: {name: %s, seed: 7, output_dir: '%s', threads: 2}
                data: {root: '%s', generate_demo: true, demo_train: 51, demo_test: 17, img_size: 32}
                model: {name: resnet18, num_classes: 17}
                train: {epochs: 2, batch_size: 8, n_folds: 2, lr: 1.0e-3}
                infer: {batch_size: 16}
                """.formatted(name, tmp.resolve("runs"), tmp.resolve("data"));
        return Configs.fromYaml(yaml, "tiny.yaml", List.of());
    }

    @Test
    void run_tinyDemo_writesValidatedSubmissionAndRunFolder() throws IOException {
        Pipeline.Outcome o = Pipeline.run(tiny("e2e"));
        Path run = o.train().runDir();
        assertEquals(2, o.train().cv().folds().size());
        for (String f : List.of("config.yaml", "metrics.csv", "run.log", "fold0/best.safetensors", "fold0/best.json",
                "fold1/best.safetensors", "oof_logits.csv", "calibration.json", "submission.csv", "submission_info.json",
                "report.html", "plots/confusion.png")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " missing in " + run);
        }
        assertEquals(17, o.infer().rows());
        assertTrue(o.infer().testF1().isPresent(), "demo data has test labels: F1 expected");
        assertEquals(List.of(), SubmissionValidator.validate(run.resolve("submission.csv"),
                tmp.resolve("data/sample_submission.csv"), 17));
        // header + 2 folds x 2 epochs
        assertEquals(5, Files.readAllLines(run.resolve("metrics.csv")).size());
        Experiment back = Configs.load(run.resolve("config.yaml"), List.of());
        assertEquals(tiny("e2e"), back);
    }

    @Test
    void train_sameSeedTwice_identicalMetricsAndWeights() throws IOException {
        Experiment exp = Configs.fromYaml(Configs.toYaml(tiny("repro")), "repro.yaml", List.of("train.folds=[0]"));
        Path a = TrainStage.train(exp).runDir();
        Path b = TrainStage.train(exp).runDir();
        assertEquals(scores(a), scores(b));
        assertArrayEquals(Files.readAllBytes(a.resolve("fold0/best.safetensors")),
                Files.readAllBytes(b.resolve("fold0/best.safetensors")));
    }

    @Test
    void run_withTtaAndCalibration_writesEverything_thenResumesWithoutTraining() throws IOException {
        Experiment exp = Configs.fromYaml(Configs.toYaml(tiny("full")), "full.yaml",
                List.of("train.epochs=1", "infer.tta_views=[identity, hflip, rot90, scale1.25]", "infer.tta_num_augments=3"));
        InferStage.Options inf = new InferStage.Options(true, true, true, 0.5);
        Pipeline.Outcome o = Pipeline.run(exp, new Pipeline.Options(inf, null));
        Path run = o.train().runDir();
        for (String f : List.of("oof_logits.csv", "calibration.json", "submission.csv", "submission_info.json", "probs.csv",
                "low_confidence.csv")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " missing in " + run);
        }
        assertEquals(52, Files.readAllLines(run.resolve("oof_logits.csv")).size(), "header + 51 out-of-fold rows");
        TemperatureScaling.Fit fit = o.calibration().orElseThrow();
        assertTrue(fit.temperature() > 0 && fit.nllAfter() <= fit.nllBefore(), fit.toString());
        assertEquals(List.of("no TTA, uncalibrated", "no TTA, calibrated", "TTA x3, uncalibrated", "TTA x3, calibrated"),
                o.infer().variants().stream().map(InferStage.VariantScore::name).toList());
        assertEquals(o.infer().variants().get(3).macroF1(), o.infer().testF1().orElseThrow(), 1e-12);
        assertEquals(List.of(), SubmissionValidator.validate(run.resolve("submission.csv"),
                tmp.resolve("data/sample_submission.csv"), 17));
        String info = Files.readString(run.resolve("submission_info.json"));
        assertTrue(info.contains("\"identity\", \"hflip\", \"rot90\" ]") && info.contains("\"applied\" : true")
                && info.contains("\"val_f1\""), info);
        assertTrue(info.contains("\"test_top5_accuracy\"") && info.contains("\"top5_accuracy\""), info);
        for (InferStage.VariantScore v : o.infer().variants()) {
            assertTrue(v.top5() >= v.accuracy() && v.top5() <= 1.0, v.toString());
        }
        assertTrue(o.train().cv().oofTop5() >= o.train().cv().oofAcc(), o.train().cv().toString());
        // every test ID with a top probability below 0.5 is listed (an untrained model: all of them)
        assertEquals(o.infer().lowConfidence() + 1, Files.readAllLines(run.resolve("low_confidence.csv")).size());
        assertTrue(o.infer().lowConfidence() > 0);

        byte[] calibration = Files.readAllBytes(run.resolve("calibration.json"));
        byte[] submission = Files.readAllBytes(run.resolve("submission.csv"));
        List<String> metrics = Files.readAllLines(run.resolve("metrics.csv"));
        Pipeline.Outcome again = Pipeline.run(exp, new Pipeline.Options(inf, run));
        assertEquals(run, again.train().runDir());
        assertEquals(metrics, Files.readAllLines(run.resolve("metrics.csv")), "resume must not train");
        assertArrayEquals(calibration, Files.readAllBytes(run.resolve("calibration.json")), "calibration.json reused");
        assertArrayEquals(submission, Files.readAllBytes(run.resolve("submission.csv")));
        assertEquals(o.train().cv().oofF1(), again.train().cv().oofF1(), 1e-9);

        // a run from before oof_logits.csv: the out-of-fold logits are recomputed from the fold checkpoints
        OofLogits written = OofLogits.read(run.resolve(OofLogits.FILE));
        Files.delete(run.resolve(OofLogits.FILE));
        Files.delete(run.resolve(TemperatureScaling.FILE));
        Pipeline.run(exp, new Pipeline.Options(inf, run));
        OofLogits recomputed = OofLogits.read(run.resolve(OofLogits.FILE));
        assertEquals(written.ids(), recomputed.ids());
        assertArrayEquals(written.targets(), recomputed.targets());
        for (int i = 0; i < written.size(); i++) {
            assertArrayEquals(written.logits()[i], recomputed.logits()[i], 1e-3f, written.ids().get(i));
        }
        assertTrue(Files.isRegularFile(run.resolve(TemperatureScaling.FILE)));

        // a weighted two-member ensemble is the weighted mean of the members' probabilities
        InferStage.Options plain = new InferStage.Options(false, false, true, 0);
        Path fold0 = run.resolve("fold0/best.safetensors");
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        Path ab = Files.createDirectories(tmp.resolve("ab"));
        InferStage.infer(exp, a, List.of(EnsembleMember.ofRun(run, 1)), plain);
        InferStage.infer(exp, b, EnsembleMember.ofCheckpoints(List.of(fold0)), plain);
        InferStage.infer(exp, ab, List.of(EnsembleMember.ofRun(run, 3),
                new EnsembleMember("fold0", List.of(fold0), 1, null, Optional.empty())), plain);
        float[][] pa = probs(a);
        float[][] pb = probs(b);
        float[][] pab = probs(ab);
        for (int i = 0; i < pa.length; i++) {
            for (int c = 0; c < pa[i].length; c++) {
                assertEquals(0.75 * pa[i][c] + 0.25 * pb[i][c], pab[i][c], 2e-6);
            }
        }
    }

    @Test
    void resume_missingFoldsNamesThem() throws IOException {
        Path run = Files.createDirectories(tmp.resolve("partial/fold0"));
        var e = assertThrows(IllegalArgumentException.class, () -> TrainStage.resume(tiny("r"), run.getParent()));
        assertTrue(e.getMessage().contains("folds [0, 1]") && e.getMessage().contains("partial"), e.getMessage());
    }

    private static float[][] probs(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("probs.csv"));
        List<float[]> rows = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split(",");
            float[] r = new float[c.length - 1];
            for (int k = 1; k < c.length; k++) {
                r[k - 1] = Float.parseFloat(c[k]);
            }
            rows.add(r);
        }
        return rows.toArray(new float[0][]);
    }

    /** metrics.csv without the timing columns. */
    private static List<String> scores(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.csv")).stream()
                .map(l -> {
                    String[] c = l.split(",");
                    return String.join(",", List.of(c).subList(0, 7));
                }).toList();
    }
}
