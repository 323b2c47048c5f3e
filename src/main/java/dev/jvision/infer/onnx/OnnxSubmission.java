package dev.jvision.infer.onnx;

import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.DataException;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.infer.Submission;
import dev.jvision.infer.SubmissionValidator;
import dev.jvision.train.RunContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jvision infer --onnx MODEL.onnx -c CONFIG}: predicts the configured test set (in
 * sample_submission order) with an exported classifier and writes the files the libtorch path
 * ({@code pipeline.InferStage}) writes for the same run: {@code submission.csv} (same columns and
 * order, atomic), optionally {@code probs.csv}, {@code submission_info.json}, and validates the
 * submission against the sample submission. Images come through the same {@link ImageCache} at
 * the graph's input size, so the probabilities equal libtorch's up to float rounding.
 *
 * <p>Probabilities: a single-model export's softmax of its {@code logits} (its
 * {@code probabilities} output, with the exported temperature, when {@code useCalibration}); an
 * ensemble export's {@code probabilities} output, whose temperature is fixed in the graph (an
 * ensemble exported with a temperature other than 1 is refused without {@code useCalibration},
 * rather than written calibrated silently). No TTA (the graph has one view). Stateless and
 * thread-safe.
 */
public final class OnnxSubmission {
    private OnnxSubmission() {}

    /** What was written: the submission, its info file, the rows, which output the probabilities came from. */
    public record Result(Path submission, Path info, int rows, String output) {}

    /**
     * Predicts {@code exp}'s test set with {@code model} and writes into {@code outDir}.
     *
     * @throws IllegalArgumentException for manifest-mode data, or an ensemble calibrated in the
     *         graph without {@code useCalibration}
     * @throws DataException when test images cannot be decoded (a submission lists every test ID)
     */
    public static Result write(Experiment exp, OnnxModel model, Path outDir, boolean useCalibration, boolean saveProbs)
            throws IOException {
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        if (data.manifestMode()) {
            throw new IllegalArgumentException("infer --onnx: data.train_manifest is set (expected: a competition layout "
                    + "with a sample submission; for image folders use --images DIR --save-logits OUT.csv)");
        }
        boolean single = model.metadata().getOrDefault("jvision.outputs", "logits,probabilities").contains("logits");
        if (!single && !useCalibration && calibrated(model)) {
            throw new IllegalArgumentException("infer --onnx " + model.file() + ": an ensemble exported with temperature "
                    + model.metadata().get("jvision.temperature") + " (expected: --use-calibration, or export with "
                    + "--temperature 1 for uncalibrated probabilities)");
        }
        boolean fromLogits = single && !useCalibration;
        List<Sample> samples = data.test().samples();
        float[][] probs = new float[samples.size()][];
        int batch = exp.infer().batchSize();
        try (ImageCache cache = RunContext.cache(exp, model.imgSize(), samples.size())) {
            List<String> failed = cache.preload(samples, "decode test");
            if (!failed.isEmpty()) {
                throw new DataException("test images: " + failed.size() + " could not be loaded", failed);
            }
            for (int from = 0; from < samples.size(); from += batch) {
                List<byte[]> px = new ArrayList<>();
                for (Sample s : samples.subList(from, Math.min(samples.size(), from + batch))) {
                    px.add(cache.get(s));
                }
                float[][] out = OnnxInference.run(model, px, fromLogits);
                for (int i = 0; i < out.length; i++) {
                    probs[from + i] = fromLogits ? softmax(out[i]) : out[i];
                }
            }
        }
        Path sub = outDir.resolve("submission.csv");
        Submission.writeSubmission(sub, samples, probs);
        if (saveProbs) {
            Submission.writeProbabilities(outDir.resolve("probs.csv"), samples, probs);
        }
        Path sample = data.root().resolve(exp.data().layout().sampleSubmission());
        List<String> problems = SubmissionValidator.validate(sub, sample, model.numClasses());
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the written submission failed validation: " + String.join("; ", problems));
        }
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("engine", "onnxruntime");
        info.put("onnx", model.file().toString());
        info.put("model", model.metadata().get("jvision.model"));
        info.put("img_size", model.imgSize());
        info.put("output", fromLogits ? "softmax(logits)" : "probabilities");
        info.put("temperature", fromLogits ? 1.0 : model.metadata().get("jvision.temperature"));
        info.put("tta", false);
        info.put("rows", samples.size());
        info.put("sample_submission", sample.toString());
        Path infoFile = outDir.resolve("submission_info.json");
        Submission.writeInfo(infoFile, info);
        return new Result(sub, infoFile, samples.size(), fromLogits ? "logits" : "probabilities");
    }

    /** Whether any member's temperature in the file's metadata differs from 1. */
    static boolean calibrated(OnnxModel model) {
        String t = model.metadata().getOrDefault("jvision.temperature", "1");
        try {
            double[] ts = t.startsWith("[") ? new com.fasterxml.jackson.databind.ObjectMapper().readValue(t, double[].class)
                    : new double[] {Double.parseDouble(t)};
            for (double v : ts) {
                if (v != 1.0) {
                    return true;
                }
            }
            return false;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalArgumentException(model.file() + ": metadata jvision.temperature: " + t
                    + " (expected: a number or a JSON array of numbers)", e);
        }
    }

    /** Softmax in float64 (as the libtorch path accumulates), rounded to float32. */
    static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = Math.exp(logits[i] - max);
            sum += e[i];
        }
        float[] p = new float[e.length];
        for (int i = 0; i < e.length; i++) {
            p[i] = (float) (e[i] / sum);
        }
        return p;
    }
}
