package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class LossesTest {
    @Test
    void distributionFocal_matchesHandComputation() {
        try (var step = Memory.step()) {
            Tensor logits = Tensors.fromFloats(new float[] {0, 1, 2, 3}, 1, 4);
            Tensor target = Tensors.fromFloats(new float[] {1.3f}, 1);
            // target 1.3 between bins 1 and 2, weights 0.7 and 0.3
            double lse = Math.log(1 + Math.E + Math.exp(2) + Math.exp(3));
            double expected = -(0.7 * (1 - lse) + 0.3 * (2 - lse));
            assertEquals(2.14019, expected, 1e-5);
            assertEquals(expected, Tensors.toDoubles(Losses.distributionFocal(logits, target))[0], 1e-5);
        }
    }

    @Test
    void distributionFocal_integerTarget_isCrossEntropyOfThatBin() {
        try (var step = Memory.step()) {
            Tensor logits = Tensors.fromFloats(new float[] {0.5f, -1, 2, 0}, 1, 4);
            Tensor target = Tensors.fromFloats(new float[] {2f}, 1);
            double lse = Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2) + 1);
            assertEquals(lse - 2, Tensors.toDoubles(Losses.distributionFocal(logits, target))[0], 1e-5);
        }
    }

    @Test
    void varifocal_matchesDirectFormula() {
        Random r = new Random(3);
        int n = 64;
        float[] x = new float[n];
        float[] q = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 2);
            q[i] = i % 3 == 0 ? r.nextFloat() : 0;
        }
        double alpha = 0.75;
        double gamma = 2;
        try (var step = Memory.step()) {
            double[] got = Tensors.toDoubles(Losses.varifocal(Tensors.fromFloats(x, n), Tensors.fromFloats(q, n), alpha, gamma));
            for (int i = 0; i < n; i++) {
                double p = 1 / (1 + Math.exp(-x[i]));
                double expected = q[i] > 0
                        ? -q[i] * (q[i] * Math.log(p) + (1 - q[i]) * Math.log(1 - p))
                        : -alpha * Math.pow(p, gamma) * Math.log(1 - p);
                assertEquals(expected, got[i], 1e-5, "element " + i);
            }
        }
    }

    @Test
    void bce_matchesDirectFormula() {
        try (var step = Memory.step()) {
            double[] got = Tensors.toDoubles(Losses.bce(Tensors.fromFloats(new float[] {0.3f, -2}, 2),
                    Tensors.fromFloats(new float[] {0.8f, 0}, 2)));
            double p0 = 1 / (1 + Math.exp(-0.3));
            double p1 = 1 / (1 + Math.exp(2));
            assertEquals(-(0.8 * Math.log(p0) + 0.2 * Math.log(1 - p0)), got[0], 1e-6);
            assertEquals(-Math.log(1 - p1), got[1], 1e-6);
        }
    }
}
