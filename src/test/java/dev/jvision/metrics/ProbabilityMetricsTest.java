package dev.jvision.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProbabilityMetricsTest {
    private static final float[][] LOGITS = {{1f, 2f, 3f}, {-5f, 0f, 5f}, {1000f, 1000f, -1000f}};

    @BeforeAll
    static void natives() {
        NativeRuntime.init();
    }

    /** The textbook definitions in double precision on the host, to check the device code against. */
    private static double[] hostSoftmax(float[] l, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : l) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        double[] e = new double[l.length];
        for (int k = 0; k < l.length; k++) {
            e[k] = Math.exp(l[k] / t - max);
            sum += e[k];
        }
        for (int k = 0; k < l.length; k++) {
            e[k] /= sum;
        }
        return e;
    }

    @Test
    void softmax_rowsSumToOne_evenForHugeLogits() {
        float[][] p = ProbabilityMetrics.softmax(LOGITS, 1.0);
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
    void softmax_matchesDefinition_atAnyTemperature() {
        float[][] p = ProbabilityMetrics.softmax(new float[][] {{0f, (float) Math.log(3)}}, 1.0);
        assertEquals(0.25, p[0][0], 1e-6);
        assertEquals(0.75, p[0][1], 1e-6);
        Random r = new Random(3);
        float[][] l = new float[20][7];
        for (float[] row : l) {
            for (int k = 0; k < row.length; k++) {
                row[k] = (float) (r.nextGaussian() * 4);
            }
        }
        for (double t : new double[] {0.3, 1.0, 2.5}) {
            float[][] q = ProbabilityMetrics.softmax(l, t);
            for (int i = 0; i < l.length; i++) {
                double[] want = hostSoftmax(l[i], t);
                for (int k = 0; k < want.length; k++) {
                    assertEquals((float) want[k], q[i][k], 1e-7f, "T " + t + " row " + i);
                }
            }
        }
    }

    @Test
    void softmax_temperatureTwoFlattens() {
        float[][] t1 = ProbabilityMetrics.softmax(LOGITS, 1.0);
        float[][] t2 = ProbabilityMetrics.softmax(LOGITS, 2.0);
        assertTrue(t2[0][2] < t1[0][2], t2[0][2] + " vs " + t1[0][2]);
        assertTrue(t2[0][0] > t1[0][0], t2[0][0] + " vs " + t1[0][0]);
        float[][] halved = ProbabilityMetrics.softmax(new float[][] {{0.5f, 1f, 1.5f}}, 1.0);
        for (int k = 0; k < 3; k++) {
            assertEquals(halved[0][k], t2[0][k], 1e-6);
        }
        assertThrows(IllegalArgumentException.class, () -> ProbabilityMetrics.softmax(LOGITS, 0));
    }

    @Test
    void nllOfProbs_isMeanNegativeLogProbability_clamped() {
        assertEquals(0.0, ProbabilityMetrics.nllOfProbs(new float[][] {{1f, 0f}, {0f, 1f}}, new int[] {0, 1}), 1e-9);
        double expected = -(Math.log(0.5) + Math.log(0.25)) / 2;
        assertEquals(expected, ProbabilityMetrics.nllOfProbs(new float[][] {{0.5f, 0.5f}, {0.75f, 0.25f}},
                new int[] {0, 1}), 1e-6);
        assertEquals(-Math.log(ProbabilityMetrics.MIN_PROBABILITY),
                ProbabilityMetrics.nllOfProbs(new float[][] {{1f, 0f}}, new int[] {1}), 1e-9);
    }

    @Test
    void nll_ofLogits_matchesNllOfSoftmax_andTheDefinition() {
        float[][] l = {{2f, 0f, -1f}, {0.5f, 0.2f, 3f}};
        int[] y = {0, 1};
        assertEquals(ProbabilityMetrics.nllOfProbs(ProbabilityMetrics.softmax(l, 1.0), y),
                ProbabilityMetrics.nll(l, y, 1.0), 1e-6);
        double want = -(Math.log(hostSoftmax(l[0], 1.7)[0]) + Math.log(hostSoftmax(l[1], 1.7)[1])) / 2;
        assertEquals(want, ProbabilityMetrics.nll(l, y, 1.7), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> ProbabilityMetrics.nll(l, new int[] {0}, 1.0));
    }

    @Test
    void ece_handExample() {
        // bin (0.8667, 0.9333]: rows 0 and 1, accuracy 0.5, confidence 0.9 -> 2/4 * 0.4 = 0.2
        // bin (0.5333, 0.6]: row 2, right, confidence 0.6 -> 1/4 * 0.4 = 0.1
        // bin (0.6667, 0.7333]: row 3, wrong (top is class 1), confidence 0.7 -> 1/4 * 0.7 = 0.175
        float[][] p = {{0.9f, 0.1f}, {0.9f, 0.1f}, {0.4f, 0.6f}, {0.3f, 0.7f}};
        int[] y = {0, 1, 1, 0};
        assertEquals(0.2 + 0.1 + 0.175, ProbabilityMetrics.ece(p, y, 15), 1e-6);
        assertEquals(0.0, ProbabilityMetrics.ece(new float[][] {{1f, 0f}}, new int[] {0}, 15), 1e-9);
        assertEquals(0.0, ProbabilityMetrics.ece(new float[0][], new int[0], 15));
        assertThrows(IllegalArgumentException.class, () -> ProbabilityMetrics.ece(p, y, 0));
    }

    @Test
    void topK_isSortedBestFirst_andTopKAccuracyCountsHits() {
        float[][] p = {{0.1f, 0.6f, 0.3f}, {0.5f, 0.2f, 0.3f}};
        try (var scope = Memory.step()) {
            Tensor t = ProbabilityMetrics.matrix(p);
            ProbabilityMetrics.TopK k = ProbabilityMetrics.topK(t, 2);
            assertArrayEquals(new int[] {1, 2}, k.ids()[0]);
            assertArrayEquals(new int[] {0, 2}, k.ids()[1]);
            assertArrayEquals(new float[] {0.6f, 0.3f}, k.scores()[0]);
            assertThrows(IllegalArgumentException.class, () -> ProbabilityMetrics.topK(t, 4));
            int[] y = {2, 1};
            assertEquals(0.0, ClassificationMetrics.topKAccuracy(p, y, 1));
            assertEquals(0.5, ClassificationMetrics.topKAccuracy(p, y, 2));
            assertEquals(1.0, ClassificationMetrics.topKAccuracy(p, y, 3));
        }
    }
}
