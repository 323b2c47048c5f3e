package dev.jvision.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.NativeRuntime;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StreamingScoresTest {
    @BeforeAll
    static void natives() {
        NativeRuntime.init();
    }

    /**
     * Random probability rows with ties (equal top scores, a target tied with the fifth score),
     * a class that is neither target nor prediction, and rows of exactly k/bins confidence.
     */
    private static float[][] table(int n, int c, Random r) {
        float[][] p = new float[n][c];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            double[] e = new double[c];
            for (int k = 0; k < c - 1; k++) { // class c-1 never wins and is never a target
                e[k] = Math.exp(r.nextGaussian() * 2);
                sum += e[k];
            }
            for (int k = 0; k < c; k++) {
                p[i][k] = (float) (e[k] / sum);
            }
            if (i % 7 == 0) { // a tie at the top
                int a = r.nextInt(c - 1);
                int b = (a + 1) % (c - 1);
                float top = Math.max(p[i][a], p[i][b]);
                p[i][a] = top;
                p[i][b] = top;
            }
            if (i % 11 == 0) { // confidence exactly on a bin edge of 4 bins
                Arrays.fill(p[i], 0f);
                int a = r.nextInt(c - 1);
                p[i][a] = i % 2 == 0 ? 0.5f : 0.75f;
                p[i][(a + 1) % (c - 1)] = i % 2 == 0 ? 0.25f : 0.125f;
                p[i][(a + 2) % (c - 1)] = i % 2 == 0 ? 0.25f : 0.125f;
            }
            if (i % 13 == 0) { // many equal scores: the top-5 tie rule decides
                Arrays.fill(p[i], 0, c - 1, 1f / (c - 1));
            }
        }
        return p;
    }

    @Test
    void streamedInPieces_equalsTheWholeTableFunctions() {
        Random r = new Random(3);
        int n = 203;
        int c = 9;
        float[][] p = table(n, c, r);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            // rows on a bin edge are right, so their bin (below the edge, not above) matters
            t[i] = i % 11 == 0 && i % 13 != 0 ? ClassificationMetrics.argmax(p[i]) : r.nextInt(c - 1);
        }
        StreamingScores s = new StreamingScores(c, 5, 15);
        StreamingScores four = new StreamingScores(c, 3, 4);
        for (int from = 0; from < n; from += 4) { // in pieces of 4 rows, the last short
            int to = Math.min(n, from + 4);
            s.addAll(Arrays.copyOfRange(p, from, to), Arrays.copyOfRange(t, from, to));
            four.addAll(Arrays.copyOfRange(p, from, to), Arrays.copyOfRange(t, from, to));
        }
        int[] pred = ClassificationMetrics.argmax(p);
        assertEquals(n, s.rows());
        assertEquals(ClassificationMetrics.accuracy(pred, t), s.accuracy(), 0.0);
        assertEquals(ClassificationMetrics.macroF1(pred, t, c), s.macroF1(), 0.0);
        assertEquals(ClassificationMetrics.topKAccuracy(p, t, 5), s.topKAccuracy(), 0.0);
        assertEquals(ProbabilityMetrics.nllOfProbs(p, t), s.nll(), 1e-12);
        assertEquals(ProbabilityMetrics.ece(p, t, 15), s.ece(), 1e-12);
        assertEquals(ProbabilityMetrics.ece(p, t, 4), four.ece(), 1e-12, "confidences on the edges of 4 bins");
        assertEquals(ClassificationMetrics.topKAccuracy(p, t, 3), four.topKAccuracy(), 0.0);
        // the scores are not trivial: a wrong implementation would differ
        assertTrue(s.accuracy() > 0 && s.accuracy() < 1, "accuracy " + s.accuracy());
        assertTrue(s.topKAccuracy() > s.accuracy() && s.topKAccuracy() < 1, "top-5 " + s.topKAccuracy());
        assertTrue(s.ece() > 0.01 && s.nll() > 0.1, "ece " + s.ece() + ", nll " + s.nll());
    }

    @Test
    void ece_confidenceOnABinEdge_fallsInTheBinBelow() {
        float[][] p = {{0.5f, 0.25f, 0.25f}, {0.625f, 0.375f, 0f}};
        int[] t = {0, 1}; // right at 0.5 (gap +0.5 in (0.25, 0.5]), wrong at 0.625 (gap -0.625 in (0.5, 0.75])
        StreamingScores s = new StreamingScores(3, 1, 4);
        s.addAll(p, t);
        assertEquals((0.5 + 0.625) / 2, s.ece(), 1e-15);
        assertEquals(ProbabilityMetrics.ece(p, t, 4), s.ece(), 1e-15);
    }

    @Test
    void noRows_zero_badRows_rejected() {
        StreamingScores s = new StreamingScores(3, 5, 15);
        assertEquals(0, s.accuracy());
        assertEquals(0, s.macroF1());
        assertEquals(0, s.nll());
        assertEquals(0, s.ece());
        var e = assertThrows(IllegalArgumentException.class, () -> s.add(new float[] {0.5f, 0.5f, 0f}, 3));
        assertTrue(e.getMessage().contains("target 3 (expected: 0..2)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.add(new float[] {1f, 0f}, 0));
        assertTrue(e.getMessage().contains("expected: 3"), e.getMessage());
        assertEquals(0, s.rows());
    }
}
