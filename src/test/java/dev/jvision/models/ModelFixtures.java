package dev.jvision.models;

import dev.jvision.runtime.Tensors;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;

/** Small deterministic inputs shared by the model tests. */
final class ModelFixtures {
    private ModelFixtures() {}

    /** A float32 [n, 3, size, size] batch of N(0, 1) values from {@code seed}. */
    static Tensor images(int n, int size, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n * 3 * size * size];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return Tensors.fromFloats(a, n, 3, size, size);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
