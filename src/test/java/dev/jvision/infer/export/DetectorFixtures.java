package dev.jvision.infer.export;

import dev.jvision.models.detect.Detector;
import dev.jvision.nn.BatchNorm2d;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Detectors with non-trivial weights for the ONNX tests (public for the CLI tests): every float
 * parameter seeded from its name (convolution and linear weights He-uniform, norm scales and
 * layer scales in [0.5, 1.5], biases in [-0.1, 0.1]), then every BatchNorm's running mean and
 * variance set to the batch statistics of the given images (one training-mode pass with momentum
 * 1; variances floored at {@link #VAR_FLOOR} of their layer's mean), so that activations keep
 * their scale through the deep backbones and every block, norm and bias changes the output. Stateless and thread-safe; the detector is modified in place.
 */
public final class DetectorFixtures {
    /**
     * Running variances are raised to at least this fraction of their layer's mean: a channel the
     * calibration batch leaves (nearly) constant would otherwise scale float rounding by up to
     * {@code 1 / sqrt(eps)} (300x for eps 1e-5), and the test would measure that, not the export.
     */
    static final double VAR_FLOOR = 0.05;

    private DetectorFixtures() {}

    /** Seeds {@code d}'s parameters and calibrates its BatchNorm statistics on {@code images} [n, 3, s, s] in [0, 1]. */
    public static void seed(Detector d, float[] images, int n, int size) {
        try (NoGradGuard ng = new NoGradGuard(); var scope = Memory.step()) {
            for (Map.Entry<String, Tensor> e : d.namedParameters().entrySet()) {
                Tensor t = e.getValue();
                if (t.scalar_type().intern() != torch.ScalarType.Float) {
                    continue;
                }
                long[] shape = Tensors.shape(t);
                long count = 1;
                long fanIn = 1;
                for (int i = 0; i < shape.length; i++) {
                    count *= shape[i];
                    fanIn *= i > 0 ? shape[i] : 1;
                }
                String leaf = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
                double lo;
                double hi;
                if (shape.length > 1) {
                    hi = Math.sqrt(2.0) * Math.sqrt(3.0 / fanIn);
                    lo = -hi;
                } else if (leaf.equals("bias")) {
                    lo = -0.1;
                    hi = 0.1;
                } else {
                    lo = 0.5;
                    hi = 1.0;
                }
                Random r = new Random(e.getKey().hashCode() * 31L + count);
                float[] v = new float[Math.toIntExact(count)];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (lo + (hi - lo) * r.nextDouble());
                }
                t.copy_(Tensors.fromFloats(v, shape));
            }
            BatchNorm2d.configure(d, 1.0, false);
            d.train(true);
            d.forwardDetect(Tensors.fromFloats(images, n, 3, size, size));
            d.train(false);
            for (Map.Entry<String, Tensor> e : d.namedBuffers().entrySet()) {
                if (e.getKey().endsWith("running_var")) {
                    Tensor v = e.getValue();
                    double floor = VAR_FLOOR * v.mean().item_double();
                    v.clamp_min_(new org.bytedeco.pytorch.Scalar(floor));
                }
            }
        }
    }

    /** {@code n} images of {@code size} pixels, float NCHW in [0, 1], seeded. */
    public static float[] images(int n, int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 3 * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat();
        }
        return x;
    }
}
