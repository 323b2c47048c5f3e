package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class FoldsTest {
    private static int[] labels() {
        int[] l = new int[103]; // class sizes 50, 30, 17, 6
        for (int i = 0; i < l.length; i++) l[i] = i < 50 ? 0 : i < 80 ? 1 : i < 97 ? 2 : 3;
        return l;
    }

    @Test
    void stratified_eachClassBalancedAcrossFolds_disjointAndCovering() {
        int[] labels = labels();
        int k = 5;
        int[] f = Folds.stratified(labels, k, 42);
        assertEquals(labels.length, f.length);
        int[][] counts = new int[4][k];
        int[] sizes = new int[k];
        for (int i = 0; i < f.length; i++) {
            assertTrue(f[i] >= 0 && f[i] < k); // one fold per sample: disjoint and covering
            counts[labels[i]][f[i]]++;
            sizes[f[i]]++;
        }
        for (int[] c : counts) {
            int min = Integer.MAX_VALUE, max = 0;
            for (int v : c) { min = Math.min(min, v); max = Math.max(max, v); }
            assertTrue(max - min <= 1, "class spread " + java.util.Arrays.toString(c));
        }
        int min = Integer.MAX_VALUE, max = 0;
        for (int v : sizes) { min = Math.min(min, v); max = Math.max(max, v); }
        assertTrue(max - min <= 1, java.util.Arrays.toString(sizes));
    }

    @Test
    void stratified_deterministicBySeed() {
        int[] labels = labels();
        assertArrayEquals(Folds.stratified(labels, 5, 7), Folds.stratified(labels, 5, 7));
        assertFalse(java.util.Arrays.equals(Folds.stratified(labels, 5, 7), Folds.stratified(labels, 5, 8)));
    }

    @Test
    void kOne_isStratifiedTwentyPercentHoldout() {
        int[] labels = labels();
        int[] f = Folds.stratified(labels, 1, 3);
        int[] val = new int[4], tot = new int[4];
        for (int i = 0; i < f.length; i++) {
            assertTrue(f[i] == 0 || f[i] == -1);
            tot[labels[i]]++;
            if (f[i] == 0) val[labels[i]]++;
        }
        int totalVal = 0;
        for (int c = 0; c < 4; c++) {
            assertTrue(val[c] == tot[c] / 5 || val[c] == (tot[c] + 4) / 5, "class " + c + ": " + val[c] + " of " + tot[c]);
            totalVal += val[c];
        }
        assertTrue(totalVal == 20 || totalVal == 21, "validation size " + totalVal); // 103 / 5
    }

    @Test
    void badK_throws() {
        assertThrows(IllegalArgumentException.class, () -> Folds.stratified(new int[] {0, 1}, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> Folds.stratified(new int[] {0, 1}, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Folds.stratified(new int[] {0}, 1, 1));
    }
}
