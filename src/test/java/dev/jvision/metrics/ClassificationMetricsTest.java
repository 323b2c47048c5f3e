package dev.jvision.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {
    // target    = 0 0 1 1 2 2
    // predicted = 0 1 1 1 2 0
    private static final int[] TARGET = {0, 0, 1, 1, 2, 2};
    private static final int[] PREDICTED = {0, 1, 1, 1, 2, 0};
    // class 0: tp 1, fn 1 (row 1), fp 1 (row 5) -> F1 = 2*1 / (2*1 + 1 + 1) = 0.5
    // class 1: tp 2, fn 0, fp 1 (row 1)          -> F1 = 2*2 / (2*2 + 1 + 0) = 0.8
    // class 2: tp 1, fn 1 (row 5), fp 0          -> F1 = 2*1 / (2*1 + 0 + 1) = 2/3
    // macro-F1 = (0.5 + 0.8 + 2/3) / 3 = 0.655555...
    private static final double EXPECTED_F1 = (0.5 + 0.8 + 2.0 / 3.0) / 3.0;

    @Test
    void macroF1_perfectPredictionIsOne() {
        int[] t = {0, 1, 2, 2, 1, 0};
        assertEquals(1.0, ClassificationMetrics.macroF1(t.clone(), t, 3), 1e-12);
    }

    @Test
    void macroF1_matchesHandComputedThreeClassExample() {
        assertEquals(EXPECTED_F1, ClassificationMetrics.macroF1(PREDICTED, TARGET, 3), 1e-12);
    }

    @Test
    void macroF1_ignoresAbsentClasses() {
        // classes 3..6 occur neither in targets nor in predictions: the mean stays over 3 classes
        assertEquals(EXPECTED_F1, ClassificationMetrics.macroF1(PREDICTED, TARGET, 7), 1e-12);
    }

    @Test
    void macroF1_countsClassThatIsOnlyPredicted() {
        // class 0: tp 1, fn 1, fp 0 -> 2/3; class 1 (predicted, never true): tp 0, fp 1 -> 0; mean 1/3
        assertEquals(1.0 / 3.0, ClassificationMetrics.macroF1(new int[] {0, 1}, new int[] {0, 0}, 2), 1e-12);
    }

    @Test
    void accuracy_isFractionOfMatches() {
        assertEquals(4.0 / 6.0, ClassificationMetrics.accuracy(PREDICTED, TARGET), 1e-12);
        assertEquals(0.0, ClassificationMetrics.accuracy(new int[0], new int[0]), 0.0);
    }

    @Test
    void confusion_countsTrueByPredicted() {
        long[][] m = ClassificationMetrics.confusion(PREDICTED, TARGET, 3);
        assertArrayEquals(new long[] {1, 1, 0}, m[0]);
        assertArrayEquals(new long[] {0, 2, 0}, m[1]);
        assertArrayEquals(new long[] {1, 0, 1}, m[2]);
    }

    @Test
    void argmax_tiesPickTheFirst() {
        float[][] scores = {{0.2f, 0.4f, 0.4f}, {1f, 1f, 1f}, {-3f, -1f, -2f}};
        assertArrayEquals(new int[] {1, 0, 1}, ClassificationMetrics.argmax(scores));
    }

    @Test
    void macroF1_lengthMismatchThrowsNamingLengths() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.macroF1(new int[] {0, 1}, new int[] {0, 1, 2}, 3));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.accuracy(new int[] {0}, new int[] {0, 1}));
    }

    @Test
    void macroF1_outOfRangeTargetThrowsNamingValue() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.macroF1(new int[] {0, 1}, new int[] {0, 7}, 3));
        assertTrue(e.getMessage().contains("target 7"), e.getMessage());
    }

    @Test
    void macroF1_negativePredictionThrowsNamingValue() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.macroF1(new int[] {-1, 1}, new int[] {0, 1}, 3));
        assertTrue(e.getMessage().contains("predicted -1"), e.getMessage());
    }

    @Test
    void macroF1_nonPositiveClassCountThrows() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.macroF1(new int[0], new int[0], -1));
        assertTrue(e.getMessage().contains("numClasses: -1"), e.getMessage());
    }

    @Test
    void topKAccuracy_knownLogits() {
        // 7 classes; targets ranked 1st, 2nd, 5th, 6th and 7th by their rows' logits
        float[][] logits = {
                {9, 1, 2, 3, 4, 5, 6},
                {5, 9, 1, 2, 3, 4, 0},
                {1, 2, 7, 6, 5, 4, 3},
                {0, 6, 5, 4, 3, 2, 1},
                {6, 5, 4, 3, 2, 1, 0}};
        int[] targets = {0, 0, 6, 0, 6};
        assertEquals(0.2, ClassificationMetrics.topKAccuracy(logits, targets, 1), 1e-12);
        assertEquals(ClassificationMetrics.accuracy(ClassificationMetrics.argmax(logits), targets),
                ClassificationMetrics.topKAccuracy(logits, targets, 1), 1e-12, "top-1 is accuracy");
        assertEquals(0.4, ClassificationMetrics.topKAccuracy(logits, targets, 2), 1e-12);
        assertEquals(0.6, ClassificationMetrics.topKAccuracy(logits, targets, 5), 1e-12);
        assertEquals(1.0, ClassificationMetrics.topKAccuracy(logits, targets, 7), 1e-12);
        assertEquals(1.0, ClassificationMetrics.topKAccuracy(logits, targets, 50), 1e-12, "k above classes: all");
        // ties: equal scores rank by class index, as a stable sort
        float[][] tie = {{1, 1, 1, 1, 1, 1}};
        assertEquals(1.0, ClassificationMetrics.topKAccuracy(tie, new int[] {4}, 5), 0.0);
        assertEquals(0.0, ClassificationMetrics.topKAccuracy(tie, new int[] {5}, 5), 0.0);
        assertEquals(0.0, ClassificationMetrics.topKAccuracy(new float[0][], new int[0], 5), 0.0);
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.topKAccuracy(logits, targets, 0));
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.topKAccuracy(logits, new int[] {0, 0, 9, 0, 0}, 5));
    }
}
