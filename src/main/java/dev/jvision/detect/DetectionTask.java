package dev.jvision.detect;

import dev.jvision.augment.detect.BoxAugmenter;
import dev.jvision.config.DetectConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.Dataset;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.metrics.detection.CocoEvalResult;
import dev.jvision.metrics.detection.CocoEvaluator;
import dev.jvision.models.ImageModel;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.models.detect.DetectionLoss;
import dev.jvision.models.detect.Detections;
import dev.jvision.models.detect.Detector;
import dev.jvision.models.detect.DetectorOutput;
import dev.jvision.nn.Layer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.runtime.Tensors;
import dev.jvision.train.task.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Object detection as a trainer {@link Task}: the model is a {@link DetectionModel}, the data
 * {@link DetectionImages} (letterboxed squares with boxes). A training batch goes through the
 * {@link BoxAugmenter} (mosaic, switched off for the last {@code detect.close_mosaic} epochs; zoom,
 * shift, flip; HSV) and its targets are packed rows {@code [image index, class, x1, y1, x2,
 * y2]} (float [N, 6], pixels of the square input); the loss is the detector's
 * {@link DetectionLoss} (task-aligned assignment, Varifocal + CIoU + DFL). Validation decodes with
 * NMS at {@code detect.val_conf} / {@code detect.iou}, keeping {@code detect.val_max_det} boxes,
 * and scores with the COCO evaluator in original image pixels: {@code val_map50},
 * {@code val_map50_95} (the monitor, higher is better) and {@code val_map75}.
 *
 * <p>A prediction row ({@link Task.Session#predict}) has a fixed length, {@code 1 + 6 *
 * val_max_det}: the number of boxes {@code n}, then {@code n} rows {@code [x1, y1, x2, y2, score,
 * class]} in square pixels, zero padding after them (fixed so that the engine's resumable
 * checkpoint stores the best epoch's rows as one matrix).
 *
 * <p>Immutable and thread-safe; its sessions are not.
 */
public final class DetectionTask implements Task {
    /** The monitored metric. */
    public static final String MONITOR = "val_map50_95";
    private final DetectConfig config;
    private final ProcessGroup group;

    /** A task with the {@code detect:} section's settings. */
    public DetectionTask(DetectConfig config) {
        this(config, null);
    }

    /**
     * A task for one rank of a data-parallel fit on {@code group} (null: one process): the loss of
     * each rank's batch is divided by the global batch's target-score sum over the number of ranks,
     * so that the averaged gradients are the gradients of one process training the whole batch
     * (one scalar all-reduce per step). The group is the caller's; it must be the trainer's.
     */
    public DetectionTask(DetectConfig config, ProcessGroup group) {
        this.config = Objects.requireNonNull(config, "config");
        this.group = group;
    }

    @Override
    public String name() {
        return "detection";
    }

    @Override
    public Monitor monitor() {
        return new Monitor(MONITOR, false);
    }

    @Override
    public void check(ImageModel model, Dataset train, Dataset validation) {
        if (!(model instanceof DetectionModel m)) {
            throw new IllegalArgumentException("model " + model.spec().name() + ": not a detector (expected: a "
                    + "DetectionModel, e.g. model.name: det_tiny with task: detection)");
        }
        checkData(train, "training", m);
        checkData(validation, "validation", m);
    }

    private static void checkData(Dataset d, String what, DetectionModel m) {
        if (!(d instanceof DetectionImages di)) {
            throw new IllegalArgumentException(what + " data: " + d.getClass().getSimpleName()
                    + " (expected: DetectionImages, images with boxes)");
        }
        if (di.numClasses() != m.numClasses()) {
            throw new IllegalArgumentException("model.num_classes: " + m.numClasses() + " (expected: "
                    + di.numClasses() + ", the classes of the " + what + " data)");
        }
        int stride = m.detector().maxStride();
        if (di.imageSize() % stride != 0) {
            throw new IllegalArgumentException("data.img_size: " + di.imageSize() + " (expected: a multiple of "
                    + stride + " for the detector)");
        }
    }

    @Override
    public Session open(ImageModel model, Device device) {
        return new DetectionSession(((DetectionModel) model).detector());
    }

    /**
     * Validation decoding: {@code val_conf}, {@code iou}, {@code val_max_det} boxes, and the
     * {@code 4 * val_max_det} best-scored anchors entering NMS (not thousands: early in training
     * nearly every anchor passes {@code val_conf} and NMS cost grows with the square of the
     * candidates).
     */
    public static DetectionDecoder.Options validationDecoding(DetectConfig c) {
        return new DetectionDecoder.Options(c.valConf(), c.iou(), c.valMaxDet(), 4 * c.valMaxDet(), false);
    }

    /** The length of a prediction row. */
    public int rowLength() {
        return 1 + 6 * config.valMaxDet();
    }

    /** The prediction rows of decoded detections (see the class comment). */
    static float[][] rows(Detections d, int maxDet) {
        List<List<Detections.Box>> lists = d.toLists();
        float[][] out = new float[lists.size()][1 + 6 * maxDet];
        for (int i = 0; i < lists.size(); i++) {
            List<Detections.Box> boxes = lists.get(i);
            int n = Math.min(maxDet, boxes.size());
            float[] r = out[i];
            r[0] = n;
            for (int k = 0; k < n; k++) {
                Detections.Box b = boxes.get(k);
                int o = 1 + 6 * k;
                r[o] = b.x1();
                r[o + 1] = b.y1();
                r[o + 2] = b.x2();
                r[o + 3] = b.y2();
                r[o + 4] = b.score();
                r[o + 5] = b.classId();
            }
        }
        return out;
    }

    /** The COCO scores of prediction rows against {@code data}'s ground truth. */
    static CocoEvalResult evaluate(float[][] rows, DetectionImages data) {
        List<CocoResults.Entry> entries = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            entries.addAll(data.entries(i, rows[i], 1, (int) rows[i][0]));
        }
        try {
            return CocoEvaluator.evaluate(data.groundTruth(), entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final class DetectionSession implements Session {
        private final Detector detector;
        private final DetectionLoss loss = new DetectionLoss(DetectionLoss.Options.defaults());
        private final DetectionDecoder.Options decode;
        private final BoxAugmenter augmenter = new BoxAugmenter(config.augmentation());
        private final DetectionLoss.Normaliser normaliser = group == null || group.worldSize() == 1
                ? DetectionLoss.Normaliser.LOCAL : this::globalDivisor;
        private long height;
        private long width;

        DetectionSession(Detector detector) {
            this.detector = detector;
            this.decode = validationDecoding(config);
        }

        @Override
        public Example train(Tensor images, Batch batch, Dataset data, int epoch, int epochs, long seed) {
            DetectionImages d = (DetectionImages) data;
            int[] indices = batch.indices();
            int m = 0;
            List<List<float[]>> gt = new ArrayList<>();
            for (int index : indices) {
                gt.add(d.boxes(index));
                m = Math.max(m, gt.get(gt.size() - 1).size());
            }
            float[] boxes = new float[indices.length * m * 4];
            long[] classes = new long[indices.length * m];
            java.util.Arrays.fill(classes, -1);
            for (int i = 0; i < indices.length; i++) {
                for (int k = 0; k < gt.get(i).size(); k++) {
                    float[] g = gt.get(i).get(k);
                    classes[i * m + k] = (long) g[0];
                    System.arraycopy(g, 1, boxes, (i * m + k) * 4, 4);
                }
            }
            boolean mosaic = epoch < epochs - config.closeMosaic();
            BoxAugmenter.Batch a = augmenter.apply(images, Tensors.fromFloats(boxes, indices.length, m, 4),
                    Tensors.fromLongs(classes, indices.length, m), seed, mosaic);
            return new Example(a.images(), packed(a.boxes(), a.classes()).to(images.device(), torch.ScalarType.Float));
        }

        /** Padded boxes [B, M, 4] and classes [B, M] (-1 padding) as packed rows [N, 6] on the host. */
        private static Tensor packed(Tensor boxes, Tensor classes) {
            float[] b = Tensors.toFloats(boxes);
            long[] c = Tensors.toLongs(classes);
            long m = classes.size(1);
            List<float[]> rows = new ArrayList<>();
            for (int j = 0; j < c.length; j++) {
                if (c[j] >= 0) {
                    rows.add(new float[] {(float) (j / m), c[j], b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]});
                }
            }
            float[] flat = new float[rows.size() * 6];
            for (int j = 0; j < rows.size(); j++) {
                System.arraycopy(rows.get(j), 0, flat, 6 * j, 6);
            }
            return Tensors.fromFloats(flat, rows.size(), 6);
        }

        @Override
        public Tensor evalInput(Tensor images) {
            return images.permute(0, 3, 1, 2).to(torch.ScalarType.Float).div(new Scalar(255.0)).contiguous();
        }

        @Override
        public List<Tensor> forward(Layer model, Tensor input) {
            height = input.size(2);
            width = input.size(3);
            return List.of(model.forward(input));
        }

        @Override
        public Tensor loss(List<Tensor> outputs, Tensor targets) {
            DetectorOutput out = detector.unpack(outputs.get(0), height, width);
            Tensor[] gt = padded(targets, out.batchSize());
            return loss.compute(out, gt[0], gt[1], normaliser).total();
        }

        /** max(global target-score sum, 1) / ranks: see {@link DetectionTask#DetectionTask(DetectConfig, ProcessGroup)}. */
        private Tensor globalDivisor(Tensor localSum) {
            Tensor sum = localSum.to(torch.ScalarType.Float).clone();
            group.allReduceSum(List.of(sum));
            return sum.clamp_min(new Scalar(1.0)).div(new Scalar((double) group.worldSize()));
        }

        /** Packed rows [N, 6] as padded boxes [B, M, 4] and classes [B, M] (-1 padding). */
        private Tensor[] padded(Tensor targets, long batch) {
            float[] t = Tensors.toFloats(targets.to(torch.ScalarType.Float));
            int n = t.length / 6;
            int[] count = new int[(int) batch];
            for (int j = 0; j < n; j++) {
                count[(int) t[6 * j]]++;
            }
            int m = 0;
            for (int c : count) m = Math.max(m, c);
            float[] boxes = new float[(int) batch * m * 4];
            long[] classes = new long[(int) batch * m];
            java.util.Arrays.fill(classes, -1);
            int[] fill = new int[(int) batch];
            for (int j = 0; j < n; j++) {
                int b = (int) t[6 * j];
                int slot = b * m + fill[b]++;
                classes[slot] = (long) t[6 * j + 1];
                System.arraycopy(t, 6 * j + 2, boxes, 4 * slot, 4);
            }
            var dev = targets.device();
            return new Tensor[] {Tensors.fromFloats(boxes, batch, m, 4).to(dev, torch.ScalarType.Float),
                    Tensors.fromLongs(classes, batch, m).to(dev, torch.ScalarType.Long)};
        }

        @Override
        public float[][] predict(List<Tensor> outputs, int images) {
            DetectorOutput out = detector.unpack(outputs.get(0), height, width);
            return rows(DetectionDecoder.decode(out, decode), config.valMaxDet());
        }

        @Override
        public Map<String, Double> score(float[][] predictions, Dataset validation) {
            CocoEvalResult r = evaluate(predictions, (DetectionImages) validation);
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("val_map50", clean(r.map50()));
            m.put(MONITOR, clean(r.map()));
            m.put("val_map75", clean(r.stat("AP75")));
            return m;
        }

        /** COCO's -1 (nothing to score) as 0, so that a monitor never improves on it. */
        private static double clean(double v) {
            return v < 0 ? 0 : v;
        }

        @Override
        public void close() {}
    }
}
