package dev.jvision.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code train:} section: optimisation schedule and cross-validation.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor and {@code folds} is
 * copied into an unmodifiable list.
 *
 * @param epochs training epochs, &gt;= 1 (default 10)
 * @param batchSize training batch size, &gt;= 1 (default 32)
 * @param lr peak learning rate, &gt; 0 (default 1e-3)
 * @param weightDecay weight decay, &gt;= 0 (default 0.05)
 * @param warmupEpochs linear warm-up length in (fractional) epochs, &gt;= 0 (default 1.0)
 * @param minLr final learning rate of the schedule, in [0, lr] (default 1e-6)
 * @param labelSmoothing label smoothing, in [0, 1) (default 0.1)
 * @param nFolds number of folds, &gt;= 1; 1 = a single stratified hold-out split (default 5)
 * @param folds the folds to run, each in [0, nFolds), distinct; nullable (default null = all)
 * @param earlyStoppingPatience epochs without improvement before stopping, 0 = off (default 0)
 * @param gradClip gradient-norm clip, 0 = off (default 0.0)
 * @param logEvery log every N steps, &gt;= 1 (default 10)
 */
public record TrainConfig(
        int epochs,
        int batchSize,
        double lr,
        double weightDecay,
        double warmupEpochs,
        double minLr,
        double labelSmoothing,
        int nFolds,
        List<Integer> folds,
        int earlyStoppingPatience,
        double gradClip,
        int logEvery) {

    public TrainConfig {
        Checks.atLeast("epochs", epochs, 1);
        Checks.atLeast("batch_size", batchSize, 1);
        Checks.positive("lr", lr);
        Checks.nonNegative("weight_decay", weightDecay);
        Checks.nonNegative("warmup_epochs", warmupEpochs);
        Checks.nonNegative("min_lr", minLr);
        if (minLr > lr) throw Checks.fail("min_lr", minLr, "<= lr (" + lr + ")");
        Checks.halfOpen("label_smoothing", labelSmoothing, 0.0, 1.0);
        Checks.atLeast("n_folds", nFolds, 1);
        if (folds != null) {
            if (folds.isEmpty()) throw Checks.fail("folds", List.of(), "a non-empty list, or null for all folds");
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < folds.size(); i++) {
                Integer f = folds.get(i);
                String key = "folds[" + i + "]";
                if (f == null) throw Checks.fail(key, null, "integer");
                if (f < 0 || f >= nFolds) throw Checks.fail(key, f, "in [0, " + nFolds + ") since n_folds is " + nFolds);
                if (!seen.add(f)) throw Checks.fail(key, f, "distinct fold indices");
            }
            folds = List.copyOf(folds);
        }
        Checks.atLeast("early_stopping_patience", earlyStoppingPatience, 0);
        Checks.nonNegative("grad_clip", gradClip);
        Checks.atLeast("log_every", logEvery, 1);
    }

    /** @return the section with every field at its default */
    public static TrainConfig defaults() {
        return new TrainConfig(10, 32, 1e-3, 0.05, 1.0, 1e-6, 0.1, 5, null, 0, 0.0, 10);
    }
}
