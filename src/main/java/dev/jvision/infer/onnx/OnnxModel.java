package dev.jvision.infer.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An exported jvision ONNX model run by ONNX Runtime's Java API on the CPU: the session, the
 * {@code jvision.*} metadata (input size and layout, normalisation, temperature, class names)
 * and batch calls returning new Java arrays owned by the caller.
 *
 * <p>ONNX Runtime is an optional dependency of jvision (the {@code jvision} launcher brings it);
 * a library user who calls this class adds {@code com.microsoft.onnxruntime:onnxruntime}.
 *
 * <p>Owns its session until {@link #close()} (idempotent; later calls throw
 * {@link IllegalStateException}). Thread-safe: ONNX Runtime sessions accept concurrent
 * {@code run} calls.
 */
public final class OnnxModel implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final OrtEnvironment env;
    private final Map<String, String> metadata;
    private final boolean uint8Input;
    private final int imgSize;
    private final int numClasses;
    private final boolean hasLogits;
    private volatile OrtSession session;

    private OnnxModel(Path file, OrtEnvironment env, OrtSession session) throws OrtException {
        this.file = file;
        this.env = env;
        this.session = session;
        this.metadata = Map.copyOf(session.getMetadata().getCustomMetadata());
        NodeInfo in = session.getInputInfo().get("input");
        if (in == null || !(in.getInfo() instanceof TensorInfo ti) || ti.getShape().length != 4) {
            throw new IllegalArgumentException(file + ": no 4-d tensor input named 'input' (expected: a model exported by "
                    + "`jvision export`; inputs: " + session.getInputNames() + ")");
        }
        long[] shape = ti.getShape();
        this.uint8Input = ti.type == ai.onnxruntime.OnnxJavaType.UINT8;
        this.imgSize = (int) (uint8Input ? shape[1] : shape[2]);
        if (!session.getOutputNames().contains("probabilities")) {
            throw new IllegalArgumentException(file + ": no output 'probabilities' (expected: a classifier exported by "
                    + "`jvision export`; outputs: " + session.getOutputNames() + ")"
                    + (session.getOutputNames().contains("boxes") ? ": a detector export, run it with OnnxDetector" : ""));
        }
        this.hasLogits = session.getOutputNames().contains("logits");
        long[] out = ((TensorInfo) session.getOutputInfo().get("probabilities").getInfo()).getShape();
        this.numClasses = (int) out[1];
    }

    /**
     * Opens {@code file} with {@code threads} intra-op threads (0: ONNX Runtime's default) and
     * all graph optimisations.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws IllegalArgumentException naming the file when ONNX Runtime cannot load it or it is
     *         not a jvision export
     */
    public static OnnxModel open(Path file, int threads) throws java.io.IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "ONNX model not found");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            if (threads > 0) {
                so.setIntraOpNumThreads(threads);
            }
            so.setInterOpNumThreads(1);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OrtSession s = env.createSession(file.toString(), so);
            try {
                return new OnnxModel(file, env, s);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new IllegalArgumentException(file + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    /** The file this model was loaded from. */
    public Path file() {
        return file;
    }

    /** The {@code metadata_props} of the file (jvision's keys start with {@code jvision.}). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** True when the graph takes uint8 NHWC RGB pixels (exported with preprocessing). */
    public boolean takesPixels() {
        return uint8Input;
    }

    /** The square input size in pixels. */
    public int imgSize() {
        return imgSize;
    }

    public int numClasses() {
        return numClasses;
    }

    /** The calibration temperature of a single-model export (1 when absent; NaN for an ensemble). */
    public double temperature() {
        String t = metadata.get("jvision.temperature");
        if (t == null) {
            return 1.0;
        }
        return t.startsWith("[") ? Double.NaN : Double.parseDouble(t);
    }

    /** Class names in id order (empty when the export had none). */
    public List<String> classNames() {
        String s = metadata.get("jvision.class_names");
        if (s == null || s.isBlank()) {
            return List.of();
        }
        try {
            return List.copyOf(JSON.readValue(s, new TypeReference<List<String>>() {}));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(file + ": metadata jvision.class_names: " + s + " (expected: a JSON array)", e);
        }
    }

    /** RGB mean and std the float input must be normalised with ({@code {mean, std}}). */
    public double[][] normalisation() {
        try {
            double[] mean = JSON.readValue(metadata.getOrDefault("jvision.mean", "[0.485,0.456,0.406]"), double[].class);
            double[] std = JSON.readValue(metadata.getOrDefault("jvision.std", "[0.229,0.224,0.225]"), double[].class);
            return new double[][] {mean, std};
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(file + ": metadata jvision.mean/std (expected: JSON arrays of 3 numbers)", e);
        }
    }

    /** Logits [n][classes] of a float NCHW batch (single-model exports only). */
    public float[][] logits(float[] nchw, int n) {
        if (!hasLogits) {
            throw new UnsupportedOperationException(file + ": an ensemble export has no 'logits' output");
        }
        return run(nchw, null, n, "logits");
    }

    /** Probabilities [n][classes] of a float NCHW batch. */
    public float[][] probabilities(float[] nchw, int n) {
        return run(nchw, null, n, "probabilities");
    }

    /** Probabilities [n][classes] of {@code n} uint8 HWC RGB images packed in {@code pixels}. */
    public float[][] probabilitiesOfPixels(byte[] pixels, int n) {
        return run(null, pixels, n, "probabilities");
    }

    /** Logits [n][classes] of uint8 HWC RGB images (single-model exports with preprocessing). */
    public float[][] logitsOfPixels(byte[] pixels, int n) {
        if (!hasLogits) {
            throw new UnsupportedOperationException(file + ": an ensemble export has no 'logits' output");
        }
        return run(null, pixels, n, "logits");
    }

    private float[][] run(float[] nchw, byte[] nhwc, int n, String output) {
        OrtSession s = session;
        if (s == null) {
            throw new IllegalStateException("OnnxModel " + file + " is closed");
        }
        long plane = 3L * imgSize * imgSize;
        if (n < 1 || (nchw != null ? nchw.length : nhwc.length) != n * plane) {
            throw new IllegalArgumentException(file + ": input of " + (nchw != null ? nchw.length : nhwc.length)
                    + " values for " + n + " images (expected: " + n * plane + " = n x 3 x " + imgSize + " x " + imgSize + ")");
        }
        if ((nhwc != null) != uint8Input) {
            throw new IllegalArgumentException(file + ": takes " + (uint8Input ? "uint8 NHWC pixels" : "float32 NCHW input")
                    + " (metadata jvision.input: " + metadata.get("jvision.input") + ")");
        }
        try (OnnxTensor in = nchw != null
                ? OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw), new long[] {n, 3, imgSize, imgSize})
                : OnnxTensor.createTensor(env, ByteBuffer.wrap(nhwc), new long[] {n, imgSize, imgSize, 3},
                        ai.onnxruntime.OnnxJavaType.UINT8);
             OrtSession.Result r = s.run(Map.of("input", in), java.util.Set.of(output))) {
            OnnxValue v = r.get(output).orElseThrow();
            return (float[][]) v.getValue();
        } catch (OrtException e) {
            throw new IllegalStateException(file + ": ONNX Runtime failed: " + e.getMessage(), e);
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
