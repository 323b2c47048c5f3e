package dev.jvision.infer.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.models.detect.Detections;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * A detector exported by {@code jvision export} ({@code jvision.task = detection}) run by ONNX
 * Runtime's Java API on the CPU: the session, the metadata (input size and layout, class names,
 * COCO category ids, the run's {@code detect.conf / iou / max_det}) and batch calls. The graph
 * gives boxes and scores before NMS; {@link #detect} applies jvision's own
 * {@link DetectionDecoder#select} (confidence filter, class-aware NMS, top {@code max_det}) on
 * them, so the detections equal those of the libtorch {@code dev.jvision.infer.Detector} up to
 * float rounding.
 *
 * <p>ONNX Runtime is an optional dependency (see {@link OnnxModel}). Owns its session until
 * {@link #close()} (idempotent; later calls throw {@link IllegalStateException}). Thread-safe;
 * results are new arrays / lists owned by the caller.
 */
public final class OnnxDetector implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The graph's outputs for {@code n} images, row-major flat arrays.
     *
     * @param boxes       [n, anchors, 4] corners in input pixels
     * @param scores      [n, anchors, classes] sigmoid probabilities
     * @param predictions [n, anchors, 4 * reg_max + classes] raw logits, or null when not asked for
     */
    public record Outputs(int n, int anchors, int classes, float[] boxes, float[] scores, float[] predictions) {}

    private final Path file;
    private final OrtEnvironment env;
    private final Map<String, String> metadata;
    private final boolean uint8Input;
    private final int imgSize;
    private final int anchors;
    private final int numClasses;
    private volatile OrtSession session;

    private OnnxDetector(Path file, OrtEnvironment env, OrtSession session) throws OrtException {
        this.file = file;
        this.env = env;
        this.session = session;
        this.metadata = Map.copyOf(session.getMetadata().getCustomMetadata());
        NodeInfo in = session.getInputInfo().get("input");
        if (in == null || !(in.getInfo() instanceof TensorInfo ti) || ti.getShape().length != 4) {
            throw new IllegalArgumentException(file + ": no 4-d tensor input named 'input' (expected: a detector exported "
                    + "by `jvision export`; inputs: " + session.getInputNames() + ")");
        }
        Set<String> outs = session.getOutputNames();
        if (!outs.contains("boxes") || !outs.contains("scores")) {
            throw new IllegalArgumentException(file + ": no outputs 'boxes' and 'scores' (expected: a detector exported "
                    + "by `jvision export`; outputs: " + outs + ")");
        }
        long[] shape = ti.getShape();
        this.uint8Input = ti.type == ai.onnxruntime.OnnxJavaType.UINT8;
        this.imgSize = (int) (uint8Input ? shape[1] : shape[2]);
        long[] scores = ((TensorInfo) session.getOutputInfo().get("scores").getInfo()).getShape();
        this.anchors = (int) scores[1];
        this.numClasses = (int) scores[2];
    }

    /** True when {@code file}'s metadata says it is a detection export (opens it briefly). */
    public static boolean isDetection(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "ONNX model not found");
        }
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession s = OrtEnvironment.getEnvironment().createSession(file.toString(), so)) {
                return "detection".equals(s.getMetadata().getCustomMetadata().get("jvision.task"))
                        || (s.getOutputNames().contains("boxes") && s.getOutputNames().contains("scores"));
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException(file + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    /**
     * Opens {@code file} with {@code threads} intra-op threads (0: ONNX Runtime's default).
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws IllegalArgumentException naming the file when ONNX Runtime cannot load it or it is
     *         not a jvision detector export
     */
    public static OnnxDetector open(Path file, int threads) throws IOException {
        return open(file, threads, OrtSession.SessionOptions.OptLevel.ALL_OPT);
    }

    /**
     * As {@link #open(Path, int)} with ONNX Runtime's graph optimisation {@code level}:
     * {@code BASIC_OPT} runs the exported operators as written (the parity tests use it, since
     * the extended fusions of {@code ALL_OPT} change float rounding), {@code ALL_OPT} is fastest.
     */
    public static OnnxDetector open(Path file, int threads, OrtSession.SessionOptions.OptLevel level)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "ONNX model not found");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            if (threads > 0) {
                so.setIntraOpNumThreads(threads);
            }
            so.setInterOpNumThreads(1);
            so.setOptimizationLevel(level);
            OrtSession s = env.createSession(file.toString(), so);
            try {
                return new OnnxDetector(file, env, s);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException(file + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** The {@code metadata_props} of the file. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** True when the graph takes uint8 NHWC RGB pixels (exported with preprocessing). */
    public boolean takesPixels() {
        return uint8Input;
    }

    /** The square (letterboxed) input size in pixels. */
    public int imgSize() {
        return imgSize;
    }

    public int numClasses() {
        return numClasses;
    }

    /** Anchor points per image (rows of {@code boxes} / {@code scores}). */
    public int anchors() {
        return anchors;
    }

    /** Class names in id order (empty when the export had none). */
    public List<String> classNames() {
        return List.of(readJson("jvision.class_names", String[].class, new String[0]));
    }

    /** COCO category id of each class: the exported run's, else {@code class + 1}. */
    public long[] categoryIds() {
        long[] ids = readJson("jvision.category_ids", long[].class, new long[0]);
        if (ids.length == numClasses) {
            return ids;
        }
        long[] d = new long[numClasses];
        for (int c = 0; c < numClasses; c++) {
            d[c] = c + 1;
        }
        return d;
    }

    /** The exported run's {@code detect.conf / iou / max_det} (the decoder's defaults where absent). */
    public DetectionDecoder.Options decoderOptions() {
        DetectionDecoder.Options d = DetectionDecoder.Options.defaults();
        try {
            double conf = Double.parseDouble(metadata.getOrDefault("jvision.detect.conf", Double.toString(d.conf())));
            double iou = Double.parseDouble(metadata.getOrDefault("jvision.detect.iou", Double.toString(d.iou())));
            int maxDet = Integer.parseInt(metadata.getOrDefault("jvision.detect.max_det", Integer.toString(d.maxDet())));
            return new DetectionDecoder.Options(conf, iou, maxDet, Math.max(3000, maxDet), false);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": metadata jvision.detect.*: " + e.getMessage()
                    + " (expected: numbers)", e);
        }
    }

    private <T> T readJson(String key, Class<T> type, T missing) {
        String s = metadata.get(key);
        if (s == null || s.isBlank()) {
            return missing;
        }
        try {
            return JSON.readValue(s, type);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": metadata " + key + ": " + s + " (expected: a JSON array)", e);
        }
    }

    /** Outputs for a float NCHW batch in [0, 1] (graphs without preprocessing). */
    public Outputs run(float[] nchw, int n, boolean withPredictions) {
        return run(nchw, null, n, withPredictions);
    }

    /**
     * Outputs for {@code n} letterboxed uint8 HWC RGB images packed in {@code pixels}; a graph
     * without preprocessing gets them as {@code v / 255} in float NCHW, as the libtorch detector does.
     */
    public Outputs runPixels(byte[] pixels, int n, boolean withPredictions) {
        if (uint8Input) {
            return run(null, pixels, n, withPredictions);
        }
        int hw = imgSize * imgSize;
        if (pixels.length != n * hw * 3) {
            throw new IllegalArgumentException(file + ": " + pixels.length + " bytes for " + n + " images (expected: "
                    + (long) n * hw * 3 + " = n x " + imgSize + " x " + imgSize + " x 3)");
        }
        float[] x = new float[n * 3 * hw];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < hw; p++) {
                for (int c = 0; c < 3; c++) {
                    x[(i * 3 + c) * hw + p] = (pixels[(i * hw + p) * 3 + c] & 0xFF) / 255f;
                }
            }
        }
        return run(x, null, n, withPredictions);
    }

    private Outputs run(float[] nchw, byte[] nhwc, int n, boolean withPredictions) {
        OrtSession s = session;
        if (s == null) {
            throw new IllegalStateException("OnnxDetector " + file + " is closed");
        }
        long plane = 3L * imgSize * imgSize;
        int len = nchw != null ? nchw.length : nhwc.length;
        if (n < 1 || len != n * plane) {
            throw new IllegalArgumentException(file + ": input of " + len + " values for " + n + " images (expected: "
                    + n * plane + " = n x 3 x " + imgSize + " x " + imgSize + ")");
        }
        if ((nhwc != null) != uint8Input) {
            throw new IllegalArgumentException(file + ": takes " + (uint8Input ? "uint8 NHWC pixels" : "float32 NCHW input")
                    + " (metadata jvision.input: " + metadata.get("jvision.input") + ")");
        }
        Set<String> wanted = withPredictions ? Set.of("boxes", "scores", "predictions") : Set.of("boxes", "scores");
        try (OnnxTensor in = nchw != null
                ? OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw), new long[] {n, 3, imgSize, imgSize})
                : OnnxTensor.createTensor(env, ByteBuffer.wrap(nhwc), new long[] {n, imgSize, imgSize, 3},
                        ai.onnxruntime.OnnxJavaType.UINT8);
             OrtSession.Result r = s.run(Map.of("input", in), wanted)) {
            Map<String, float[]> out = new HashMap<>();
            for (String name : wanted) {
                FloatBuffer b = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
                float[] a = new float[b.remaining()];
                b.get(a);
                out.put(name, a);
            }
            return new Outputs(n, anchors, numClasses, out.get("boxes"), out.get("scores"), out.get("predictions"));
        } catch (OrtException e) {
            throw new IllegalStateException(file + ": ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    /**
     * Detections of {@code n} letterboxed images (boxes in letterbox pixels), per image best
     * first: the graph's boxes and scores through {@link DetectionDecoder#select} with {@code o}.
     */
    public List<List<Detections.Box>> detect(byte[] pixels, int n, DetectionDecoder.Options o) {
        Outputs out = runPixels(pixels, n, false);
        try (var scope = Memory.step(); NoGradGuard ng = new NoGradGuard()) {
            return DetectionDecoder.select(Tensors.fromFloats(out.boxes(), n, anchors, 4),
                    Tensors.fromFloats(out.scores(), n, anchors, numClasses), o).toLists();
        }
    }

    /** Closes the session. Idempotent. */
    @Override
    public synchronized void close() {
        OrtSession s = session;
        session = null;
        if (s != null) {
            try {
                s.close();
            } catch (OrtException e) {
                throw new IllegalStateException(file + ": closing the ONNX Runtime session failed", e);
            }
        }
    }
}
