package dev.jvision.infer;

import dev.jvision.infer.onnx.OnnxInference;
import dev.jvision.infer.onnx.OnnxModel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The ONNX Runtime engine behind a {@link Classifier} built with
 * {@link ClassifierBuilder#onnx}: each batch of prepared images (uint8 HWC pixels at the
 * exported size) runs through the exported graph, whose {@code probabilities} output already
 * holds the calibration temperature and, for a fold ensemble, the average over folds. Owns the
 * model until {@link #close()}. Used by the batcher's worker thread only.
 */
final class OnnxServing implements DynamicBatcher.Engine<byte[][], Prediction> {
    private final OnnxModel model;
    private final int topK;
    private final List<String> names;
    private final boolean calibrated;

    OnnxServing(OnnxModel model, int topK, List<String> names) {
        this.model = model;
        this.topK = topK;
        this.names = List.copyOf(names);
        double t = model.temperature();
        this.calibrated = Double.isNaN(t) || t != 1.0;
    }

    /** The class names of {@code model}, or the ids as text when the export had none. */
    static List<String> names(OnnxModel model) {
        List<String> n = model.classNames();
        return n.isEmpty() ? IntStream.range(0, model.numClasses()).mapToObj(Integer::toString).toList() : n;
    }

    @Override
    public List<Prediction> run(List<byte[][]> batch) {
        List<byte[]> pixels = new ArrayList<>(batch.size());
        for (byte[][] b : batch) {
            pixels.add(b[0]);
        }
        float[][] probs = OnnxInference.run(model, pixels, false);
        List<Prediction> out = new ArrayList<>(probs.length);
        for (float[] p : probs) {
            List<Prediction.ClassScore> top = IntStream.range(0, p.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer c) -> -p[c]).thenComparingInt(c -> c)).limit(topK)
                    .map(c -> new Prediction.ClassScore(c, names.get(c), p[c])).toList();
            out.add(new Prediction(top, p, calibrated));
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
