package dev.jvision.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Stratified fold assignment.
 *
 * <p>Stateless utility; thread-safe. Returned arrays are new and owned by the caller.
 */
public final class Folds {
    /** Share of samples in the validation fold when {@code k == 1}. */
    public static final int HOLDOUT_PARTS = 5;

    private Folds() {}

    /**
     * Stratified K-fold: the fold (0..k-1) of each sample, deterministic for a seed. The
     * indices of each class (classes in ascending label order) are shuffled with
     * {@code SplittableRandom(seed)} and dealt round-robin, the start fold rotating on from where
     * the previous class ended, so per class the fold counts differ by at most 1 and the fold
     * sizes overall differ by at most 1.
     *
     * <p>{@code k == 1} is a single stratified hold-out: fold 0 holds ~20% of each class (the
     * validation set), every other sample gets {@code -1} (never validated). So for any k the
     * validation set of fold f is {@code folds[i] == f} and its training set {@code folds[i] != f}.
     *
     * @param labels class per sample; any int (unlabelled -1 counts as its own class)
     * @throws IllegalArgumentException if {@code k < 1}, {@code k > labels.length}, or
     *                                  {@code k == 1} with fewer than 2 samples
     */
    public static int[] stratified(int[] labels, int k, long seed) {
        int n = labels.length;
        if (k < 1) throw new IllegalArgumentException("k must be >= 1, got " + k);
        if (k > n) throw new IllegalArgumentException("k = " + k + " folds but only " + n + " samples");
        if (k == 1 && n < 2) throw new IllegalArgumentException("a hold-out split needs >= 2 samples, got " + n);
        int parts = k == 1 ? HOLDOUT_PARTS : k;
        TreeMap<Integer, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < n; i++) byClass.computeIfAbsent(labels[i], c -> new ArrayList<>()).add(i);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] fold = new int[n];
        int start = 0;
        for (List<Integer> idx : byClass.values()) {
            for (int i = idx.size() - 1; i > 0; i--) { // Fisher-Yates
                int j = rnd.nextInt(i + 1);
                Integer t = idx.get(i);
                idx.set(i, idx.get(j));
                idx.set(j, t);
            }
            for (int j = 0; j < idx.size(); j++) fold[idx.get(j)] = (start + j) % parts;
            start = (start + idx.size()) % parts;
        }
        if (k == 1) for (int i = 0; i < n; i++) if (fold[i] != 0) fold[i] = -1;
        return fold;
    }
}
