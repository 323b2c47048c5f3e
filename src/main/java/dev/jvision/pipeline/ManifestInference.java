package dev.jvision.pipeline;

import static dev.jvision.pipeline.RunSetup.f4;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.augment.Tta;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.DataException;
import dev.jvision.data.Manifest;
import dev.jvision.data.Sample;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.EnsemblePredictor;
import dev.jvision.infer.Submission;
import dev.jvision.infer.TemperatureScaling;
import dev.jvision.metrics.StreamingScores;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Device;
import dev.jvision.track.Progress;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inference in manifest mode ({@code data.train_manifest} set): predicts the rows of
 * {@code data.test_manifest} ({@code image_path[,label]}) with an ensemble and writes, atomically,
 *
 * <ul>
 *   <li>{@code predictions.csv}: {@code image_path[,label],prediction,probability,top5,top5_probabilities}
 *       in manifest order; classes are class names, the top-k lists (k = min(5, classes)) are
 *       joined by {@code |}, probabilities with 6 decimals;</li>
 *   <li>{@code predictions_info.json}: members, temperatures, TTA views, rows and, when the test
 *       manifest has labels, the test accuracy, macro-F1, top-5 accuracy, NLL and ECE of every
 *       TTA / calibration variant;</li>
 *   <li>optionally {@code probs.csv} and {@code low_confidence.csv}, as in the competition layout.</li>
 * </ul>
 *
 * <p>Memory does not grow with the test set: rows are predicted in chunks
 * ({@link EnsemblePredictor.Session}, every checkpoint kept loaded across chunks) whose
 * probability tables and decoded images take at most {@link #CHUNK_BYTES} (at least one batch);
 * each chunk's rows are written to temporary files that replace the outputs only when every row
 * is done (a failure or a kill leaves no partial {@code predictions.csv}), and the labelled
 * scores are accumulated per chunk ({@link StreamingScores}). The results are those of
 * predicting the whole table at once, bit for bit (chunks are whole batches). Without
 * {@code data.cache_dir} each chunk's images are decoded into memory and dropped after the
 * chunk; with it, the test images go through that disk cache first (reused by later runs).
 *
 * <p>Rows whose image does not decode follow {@code data.on_bad_image} (skip: left out with a
 * warning naming {@code file:line}; error: the run stops at the chunk that holds the first bad
 * image, without writing predictions). Stateless; not thread-safe (libtorch settings are
 * process-wide).
 */
public final class ManifestInference {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestInference.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The predictions table written into the output folder. */
    public static final String PREDICTIONS = "predictions.csv";
    /** The summary written beside it. */
    public static final String INFO = "predictions_info.json";
    /** The optional per-class probability table. */
    public static final String PROBS = "probs.csv";
    /** The optional list of rows below the confidence threshold. */
    public static final String LOW_CONFIDENCE = "low_confidence.csv";
    /** How many classes the predictions table lists per row (fewer when the model has fewer). */
    public static final int TOP = 5;
    /**
     * The memory bound of one chunk of rows: its probability tables (48 bytes per row and class:
     * a float64 accumulator of the four variants and their float32 tables) and, without a disk
     * cache, its decoded images ({@code 3 x size x size} bytes per row and image size).
     */
    public static final long CHUNK_BYTES = 256L << 20;

    private ManifestInference() {}

    /**
     * Predicts {@code data}'s test manifest with {@code members} and writes the files above into
     * {@code outDir}.
     *
     * @throws IllegalArgumentException when {@code data.test_manifest} is not set
     */
    static InferStage.Outcome infer(Experiment exp, CompetitionData data, Path outDir, List<EnsembleMember> members,
                                    InferStage.Options opts, Device device) throws IOException {
        return infer(exp, data, outDir, members, opts, device, 0);
    }

    /**
     * As {@link #infer(Experiment, CompetitionData, Path, List, InferStage.Options, Device)} with
     * chunks of {@code chunkRows} rows (rounded down to whole batches, at least one), or of the
     * size {@link #CHUNK_BYTES} allows when 0.
     */
    static InferStage.Outcome infer(Experiment exp, CompetitionData data, Path outDir, List<EnsembleMember> members,
                                    InferStage.Options opts, Device device, int chunkRows) throws IOException {
        Manifest test = data.testManifest().orElseThrow(() -> new IllegalArgumentException("data.test_manifest: not set "
                + "(expected: an image_path[,label] CSV of the images to predict, relative to data.root; image "
                + "manifests have no sample_submission.csv)"));
        if (test.samples().isEmpty()) {
            throw new IllegalArgumentException("data.test_manifest: " + test.csv() + " has no rows to predict (expected: "
                    + "image_path[,label] rows; rows with another split than 'test' are left out)");
        }
        double[] temps = new double[members.size()];
        for (int m = 0; m < members.size(); m++) {
            temps[m] = InferStage.temperatureOf(members.get(m), opts.useCalibration());
        }
        List<Tta.View> views = opts.tta() ? Tta.parse(exp.infer().ttaViews(), exp.infer().ttaNumAugments())
                : List.of(Tta.identity());
        int batch = exp.infer().batchSize();
        boolean calibrated = opts.useCalibration() && InferStage.anyNotOne(temps);
        boolean labelled = test.labelled();
        List<String> names = data.classNames();
        Path out = outDir.resolve(PREDICTIONS);
        for (String f : List.of(PREDICTIONS, PROBS, LOW_CONFIDENCE)) {
            for (Path stale : AtomicFiles.removeTemporaries(outDir.resolve(f))) {
                LOG.info("removed {}, left by an inference that was killed", stale);
            }
        }

        try (EnsemblePredictor.Session session = EnsemblePredictor.open(members, temps,
                new EnsemblePredictor.Settings(batch, exp.data().loader().prefetch(), views, exp.model().channelsLast()), device);
             ChunkedImages images = new ChunkedImages(exp, test.samples(), session.imageSizes())) {
            int numClasses = session.numClasses();
            int rowsPerChunk = chunkRows > 0 ? Math.max(1, chunkRows / batch) * batch
                    : chunkRows(numClasses, images.bytesPerRow(), batch);
            images.prepare(rowsPerChunk);
            LOG.info("predicting {} rows of {} in chunks of {} rows ({} MiB of probability tables{} per chunk)",
                    test.samples().size(), test.csv(), rowsPerChunk, (48L * numClasses * rowsPerChunk) >> 20,
                    images.bytesPerRow() > 0 ? " and " + ((images.bytesPerRow() * rowsPerChunk) >> 20)
                            + " MiB of decoded images" : "");

            // the variants scored with labels, as (tta, calibrated); the chosen one is among them
            List<boolean[]> scored = new ArrayList<>();
            for (boolean useTta : opts.tta() ? new boolean[] {false, true} : new boolean[] {false}) {
                for (boolean cal : InferStage.anyNotOne(temps) ? new boolean[] {false, true} : new boolean[] {false}) {
                    scored.add(new boolean[] {useTta, cal});
                }
            }
            List<StreamingScores> scores = new ArrayList<>();
            for (int v = 0; labelled && v < scored.size(); v++) {
                scores.add(new StreamingScores(numClasses, Math.min(TOP, numClasses), TemperatureScaling.ECE_BINS));
            }

            int rows = 0;
            int low = 0;
            long t0 = System.nanoTime();
            try (AtomicFiles.Pending predFile = AtomicFiles.open(out);
                 AtomicFiles.Pending probsFile = opts.saveProbs() ? AtomicFiles.open(outDir.resolve(PROBS)) : null;
                 AtomicFiles.Pending lowFile = opts.confidenceThreshold() > 0
                         ? AtomicFiles.open(outDir.resolve(LOW_CONFIDENCE)) : null;
                 Progress progress = Progress.start("predict " + test.csv().getFileName(), images.total())) {
                CSVPrinter pred = new CSVPrinter(predFile.writer(), CSVFormat.DEFAULT);
                CSVPrinter probs = probsFile == null ? null : new CSVPrinter(probsFile.writer(), CSVFormat.DEFAULT);
                CSVPrinter lowRows = lowFile == null ? null : new CSVPrinter(lowFile.writer(), CSVFormat.DEFAULT);
                printHeader(pred, labelled);
                if (probs != null) {
                    Submission.printProbabilityHeader(probs, numClasses);
                }
                if (lowRows != null) {
                    Submission.printLowConfidenceHeader(lowRows);
                }
                long shown = 0;
                for (List<Sample> chunk = images.next(); !chunk.isEmpty(); chunk = images.next()) {
                    EnsemblePredictor.Predictions p = session.predict(chunk, images::cache);
                    float[][] chosen = p.select(opts.tta(), calibrated);
                    for (int i = 0; i < chunk.size(); i++) {
                        printRow(pred, chunk.get(i), chosen[i], names, labelled);
                        if (probs != null) {
                            Submission.printProbabilityRow(probs, chunk.get(i).id(), chosen[i]);
                        }
                        if (lowRows != null && Submission.printLowConfidenceRow(lowRows, chunk.get(i).id(), chosen[i],
                                opts.confidenceThreshold())) {
                            low++;
                        }
                    }
                    for (int v = 0; v < scores.size(); v++) {
                        float[][] t = p.select(scored.get(v)[0], scored.get(v)[1]);
                        for (int i = 0; i < chunk.size(); i++) {
                            scores.get(v).add(t[i], chunk.get(i).label());
                        }
                    }
                    rows += chunk.size();
                    images.release();
                    double secs = (System.nanoTime() - t0) / 1e9;
                    progress.step(images.consumed() - shown, String.format(Locale.ROOT, "%.1f img/s",
                            rows / Math.max(secs, 1e-9)));
                    shown = images.consumed();
                }
                pred.flush();
                predFile.commit();
                if (probs != null) {
                    probs.flush();
                    probsFile.commit();
                }
                if (lowRows != null) {
                    lowRows.flush();
                    lowFile.commit();
                    LOG.info("{} of {} test images have a top probability below {} (listed in {})", low, rows,
                            opts.confidenceThreshold(), lowFile.target());
                }
            }
            if (images.skipped() > 0) {
                LOG.warn("test images: skipped {} rows whose image could not be loaded (data.on_bad_image: skip; the "
                        + "first {} are named above and in {})", images.skipped(), images.problems().size(), INFO);
            }

            List<InferStage.VariantScore> variants = new ArrayList<>();
            Map<String, Object> report = new LinkedHashMap<>();
            Optional<Double> f1 = Optional.empty();
            Optional<Double> acc = Optional.empty();
            if (labelled) {
                List<Map<String, Object>> vs = new ArrayList<>();
                InferStage.VariantScore chosen = null;
                for (int v = 0; v < scored.size(); v++) {
                    boolean useTta = scored.get(v)[0];
                    boolean cal = scored.get(v)[1];
                    String name = (useTta ? "TTA x" + views.size() : "no TTA") + (cal ? ", calibrated" : ", uncalibrated");
                    InferStage.VariantScore s = score(name, useTta, cal, scores.get(v));
                    variants.add(s);
                    vs.add(s.toJson(true));
                    LOG.info("test {}: accuracy {}, macro-F1 {}, top-5 accuracy {}, NLL {}, ECE {}", name,
                            f4(s.accuracy()), f4(s.macroF1()), f4(s.top5()), f4(s.nll()), f4(s.ece()));
                    if (useTta == opts.tta() && cal == calibrated) {
                        chosen = score("chosen", useTta, cal, scores.get(v));
                    }
                }
                f1 = Optional.of(chosen.macroF1());
                acc = Optional.of(chosen.accuracy());
                report.put("test_accuracy", chosen.accuracy());
                report.put("test_macro_f1", chosen.macroF1());
                report.put("test_top5_accuracy", chosen.top5());
                report.put("test_nll", chosen.nll());
                report.put("test_ece", chosen.ece());
                report.put("variants", vs);
                LOG.info("test set ({} labelled rows of {}): accuracy {}, macro-F1 {}, top-5 accuracy {}", rows,
                        test.csv(), f4(chosen.accuracy()), f4(chosen.macroF1()), f4(chosen.top5()));
            }
            Path infoFile = outDir.resolve(INFO);
            Map<String, Object> info = info(outDir, test, session.members(), views, opts, temps, calibrated, rows, low,
                    images.problems());
            info.putAll(report);
            AtomicFiles.writeText(infoFile, w -> JSON.writeValue(w, info));
            LOG.info("wrote {} ({} rows of {}, top-{} classes per row)", out, rows, test.csv(), Math.min(TOP, numClasses));
            return new InferStage.Outcome(out, infoFile, rows, f1, acc, List.copyOf(variants), low);
        }
    }

    /**
     * Rows per chunk: as many whole batches as fit in {@link #CHUNK_BYTES} at 48 bytes per class
     * and {@code imageBytes} per row, at least one batch.
     */
    static int chunkRows(int numClasses, long imageBytes, int batch) {
        long perRow = 48L * numClasses + imageBytes;
        long batches = Math.max(1, CHUNK_BYTES / perRow / batch);
        return (int) Math.min(batches * batch, (Integer.MAX_VALUE / batch) * (long) batch);
    }

    private static InferStage.VariantScore score(String name, boolean tta, boolean cal, StreamingScores s) {
        return new InferStage.VariantScore(name, tta, cal, s.macroF1(), s.accuracy(), s.nll(), s.ece(), s.topKAccuracy());
    }

    /**
     * Writes {@code image_path[,label],prediction,probability,top5,top5_probabilities} atomically
     * (the whole table at once: for small tables and tests).
     *
     * @param names class names by id (ids without a name are written as {@code class_<id>})
     */
    static void writePredictions(Path file, List<Sample> samples, float[][] probs, List<String> names, boolean labelled)
            throws IOException {
        if (probs.length != samples.size()) {
            throw new IllegalArgumentException("probabilities for " + probs.length + " samples (expected: "
                    + samples.size() + ", one row per sample)");
        }
        AtomicFiles.writeText(file, w -> {
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                printHeader(p, labelled);
                for (int i = 0; i < samples.size(); i++) {
                    printRow(p, samples.get(i), probs[i], names, labelled);
                }
            }
        });
    }

    private static void printHeader(CSVPrinter p, boolean labelled) throws IOException {
        List<String> header = new ArrayList<>(List.of("image_path"));
        if (labelled) header.add("label");
        header.addAll(List.of("prediction", "probability", "top" + TOP, "top" + TOP + "_probabilities"));
        p.printRecord(header);
    }

    private static void printRow(CSVPrinter p, Sample s, float[] probs, List<String> names, boolean labelled)
            throws IOException {
        int[] top = topClasses(probs, TOP);
        List<String> row = new ArrayList<>(6);
        row.add(s.id());
        if (labelled) row.add(name(names, s.label()));
        row.add(name(names, top[0]));
        row.add(prob(probs[top[0]]));
        StringBuilder cs = new StringBuilder();
        StringBuilder ps = new StringBuilder();
        for (int j = 0; j < top.length; j++) {
            cs.append(j == 0 ? "" : "|").append(name(names, top[j]));
            ps.append(j == 0 ? "" : "|").append(prob(probs[top[j]]));
        }
        row.add(cs.toString());
        row.add(ps.toString());
        p.printRecord(row);
    }

    /** The ids of the {@code min(k, classes)} largest entries, largest first (ties: lower id first). */
    static int[] topClasses(float[] p, int k) {
        int n = Math.min(k, p.length);
        int[] top = new int[n];
        int filled = 0;
        for (int c = 0; c < p.length; c++) {
            if (filled < n) {
                filled++;
            } else if (!(p[c] > p[top[n - 1]])) {
                continue;
            }
            int j = filled - 1;
            while (j > 0 && p[c] > p[top[j - 1]]) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = c;
        }
        return top;
    }

    private static String name(List<String> names, int c) {
        return c >= 0 && c < names.size() ? names.get(c) : "class_" + c;
    }

    private static String prob(float v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static Map<String, Object> info(Path outDir, Manifest test, List<EnsemblePredictor.MemberReport> members,
                                            List<Tta.View> views, InferStage.Options opts, double[] temps,
                                            boolean calibrated, int rows, int low, List<String> problems) {
        Map<String, Object> info = SubmissionReport.header(outDir);
        info.put("test_manifest", test.csv().toAbsolutePath().toString());
        info.put("rows", rows);
        info.put("skipped_rows", test.samples().size() - rows + test.skipped().size());
        List<String> examples = new ArrayList<>(test.skipped());
        examples.addAll(problems);
        if (!examples.isEmpty()) {
            info.put("skipped_examples", examples.subList(0, Math.min(DataException.MAX_LISTED, examples.size())));
        }
        List<Map<String, Object>> ms = new ArrayList<>();
        for (EnsemblePredictor.MemberReport r : members) {
            Map<String, Object> e = SubmissionReport.memberHead(r);
            e.put("normalised_weight", r.normalisedWeight());
            e.put("temperature", r.temperature());
            e.put("checkpoints", r.member().checkpoints().stream().map(Path::toString).toList());
            ms.add(e);
        }
        info.put("members", ms);
        SubmissionReport.putTtaCalibration(info, views, opts, temps, calibrated);
        SubmissionReport.putLowConfidence(info, opts, low);
        return info;
    }
}
