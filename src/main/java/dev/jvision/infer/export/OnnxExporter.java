package dev.jvision.infer.export;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.infer.export.Layers.Map2d;
import dev.jvision.models.EfficientNetV2;
import dev.jvision.models.ImageModel;
import dev.jvision.models.SwinTransformer;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports jvision models to ONNX, written from jvision's own layer definitions (no tracing, no
 * Python): every registered classification family (ResNet, ConvNeXt, Swin, EfficientNetV2) with
 * {@link #build}, and the detectors of {@code dev.jvision.models.detect} with
 * {@link #buildDetector} (boxes and scores before NMS), in evaluation mode, with a symbolic batch
 * dimension.
 *
 * <p>The graph's input {@code input} is float32 NCHW normalised as the model expects (metadata
 * {@code jvision.mean}/{@code jvision.std}), or, with {@link Options#includePreprocessing()},
 * uint8 NHWC RGB (0..255) normalised inside. Outputs: {@code logits} [batch, classes] (single
 * model) and {@code probabilities} = softmax(logits / T) with the calibration temperature T;
 * for several members (a fold ensemble) only {@code probabilities}, the weighted mean of the
 * members' calibrated probabilities, as {@code EnsemblePredictor} computes it. Metadata (ONNX
 * {@code metadata_props}): {@code jvision.*} keys listed in docs/onnx.md, among them the
 * temperature and the class names (a JSON array).
 *
 * <p>Reads the members' weights (they must be float32 and stay open while {@link #build} runs);
 * returns a new {@link ModelProto} owned by the caller. Stateless and thread-safe as long as the
 * models are not used elsewhere meanwhile.
 */
public final class OnnxExporter {
    /** The default opset: the first with LayerNormalization; GELU is written with Erf. */
    public static final int DEFAULT_OPSET = 17;
    /** The newest opset ONNX Runtime 1.22 runs (checked by the export tests). */
    public static final int MAX_OPSET = 22;
    /** Format version of the {@code jvision.*} metadata. */
    public static final String FORMAT = "1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private OnnxExporter() {}

    /**
     * How to export.
     *
     * @param opset                 ONNX opset, {@link #DEFAULT_OPSET} to {@link #MAX_OPSET}
     * @param imgSize               square input size in pixels (the graph's spatial size is fixed)
     * @param includePreprocessing  take uint8 NHWC RGB and normalise inside the graph
     * @param foldBatchNorm         fold eval-mode BatchNorm into the convolutions (else emit BatchNormalization)
     */
    public record Options(int opset, int imgSize, boolean includePreprocessing, boolean foldBatchNorm) {
        public Options {
            if (opset < DEFAULT_OPSET || opset > MAX_OPSET) {
                throw new IllegalArgumentException("opset: " + opset + " (expected: " + DEFAULT_OPSET + " to " + MAX_OPSET
                        + ", the newest ONNX Runtime 1.22 runs)");
            }
            if (imgSize < 1) {
                throw new IllegalArgumentException("img_size: " + imgSize + " (expected: >= 1)");
            }
        }

        /** Opset 17, float NCHW input, BatchNorm folded. */
        public static Options of(int imgSize) {
            return new Options(DEFAULT_OPSET, imgSize, false, true);
        }

        public Options withOpset(int o) {
            return new Options(o, imgSize, includePreprocessing, foldBatchNorm);
        }

        public Options withPreprocessing(boolean on) {
            return new Options(opset, imgSize, on, foldBatchNorm);
        }

        public Options withFoldBatchNorm(boolean on) {
            return new Options(opset, imgSize, includePreprocessing, on);
        }
    }

    /**
     * One model of the graph.
     *
     * @param model       the model (read, not closed)
     * @param mean        RGB mean of its input normalisation
     * @param std         RGB std
     * @param temperature its calibration temperature (1 = uncalibrated)
     * @param weight      its weight in an ensemble (normalised over the members)
     */
    public record Member(ImageModel model, double[] mean, double[] std, double temperature, double weight) {
        public Member {
            if (mean == null || mean.length != 3 || std == null || std.length != 3) {
                throw new IllegalArgumentException("mean/std: " + Arrays.toString(mean) + "/" + Arrays.toString(std)
                        + " (expected: 3 values each, RGB)");
            }
            if (!(temperature > 0) || !Double.isFinite(temperature)) {
                throw new IllegalArgumentException("temperature: " + temperature + " (expected: a number > 0)");
            }
            if (!(weight > 0) || !Double.isFinite(weight)) {
                throw new IllegalArgumentException("weight: " + weight + " (expected: a number > 0)");
            }
        }

        /** A model with its spec's normalisation, uncalibrated, weight 1. */
        public static Member of(ImageModel model) {
            return new Member(model, model.spec().mean(), model.spec().std(), 1.0, 1.0);
        }
    }

    /**
     * Builds the graph of {@code members} (one model, or an ensemble averaging probabilities).
     *
     * @param classNames names in class-id order, or empty
     * @throws IllegalArgumentException when members disagree on the class count, when float
     *         input is asked of members normalised differently, or for a model family this
     *         exporter does not know
     */
    public static ModelProto build(List<Member> members, List<String> classNames, Options o) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("no models to export (expected: at least one)");
        }
        int classes = members.get(0).model().numClasses();
        for (Member m : members) {
            if (m.model().numClasses() != classes) {
                throw new IllegalArgumentException(m.model().spec().name() + ": " + m.model().numClasses()
                        + " classes (expected: " + classes + ", as the first member)");
            }
            if (!o.includePreprocessing() && (!Arrays.equals(m.mean(), members.get(0).mean())
                    || !Arrays.equals(m.std(), members.get(0).std()))) {
                throw new IllegalArgumentException("members normalise differently (" + Arrays.toString(m.mean()) + " vs "
                        + Arrays.toString(members.get(0).mean()) + "): export with --include-preprocessing");
            }
        }
        if (classNames != null && !classNames.isEmpty() && classNames.size() != classes) {
            throw new IllegalArgumentException("class names: " + classNames.size() + " (expected: " + classes
                    + ", one per class)");
        }
        OnnxGraph g = new OnnxGraph(members.size() == 1 ? members.get(0).model().spec().name() : "ensemble", o.opset());
        Layers l = new Layers(g, o.foldBatchNorm());
        long s = o.imgSize();
        if (o.includePreprocessing()) {
            g.input("input", OnnxGraph.UINT8, s, s, 3);
        } else {
            g.input("input", OnnxGraph.FLOAT, 3, s, s);
        }
        String nchw = o.includePreprocessing()
                ? g.transpose(g.node("Cast", List.of("input"), OnnxGraph.attrs("to", (long) OnnxGraph.FLOAT)), 0, 3, 1, 2)
                : "input";
        double total = members.stream().mapToDouble(Member::weight).sum();
        String acc = null;
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            String x = o.includePreprocessing() ? normalise(g, nchw, m.mean(), m.std()) : nchw;
            String logits = logits(l, m.model(), new Map2d(x, s, s));
            if (members.size() == 1) {
                g.nodeTo("logits", "Identity", logits);
                g.output("logits", OnnxGraph.FLOAT, classes);
                String scaled = m.temperature() == 1.0 ? "logits" : g.mul("logits", g.scalar((float) (1 / m.temperature())));
                g.nodeTo("probabilities", "Softmax", scaled);
                g.output("probabilities", OnnxGraph.FLOAT, classes);
                break;
            }
            String scaled = m.temperature() == 1.0 ? logits : g.mul(logits, g.scalar((float) (1 / m.temperature())));
            String p = g.mul(g.softmax(scaled, -1), g.scalar((float) (m.weight() / total)));
            acc = acc == null ? p : g.add(acc, p);
        }
        if (members.size() > 1) {
            g.nodeTo("probabilities", "Identity", acc);
            g.output("probabilities", OnnxGraph.FLOAT, classes);
        }
        return g.model(FORMAT, "exported by jvision from its layer definitions", metadata(members, classNames, o, classes));
    }

    /**
     * What a detection export records besides the network (metadata for {@code jvision infer
     * --onnx} and other consumers). Immutable.
     *
     * @param classNames  names in class-id order, or empty
     * @param categoryIds the COCO category id of each class, or empty (then id = class + 1)
     * @param conf        the run's {@code detect.conf}
     * @param iou         the run's {@code detect.iou}
     * @param maxDet      the run's {@code detect.max_det}
     */
    public record DetectionInfo(List<String> classNames, long[] categoryIds, double conf, double iou, int maxDet) {
        public DetectionInfo {
            classNames = List.copyOf(classNames);
            categoryIds = categoryIds.clone();
            if (categoryIds.length != 0 && categoryIds.length != classNames.size()) {
                throw new IllegalArgumentException("category ids: " + categoryIds.length + " (expected: "
                        + classNames.size() + ", one per class name)");
            }
        }

        /** No names or category ids; the decoder's default thresholds. */
        public static DetectionInfo defaults() {
            var d = dev.jvision.models.detect.DetectionDecoder.Options.defaults();
            return new DetectionInfo(List.of(), new long[0], d.conf(), d.iou(), d.maxDet());
        }
    }

    /**
     * Builds the graph of a detector ({@link DetectorGraph}): input float32 NCHW RGB in [0, 1]
     * (letterboxed to {@code o.imgSize()}, a multiple of 32; the detector normalises inside), or
     * uint8 NHWC RGB with {@link Options#includePreprocessing()}; outputs {@code boxes},
     * {@code scores} and {@code predictions} (see docs/onnx.md); no NMS.
     *
     * @throws IllegalArgumentException for a size that is not a multiple of 32, class names or
     *         category ids of another count, or a backbone this exporter does not know
     */
    public static ModelProto buildDetector(dev.jvision.models.detect.Detector detector, DetectionInfo info, Options o) {
        if (o.imgSize() % detector.maxStride() != 0) {
            throw new IllegalArgumentException("img_size: " + o.imgSize() + " (expected: a multiple of "
                    + detector.maxStride() + " for a detector)");
        }
        int classes = detector.numClasses();
        if (!info.classNames().isEmpty() && info.classNames().size() != classes) {
            throw new IllegalArgumentException("class names: " + info.classNames().size() + " (expected: " + classes
                    + ", one per class)");
        }
        OnnxGraph g = new OnnxGraph(detector.name(), o.opset());
        Layers l = new Layers(g, o.foldBatchNorm());
        long s = o.imgSize();
        String x;
        if (o.includePreprocessing()) {
            g.input("input", OnnxGraph.UINT8, s, s, 3);
            String f = g.node("Cast", List.of("input"), OnnxGraph.attrs("to", (long) OnnxGraph.FLOAT));
            x = g.node("Div", g.transpose(f, 0, 3, 1, 2), g.scalar(255f));
        } else {
            g.input("input", OnnxGraph.FLOAT, 3, s, s);
            x = "input";
        }
        long anchors = DetectorGraph.write(l, detector, new Map2d(x, s, s));
        Map<String, String> md = new LinkedHashMap<>();
        md.put("jvision.format", FORMAT);
        md.put("jvision.task", "detection");
        md.put("jvision.model", detector.name());
        md.put("jvision.num_classes", Integer.toString(classes));
        md.put("jvision.img_size", Integer.toString(o.imgSize()));
        md.put("jvision.input", o.includePreprocessing() ? "uint8 NHWC RGB 0-255 letterboxed"
                : "float32 NCHW RGB 0-1 letterboxed");
        md.put("jvision.reg_max", Integer.toString(detector.regMax()));
        md.put("jvision.strides", json(dev.jvision.models.detect.Detector.STRIDES));
        md.put("jvision.anchors", Long.toString(anchors));
        md.put("jvision.class_names", json(info.classNames()));
        md.put("jvision.category_ids", json(info.categoryIds()));
        md.put("jvision.detect.conf", Double.toString(info.conf()));
        md.put("jvision.detect.iou", Double.toString(info.iou()));
        md.put("jvision.detect.max_det", Integer.toString(info.maxDet()));
        md.put("jvision.outputs", String.join(",", DetectorGraph.OUTPUTS));
        md.put("jvision.nms", "none: boxes and scores are before NMS");
        return g.model(FORMAT, "detector exported by jvision from its layer definitions (no NMS)", md);
    }

    private static String normalise(OnnxGraph g, String nchwFloat, double[] mean, double[] std) {
        float[] scale = new float[3];
        float[] shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = (float) (1.0 / (255.0 * std[c]));
            shift[c] = (float) (-mean[c] / std[c]);
        }
        return g.add(g.mul(nchwFloat, g.floats("preprocess.scale", scale, 1, 3, 1, 1)),
                g.floats("preprocess.shift", shift, 1, 3, 1, 1));
    }

    private static String logits(Layers l, ImageModel m, Map2d x) {
        return switch (m.spec().family()) {
            case "resnet" -> CnnGraphs.resnet(l, m, x);
            case "convnext" -> CnnGraphs.convnext(l, m, x);
            case "efficientnetv2" -> CnnGraphs.efficientnetv2(l, (EfficientNetV2) m, x);
            case "swin" -> SwinGraph.logits(l, (SwinTransformer) m, x);
            case "quicknet" -> CnnGraphs.quicknet(l, m, x);
            default -> throw new IllegalArgumentException(m.spec().name() + ": model family '" + m.spec().family()
                    + "' cannot be exported to ONNX (expected: resnet, convnext, efficientnetv2, swin or quicknet)");
        };
    }

    private static Map<String, String> metadata(List<Member> members, List<String> classNames, Options o, int classes) {
        Map<String, String> md = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        List<Double> temps = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (Member m : members) {
            names.add(m.model().spec().name());
            temps.add(m.temperature());
            weights.add(m.weight());
        }
        md.put("jvision.format", FORMAT);
        md.put("jvision.model", String.join(",", names));
        md.put("jvision.members", Integer.toString(members.size()));
        md.put("jvision.num_classes", Integer.toString(classes));
        md.put("jvision.img_size", Integer.toString(o.imgSize()));
        md.put("jvision.input", o.includePreprocessing() ? "uint8 NHWC RGB 0-255" : "float32 NCHW normalised");
        md.put("jvision.mean", json(members.get(0).mean()));
        md.put("jvision.std", json(members.get(0).std()));
        md.put("jvision.temperature", members.size() == 1 ? Double.toString(temps.get(0)) : json(temps));
        if (members.size() > 1) {
            md.put("jvision.member_weights", json(weights));
        }
        md.put("jvision.class_names", json(classNames == null ? List.of() : classNames));
        md.put("jvision.outputs", members.size() == 1 ? "logits,probabilities" : "probabilities");
        return md;
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes {@code model} to {@code out} atomically (a temporary file beside it, renamed at the
     * end): a failed export leaves no partial file and an existing file unchanged.
     *
     * @throws IOException naming the file when its folder cannot be created or written
     */
    public static void write(ModelProto model, Path out) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && Files.exists(parent) && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException(out + ": cannot write (" + parent + " is not a folder)");
        }
        try {
            AtomicFiles.write(out, tmp -> {
                try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                    model.writeTo(os);
                }
            });
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IllegalArgumentException(out + ": cannot write (permission denied on " + e.getFile() + ")", e);
        }
    }
}
