package dev.jvision.train.task;

import dev.jvision.augment.Augmenter;
import dev.jvision.augment.BatchTransform;
import dev.jvision.config.AugmentConfig;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.Dataset;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Single-label image classification: one class index per item ({@link Dataset#label}), device
 * augmentation with Mixup/CutMix mixing the one-hot targets, soft-target cross-entropy or BCE
 * ({@code train.loss}) with label smoothing and class weights, logits as predictions, and
 * {@code val_loss}, {@code val_f1} (macro), {@code val_acc}, {@code val_top5} as metrics with
 * {@code train.monitor} as the monitor. Immutable and thread-safe; its sessions are not.
 */
public final class ClassificationTask implements Task {
    private final TrainConfig train;
    private final AugmentConfig augment;
    private final boolean channelsLast;

    /**
     * @param train        {@code train:}: loss, label smoothing, class weights, monitor
     * @param augment      {@code augment:}: the device augmentation and Mixup/CutMix
     * @param channelsLast {@code model.channels_last}: the memory format of the model's input
     */
    public ClassificationTask(TrainConfig train, AugmentConfig augment, boolean channelsLast) {
        this.train = Objects.requireNonNull(train, "train");
        this.augment = Objects.requireNonNull(augment, "augment");
        this.channelsLast = channelsLast;
    }

    /** The task an experiment's {@code train:}, {@code augment:} and {@code model:} sections configure. */
    public static ClassificationTask of(Experiment exp) {
        return new ClassificationTask(exp.train(), exp.augment(), exp.model().channelsLast());
    }

    @Override
    public String name() {
        return "classification";
    }

    @Override
    public Monitor monitor() {
        return new Monitor(train.checkpoint().monitor().toString(), train.checkpoint().monitor().minimised());
    }

    @Override
    public void check(ImageModel model, Dataset trainSet, Dataset validation) {
        int numClasses = model.numClasses();
        if (train.loss().classWeights() != null && train.loss().classWeights().size() != numClasses) {
            throw new IllegalArgumentException("train.class_weights: " + train.loss().classWeights().size()
                    + " values (expected: " + numClasses + ", the model's classes)");
        }
        checkLabels(trainSet, "training", numClasses);
        checkLabels(validation, "validation", numClasses);
    }

    private static void checkLabels(Dataset d, String what, int numClasses) {
        int[] labels = d.labels();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(what + " item " + d.id(i) + ": label " + labels[i] + " (expected: 0.."
                        + (numClasses - 1) + ", the model's classes)");
            }
        }
    }

    @Override
    public Session open(ImageModel model, Device device) {
        return new ClassificationSession(model, device);
    }

    /** Loss of logits against soft targets, as {@code train.loss} configures it. */
    private Tensor loss(Tensor logits, Tensor targets, Tensor classWeights) {
        return loss(train, logits, targets, classWeights);
    }

    private static Tensor loss(TrainConfig t, Tensor logits, Tensor targets, Tensor classWeights) {
        return switch (t.loss().kind()) {
            case BCE -> Losses.binaryCrossEntropy(logits, targets, t.loss().labelSmoothing(), classWeights);
            case CE -> Losses.softTargetCrossEntropy(logits, targets, t.loss().labelSmoothing(), classWeights);
        };
    }

    /**
     * The classification loss alone, as an {@link Objective} over soft targets {@code [N, C]}:
     * {@code train.loss} with label smoothing and {@code classWeights} ({@code [C]} on the device,
     * retained by the caller; null = equal). For steps without a task session (benchmarks, tests).
     */
    public static Objective objective(TrainConfig t, Tensor classWeights) {
        return (outputs, targets) -> loss(t, outputs.get(0), targets, classWeights);
    }

    /** The validation metrics of logits against the items' classes. */
    static Map<String, Double> scores(float[][] logits, int[] targets, int numClasses) {
        int[] pred = ClassificationMetrics.argmax(logits);
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_loss", ProbabilityMetrics.nllOfProbs(ProbabilityMetrics.softmax(logits, 1.0), targets));
        m.put("val_f1", ClassificationMetrics.macroF1(pred, targets, numClasses));
        m.put("val_acc", ClassificationMetrics.accuracy(pred, targets));
        m.put("val_top5", ClassificationMetrics.topKAccuracy(logits, targets, Math.min(5, numClasses)));
        return m;
    }

    private final class ClassificationSession implements Session {
        private final int numClasses;
        private final Device device;
        private final Augmenter augmenter;
        private final BatchTransform transform;
        private final Tensor classWeights;
        private boolean closed;

        ClassificationSession(ImageModel model, Device device) {
            this.numClasses = model.numClasses();
            this.device = device;
            double[] mean = model.spec().mean();
            double[] std = model.spec().std();
            BatchTransform tr = new BatchTransform(augment, mean, std, device, channelsLast);
            try {
                this.augmenter = new Augmenter(augment, numClasses, mean, std, device, channelsLast);
            } catch (RuntimeException e) {
                tr.close();
                throw e;
            }
            this.transform = tr;
            this.classWeights = classWeights(train.loss().classWeights(), device);
        }

        private static Tensor classWeights(List<Double> w, Device device) {
            if (w == null) {
                return null;
            }
            float[] f = new float[w.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = w.get(i).floatValue();
            }
            try (var step = Memory.step()) {
                return step.keep(Tensors.fromFloats(f, f.length).to(device.toNative(), torch.ScalarType.Float));
            }
        }

        @Override
        public Example train(Tensor images, Batch batch, Dataset data, int epoch, int epochs, long seed) {
            Tensor labels = Tensors.fromInts(batch.labels()).to(device.toNative(), torch.ScalarType.Long);
            // images augmented on the device; soft targets carry Mixup/CutMix weights
            Augmenter.Augmented a = augmenter.train(images, labels, epoch, epochs, seed, batch.ids());
            return new Example(a.images(), a.targets());
        }

        @Override
        public Tensor evalInput(Tensor images) {
            return transform.eval(images);
        }

        @Override
        public Tensor loss(List<Tensor> outputs, Tensor targets) {
            return ClassificationTask.this.loss(outputs.get(0), targets, classWeights);
        }

        @Override
        public float[][] predict(List<Tensor> outputs, int images) {
            float[] flat = Tensors.toFloats(outputs.get(0));
            float[][] rows = new float[images][];
            for (int i = 0; i < images; i++) {
                float[] r = new float[numClasses];
                System.arraycopy(flat, i * numClasses, r, 0, numClasses);
                rows[i] = r;
            }
            return rows;
        }

        @Override
        public Map<String, Double> score(float[][] predictions, Dataset validation) {
            return scores(predictions, validation.labels(), numClasses);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (classWeights != null && classWeights.referenceCount() > 0) {
                classWeights.releaseReference();
            }
            augmenter.close();
            transform.close();
        }
    }
}
