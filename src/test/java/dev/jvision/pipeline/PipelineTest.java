package dev.jvision.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.infer.SubmissionValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
                "fold1/best.safetensors", "submission.csv", "submission_info.json")) {
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
        Path a = Pipeline.train(exp).runDir();
        Path b = Pipeline.train(exp).runDir();
        assertEquals(scores(a), scores(b));
        assertArrayEquals(Files.readAllBytes(a.resolve("fold0/best.safetensors")),
                Files.readAllBytes(b.resolve("fold0/best.safetensors")));
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
