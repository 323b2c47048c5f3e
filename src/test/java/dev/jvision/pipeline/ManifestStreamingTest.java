package dev.jvision.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.augment.Tta;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.DataException;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Manifest;
import dev.jvision.data.Sample;
import dev.jvision.data.demo.ScaleData;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.EnsemblePredictor;
import dev.jvision.infer.Submission;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifest-mode inference in chunks of rows: the files and scores equal those of predicting the
 * whole table at once (the non-streaming path: {@link EnsemblePredictor#predict} and the
 * whole-table writers and metric functions), bad rows are skipped with {@code file:line}, and a
 * failure midway leaves no predictions.
 */
class ManifestStreamingTest {
    private static final int CLASSES = 7;
    /** Manifest line of the row whose image is not an image (line 1 is the header). */
    private static final int BAD_LINE = 11;

    @TempDir
    static Path tmp;

    static Path data;
    static List<EnsembleMember> members;

    @BeforeAll
    static void generate() throws IOException {
        data = tmp.resolve("data");
        ScaleData.generate(data, 30, 23, CLASSES, 40, 7, 2);
        // the 23 validation rows as a labelled test manifest, with a corrupt image at BAD_LINE
        List<String> rows = new ArrayList<>(Files.readAllLines(data.resolve("val.csv")));
        String label = rows.get(1).substring(rows.get(1).indexOf(',') + 1);
        rows.add(BAD_LINE - 1, "images/bad.jpg," + label);
        Files.write(data.resolve("test.csv"), rows);
        Files.write(data.resolve("images/bad.jpg"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        List<String> names = Files.readAllLines(data.resolve("classes.txt"));
        // two members, three checkpoints at two image sizes, fixed temperatures
        Path a1 = checkpoint(tmp.resolve("a/fold0"), 1, 32, names);
        Path a2 = checkpoint(tmp.resolve("a/fold1"), 2, 32, names);
        Path b = checkpoint(tmp.resolve("b/fold0"), 3, 40, names);
        members = List.of(new EnsembleMember("a", List.of(a1, a2), 2.0, null, Optional.of(1.5)),
                new EnsembleMember("b", List.of(b), 1.0, null, Optional.of(0.7)));
    }

    /** A seeded resnet18 with a confident head, saved with its sidecar as training would. */
    private static Path checkpoint(Path dir, long seed, int size, List<String> names) throws IOException {
        NativeRuntime.init();
        TorchSettings.setThreads(2);
        TorchSettings.seed(seed);
        Path file = Files.createDirectories(dir).resolve("best.safetensors");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(CLASSES));
             NoGradGuard ng = new NoGradGuard()) {
            m.stateDict().get(m.classifierName() + ".weight").mul_(new Scalar(10.0));
            Weights.save(m, file, Map.of("format", "test"));
            ModelSpec s = m.spec();
            new CheckpointInfo("resnet18", CLASSES, size, s.mean(), s.std(), 0, 1, 0.5, 0.5, 1.0, names,
                    "2025-01-01T00:00:00Z").write(CheckpointInfo.sidecarOf(file));
        }
        return file;
    }

    private static Experiment exp(String... overrides) {
        String yaml = """
                experiment: {name: stream, seed: 5, output_dir: '%s', threads: 2}
                data: {root: '%s', train_manifest: train.csv, val_manifest: val.csv, class_file: classes.txt,
                       test_manifest: test.csv, img_size: 32, on_bad_image: skip}
                model: {name: resnet18, num_classes: %d}
                infer: {batch_size: 2, tta: true, tta_views: [identity, hflip, rot90, scale1.25]}
                """.formatted(tmp.resolve("runs"), data, CLASSES);
        return Configs.fromYaml(yaml, "stream.yaml", List.of(overrides));
    }

    private static final InferStage.Options OPTS = new InferStage.Options(true, true, true, 0.35);

    private static InferStage.Outcome infer(Experiment exp, Path out, int chunkRows) throws IOException {
        Device device = RunSetup.apply(exp);
        CompetitionData d = CompetitionData.open(exp.data(), exp.experiment().seed());
        return ManifestInference.infer(exp, d, out, members, OPTS, device, chunkRows);
    }

    @Test
    void chunksOfFourRows_writeTheFilesAndScoresOfTheWholeTable() throws IOException {
        Experiment exp = exp();
        Path streamed = tmp.resolve("streamed");
        InferStage.Outcome o = infer(exp, streamed, 4); // 23 good rows: 5 chunks of 4, then 3; two batches each

        // the non-streaming path: every row at once, one checkpoint loaded at a time
        Device device = RunSetup.apply(exp);
        Manifest test = CompetitionData.open(exp.data(), 5).testManifest().orElseThrow();
        List<Sample> good = test.samples().stream().filter(s -> s.line() != BAD_LINE).toList();
        assertEquals(23, good.size());
        Map<Integer, ImageCache> caches = new HashMap<>();
        EnsemblePredictor.Predictions p = EnsemblePredictor.predict(members, new double[] {1.5, 0.7}, good,
                s -> caches.computeIfAbsent(s, size -> new ImageCache(size, null)),
                new EnsemblePredictor.Settings(2, 2, Tta.parse(exp.infer().ttaViews(), 0), false), device);
        Path whole = Files.createDirectories(tmp.resolve("whole"));
        float[][] chosen = p.select(true, true);
        List<String> names = Files.readAllLines(data.resolve("classes.txt"));
        ManifestInference.writePredictions(whole.resolve("predictions.csv"), good, chosen, names, true);
        Submission.writeProbabilities(whole.resolve("probs.csv"), good, chosen);
        int low = Submission.writeLowConfidence(whole.resolve("low_confidence.csv"), good, chosen, 0.35);
        assertTrue(low > 0 && low < good.size(), "the threshold splits the rows: " + low);
        for (String f : List.of("predictions.csv", "probs.csv", "low_confidence.csv")) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(streamed.resolve(f)), f);
        }
        assertEquals(24, Files.readAllLines(streamed.resolve("predictions.csv")).size(), "header + 23 rows");
        assertEquals(low, o.lowConfidence());
        assertEquals(23, o.rows());

        // scores of each variant: the whole-table metric functions on the whole table
        JsonNode info = new ObjectMapper().readTree(streamed.resolve(ManifestInference.INFO).toFile());
        int[] targets = good.stream().mapToInt(Sample::label).toArray();
        List<Integer> rows = java.util.stream.IntStream.range(0, good.size()).boxed().toList();
        JsonNode vs = info.get("variants");
        assertEquals(4, vs.size());
        for (JsonNode v : vs) {
            boolean tta = v.get("tta").asBoolean();
            boolean cal = v.get("calibrated").asBoolean();
            InferStage.VariantScore ref = InferStage.score("ref", tta, cal, p.select(tta, cal), rows, targets, CLASSES);
            assertEquals(ref.accuracy(), v.get("accuracy").asDouble(), 0.0, v.toString());
            assertEquals(ref.macroF1(), v.get("macro_f1").asDouble(), 0.0, v.toString());
            assertEquals(ref.top5(), v.get("top5_accuracy").asDouble(), 0.0, v.toString());
            assertEquals(ref.nll(), v.get("nll").asDouble(), 1e-12, v.toString());
            assertEquals(ref.ece(), v.get("ece").asDouble(), 1e-12, v.toString());
        }
        InferStage.VariantScore chosenRef = InferStage.score("chosen", true, true, chosen, rows, targets, CLASSES);
        assertEquals(chosenRef.macroF1(), info.get("test_macro_f1").asDouble(), 0.0);
        assertEquals(chosenRef.accuracy(), o.testAcc().orElseThrow(), 0.0);
        assertEquals(chosenRef.nll(), info.get("test_nll").asDouble(), 1e-12);
        assertTrue(chosenRef.top5() < 1 && chosenRef.top5() > chosenRef.accuracy(), "top-5 is a real ranking here");

        // chunks from the memory bound (one chunk here) give the same bytes
        Path auto = tmp.resolve("auto");
        infer(exp, auto, 0);
        for (String f : List.of("predictions.csv", "probs.csv", "low_confidence.csv")) {
            assertArrayEquals(Files.readAllBytes(streamed.resolve(f)), Files.readAllBytes(auto.resolve(f)), f);
        }
    }

    @Test
    void badImage_skip_leftOutAndNamedWithFileAndLine() throws IOException {
        Path out = tmp.resolve("skip");
        InferStage.Outcome o = infer(exp(), out, 2);
        List<String> pred = Files.readAllLines(out.resolve("predictions.csv"));
        assertEquals(24, pred.size());
        assertTrue(pred.stream().noneMatch(l -> l.startsWith("images/bad.jpg")));
        JsonNode info = new ObjectMapper().readTree(out.resolve(ManifestInference.INFO).toFile());
        assertEquals(1, info.get("skipped_rows").asInt());
        String problem = info.get("skipped_examples").get(0).asText();
        assertTrue(problem.startsWith("test.csv:" + BAD_LINE + " ID 'images/bad.jpg': "), problem);
        assertEquals(23, o.rows());

        // with data.cache_dir the images go through the disk cache first: the same rows, files and report
        Path disk = tmp.resolve("skip-disk");
        infer(exp("data.cache_dir=" + tmp.resolve("cache")), disk, 2);
        for (String f : List.of("predictions.csv", "probs.csv", "low_confidence.csv")) {
            assertArrayEquals(Files.readAllBytes(out.resolve(f)), Files.readAllBytes(disk.resolve(f)), f);
        }
        JsonNode diskInfo = new ObjectMapper().readTree(disk.resolve(ManifestInference.INFO).toFile());
        assertEquals(info.get("skipped_examples"), diskInfo.get("skipped_examples"));
        assertTrue(Files.list(tmp.resolve("cache")).findAny().isPresent(), "the disk cache was used");
    }

    @Test
    void failureMidway_leavesThePreviousPredictions_andNoTemporaryFile() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("fail"));
        Files.writeString(out.resolve("predictions.csv"), "old\n");
        // on_bad_image: error stops at the third chunk (rows 9-12 hold the bad image), after two chunks were written
        var e = assertThrows(DataException.class, () -> infer(exp("data.on_bad_image=error"), out, 4));
        assertTrue(e.getMessage().contains("test.csv:" + BAD_LINE + " ID 'images/bad.jpg'"), e.getMessage());
        assertEquals("old\n", Files.readString(out.resolve("predictions.csv")), "no partial predictions.csv");
        assertFalse(Files.exists(out.resolve("probs.csv")));
        assertFalse(Files.exists(out.resolve(ManifestInference.INFO)));
        assertEquals(List.of("predictions.csv"), files(out), "no temporary files left");

        // a run killed outright leaves its temporary file: the next run removes it
        Files.writeString(out.resolve(".predictions.csv.12345.tmp"), "image_path,label\n");
        infer(exp(), out, 4);
        assertEquals(List.of("low_confidence.csv", "predictions.csv", ManifestInference.INFO, "probs.csv"), files(out));
        assertEquals(24, Files.readAllLines(out.resolve("predictions.csv")).size());
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void chunkRows_wholeBatchesWithinTheBound_atLeastOneBatch() {
        // 4,523 classes: 48 x 4523 = 217 KB per row -> 1236 rows in 256 MiB -> 19 batches of 64
        assertEquals(1216, ManifestInference.chunkRows(4523, 0, 64));
        // with 224 px images in memory: 367 KB per row -> 730 rows -> 11 batches
        assertEquals(704, ManifestInference.chunkRows(4523, 3L * 224 * 224, 64));
        // a row larger than the bound still makes one batch
        assertEquals(64, ManifestInference.chunkRows(10_000_000, 0, 64));
    }
}
