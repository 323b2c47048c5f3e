package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.data.Folds;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.track.MemoryStats;
import dev.jvision.track.OofLogits;
import dev.jvision.track.RunDir;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stratified K-fold training: splits the labelled samples with {@code train.n_folds} and the
 * experiment seed, trains the folds listed in {@code train.folds} (all by default) one after
 * the other, and scores the out-of-fold predictions. Not thread-safe.
 */
public final class CrossValidation {
    private static final Logger LOG = LoggerFactory.getLogger(CrossValidation.class);

    private CrossValidation() {}

    /** The result of all trained folds. */
    public record Result(List<FoldResult> folds, double meanF1, double oofF1, double oofAcc) {}

    /** Trains every selected fold; checkpoints and metrics go to {@code run}. */
    public static Result run(Experiment exp, List<Sample> samples, ImageCache cache, Device device,
                             List<String> classNames, RunDir run) throws IOException {
        return run(exp, samples, cache, device, classNames, run, false);
    }

    /**
     * Trains every selected fold; with {@code resume}, folds whose {@code result.json} exists
     * are read back instead of trained and an interrupted fold continues from its
     * {@code last.safetensors}. Between folds all native memory of the fold is released (and
     * the CUDA cache emptied). Writes {@code oof_logits.csv} (out-of-fold logits, for calibration and ensemble weighting) atomically.
     */
    public static Result run(Experiment exp, List<Sample> samples, ImageCache cache, Device device,
                             List<String> classNames, RunDir run, boolean resume) throws IOException {
        int k = exp.train().nFolds();
        int[] labels = samples.stream().mapToInt(Sample::label).toArray();
        int maxLabel = 0;
        for (int l : labels) {
            maxLabel = Math.max(maxLabel, l);
        }
        if (maxLabel >= exp.model().numClasses()) {
            throw new IllegalArgumentException("model.num_classes: " + exp.model().numClasses() + " (expected: > "
                    + maxLabel + ", the largest target in the training CSV)");
        }
        int[] fold = Folds.stratified(labels, k, exp.experiment().seed());
        List<Integer> selected = exp.train().folds();
        if (selected == null) {
            selected = new ArrayList<>();
            for (int f = 0; f < k; f++) {
                selected.add(f);
            }
        }
        Trainer trainer = new Trainer(exp, device, classNames);
        List<FoldResult> results = new ArrayList<>();
        for (int f : selected) {
            List<Sample> tr = new ArrayList<>();
            List<Sample> va = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                (fold[i] == f ? va : tr).add(samples.get(i));
            }
            FoldResult r = resume ? Trainer.readResult(run.foldDir(f), va) : null;
            if (r != null) {
                LOG.info("fold {}: already finished (result.json), not retrained", f);
            } else {
                r = trainer.fit(f, tr, va, cache, run, resume);
                // the fold's model, optimiser and EMA are closed: give freed blocks back
                System.gc();
                MemoryStats.emptyCudaCache();
            }
            LOG.info("fold {} done: best val_f1 {} (epoch {}) in {} s", f, String.format("%.4f", r.bestF1()),
                    r.bestEpoch(), String.format("%.0f", r.seconds()));
            results.add(r);
        }
        double mean = results.stream().mapToDouble(FoldResult::bestF1).average().orElse(0);
        List<Integer> preds = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        for (FoldResult r : results) {
            int[] p = ClassificationMetrics.argmax(r.oofLogits());
            for (int i = 0; i < p.length; i++) {
                preds.add(p[i]);
                targets.add(r.validation().get(i).label());
            }
        }
        int[] pa = preds.stream().mapToInt(Integer::intValue).toArray();
        int[] ta = targets.stream().mapToInt(Integer::intValue).toArray();
        double oof = ClassificationMetrics.macroF1(pa, ta, exp.model().numClasses());
        if (results.stream().allMatch(r -> r.oofLogits() != null)) {
            FoldResult.gatherOof(results).write(run.dir().resolve(OofLogits.FILE));
        }
        double oofAcc = ClassificationMetrics.accuracy(pa, ta);
        return new Result(results, mean, oof, oofAcc);
    }
}
