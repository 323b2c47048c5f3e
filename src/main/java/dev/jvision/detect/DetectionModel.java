package dev.jvision.detect;

import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.detect.Detector;
import dev.jvision.models.detect.DetectorOptions;
import dev.jvision.models.detect.Detectors;
import org.bytedeco.pytorch.Tensor;

/**
 * A {@link Detector} seen as the trainer's {@link ImageModel}, so that the task-generic engine
 * (optimiser groups, EMA, AMP, checkpoints, resume, data parallelism) trains it unchanged:
 * {@link #forward} is the detector's packed predictions {@code [B, A, 4 * regMax + C]} for a
 * float [B, 3, H, W] input in [0, 1] (no normalisation here: the detector normalises itself, so
 * the spec's mean is 0 and std 1), and {@code detector.head} plays the classifier's part in
 * parameter groups. Its parameters are the detector's under the prefix {@code detector.}.
 * It has no image classifier: {@link #resetClassifier} is unsupported.
 *
 * <p>Owns the detector (closed with it). Not thread-safe.
 */
public final class DetectionModel extends ImageModel {
    private final Detector detector;

    /** Wraps {@code detector}, which this model then owns. */
    public DetectionModel(Detector detector) {
        super(new ModelSpec(detector.name(), "detector", detector.inputSize(), new double[] {0, 0, 0},
                new double[] {1, 1, 1}, 1.0, "bilinear", null));
        this.detector = registerChild("detector", detector);
    }

    /** A fresh registered detector {@code name} ({@link Detectors}) of {@code numClasses} classes. */
    public static DetectionModel create(String name, int numClasses, int regMax) {
        return new DetectionModel(Detectors.create(name, new DetectorOptions(numClasses, regMax)));
    }

    /**
     * The detector of a run: {@code name} with {@code numClasses} classes and the weights of
     * {@code checkpoint}, on {@code device}, in evaluation mode. The caller owns (closes) it.
     */
    public static DetectionModel load(String name, int numClasses, int regMax, java.nio.file.Path checkpoint,
                                      dev.jvision.runtime.Device device) throws java.io.IOException {
        DetectionModel m = create(name, numClasses, regMax);
        try {
            dev.jvision.models.Weights.load(m, checkpoint, false);
            m.to(device);
            m.train(false);
            return m;
        } catch (java.io.IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The wrapped detector (owned by this model). */
    public Detector detector() {
        return detector;
    }

    @Override
    public int numClasses() {
        return detector.numClasses();
    }

    /** The detector's packed predictions (see the class comment). */
    @Override
    public Tensor forwardFeatures(Tensor x) {
        return detector.forward(x);
    }

    /** The identity: the packed predictions are the output. */
    @Override
    public Tensor forwardHead(Tensor features) {
        return features;
    }

    @Override
    public void resetClassifier(int numClasses) {
        throw new UnsupportedOperationException("detector " + detector.name() + ": no image classifier to reset "
                + "(expected: build a detector of the data's classes)");
    }

    @Override
    public String classifierName() {
        return "detector.head";
    }
}
