package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.train.Evaluator;
import org.junit.jupiter.api.Test;

/** The pure-Java parts of {@link Evaluator} that inference relies on. */
class EvaluatorMathTest {
    private static final float[][] LOGITS = {{1f, 2f, 3f}, {-5f, 0f, 5f}, {1000f, 1000f, -1000f}};

    @Test
    void softmax_rowsSumToOne() {
        float[][] p = Evaluator.softmax(LOGITS, 1.0);
        for (int i = 0; i < p.length; i++) {
            double sum = 0;
            for (float v : p[i]) {
                assertTrue(v >= 0 && v <= 1, "row " + i + ": " + v);
                sum += v;
            }
            assertEquals(1.0, sum, 1e-6, "row " + i);
        }
        assertEquals(0.5, p[2][0], 1e-6);
    }

    @Test
    void softmax_matchesDefinition() {
        float[][] p = Evaluator.softmax(new float[][] {{0f, (float) Math.log(3)}}, 1.0);
        assertEquals(0.25, p[0][0], 1e-6);
        assertEquals(0.75, p[0][1], 1e-6);
    }

    @Test
    void softmax_temperatureTwoFlattens() {
        float[][] t1 = Evaluator.softmax(LOGITS, 1.0);
        float[][] t2 = Evaluator.softmax(LOGITS, 2.0);
        assertTrue(t2[0][2] < t1[0][2], t2[0][2] + " vs " + t1[0][2]);
        assertTrue(t2[0][0] > t1[0][0], t2[0][0] + " vs " + t1[0][0]);
        // softmax(l / 2) = softmax(l / 1) of halved logits
        float[][] halved = Evaluator.softmax(new float[][] {{0.5f, 1f, 1.5f}}, 1.0);
        for (int k = 0; k < 3; k++) {
            assertEquals(halved[0][k], t2[0][k], 1e-6);
        }
    }

    @Test
    void nll_ofPerfectPredictionIsZero() {
        assertEquals(0.0, Evaluator.nll(new float[][] {{1f, 0f}, {0f, 1f}}, new int[] {0, 1}), 1e-9);
    }

    @Test
    void nll_isMeanNegativeLogProbability() {
        double expected = -(Math.log(0.5) + Math.log(0.25)) / 2;
        assertEquals(expected, Evaluator.nll(new float[][] {{0.5f, 0.5f}, {0.75f, 0.25f}}, new int[] {0, 1}), 1e-6);
        assertTrue(Double.isFinite(Evaluator.nll(new float[][] {{1f, 0f}}, new int[] {1})));
    }
}
