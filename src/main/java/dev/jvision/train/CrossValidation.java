package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.data.Dataset;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.track.MemoryStats;
import dev.jvision.track.OofLogits;
import dev.jvision.track.RunDir;
import dev.jvision.train.listeners.LoggingListener;
import dev.jvision.train.listeners.MetricsCsvListener;
import dev.jvision.train.listeners.ProgressListener;
import dev.jvision.train.listeners.TensorBoardListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K-fold training on the {@link Trainer} over a {@link RunContext}: trains the fits of its split
 * (the folds listed in {@code train.folds}, all by default, of a stratified {@code train.n_folds}
 * split) one after the other into a run folder (checkpoints, {@code metrics.csv},
 * TensorBoard, {@code fold<k>/result.json}), and scores the out-of-fold predictions. Each fold's
 * model, optimiser and buffers are closed when its fit returns, and the CUDA cache is emptied,
 * so folds do not accumulate native memory. With fixed validation rows one model is trained
 * instead, as fold 0. Not thread-safe.
 */
public final class CrossValidation {
    private static final Logger LOG = LoggerFactory.getLogger(CrossValidation.class);

    private CrossValidation() {}

    /**
     * The result of all trained folds; {@code oofTop5} is the out-of-fold top-5 accuracy
     * (top-min(5, classes)), NaN when unknown.
     */
    public record Result(List<FoldResult> folds, double meanF1, double oofF1, double oofAcc, double oofTop5) {
        /** Without a top-5 score (NaN). */
        public Result(List<FoldResult> folds, double meanF1, double oofF1, double oofAcc) {
            this(folds, meanF1, oofF1, oofAcc, Double.NaN);
        }
    }

    /**
     * Trains every fit of the run ({@link RunContext#splits()}: the selected folds, or one hold-out
     * fit with fixed validation rows) into {@code run}: checkpoints, {@code metrics.csv},
     * TensorBoard, {@code fold<k>/result.json}; with {@code resume}, folds whose {@code result.json}
     * exists are read back instead of trained and an interrupted fold continues from its
     * {@code last.safetensors}. Writes {@code oof_logits.csv} (out-of-fold logits; hold-out: the
     * validation set's at the best epoch, for calibration and ensemble weighting) atomically.
     * A hold-out fit is fold {@link RunContext#HOLDOUT_FOLD}, so inference, reports and resume
     * treat it like a one-fold run.
     */
    public static Result run(RunContext ctx, RunDir run, boolean resume) throws IOException {
        if (ctx.holdout() && (ctx.samples().isEmpty() || ctx.validation().isEmpty())) {
            throw new IllegalArgumentException("hold-out training: " + ctx.samples().size() + " train and "
                    + ctx.validation().size() + " validation images (expected: at least one of each)");
        }
        checkLabels(ctx.experiment(), ctx.samples());
        if (ctx.holdout()) {
            checkLabels(ctx.experiment(), ctx.validation());
        }
        return runSplits(ctx, ctx.splits(), run, resume);
    }

    /** The fold number (and {@code fold<k>/} folder) of a hold-out fit. */
    public static final int HOLDOUT_FOLD = RunContext.HOLDOUT_FOLD;

    private static void checkLabels(Experiment exp, List<Sample> samples) {
        int maxLabel = 0;
        for (Sample s : samples) {
            maxLabel = Math.max(maxLabel, s.label());
        }
        if (maxLabel >= exp.model().numClasses()) {
            throw new IllegalArgumentException("model.num_classes: " + exp.model().numClasses() + " (expected: > "
                    + maxLabel + ", the largest target in the training data)");
        }
    }

    private static Result runSplits(RunContext ctx, List<RunContext.Split> splits, RunDir run, boolean resume)
            throws IOException {
        Experiment exp = ctx.experiment();
        ImageCache cache = ctx.cache();
        List<FoldResult> results = new ArrayList<>();
        try (ProgressListener progress = new ProgressListener();
             TensorBoardListener tb = new TensorBoardListener(run.dir().resolve("tensorboard"))) {
            for (RunContext.Split split : splits) {
                int f = split.fold();
                List<Sample> tr = split.train();
                List<Sample> va = split.validation();
                FoldResult r = resume ? readResult(run.foldDir(f), va) : null;
                if (r != null) {
                    LOG.info("fold {}: already finished (result.json), not retrained", f);
                } else {
                    Trainer.Builder b = ctx.trainer(f).checkpoints(run.foldDir(f)).resume(resume)
                            .callback(new LoggingListener()).callback(new MetricsCsvListener(run.metrics()))
                            .callback(progress);
                    if (exp.train().logging().tensorboard()) {
                        b.callback(tb);
                    }
                    String arch = exp.model().modelForFold(f);
                    FitResult fit = b.build().fit(ModelFactory.of(exp.model(), arch, exp.model().numClasses(), ctx.device()),
                            Dataset.of(tr, cache), Dataset.of(va, cache));
                    r = new FoldResult(f, fit.best().epoch(), fit.best().metric("val_f1"), fit.best().metric("val_acc"),
                            fit.best().metric("val_loss"),
                            fit.bestCheckpoint(), va, fit.bestLogits(), fit.seconds());
                    if (ctx.isMain()) {
                        writeResult(run.foldDir(f).resolve("result.json"), arch, r);
                    }
                    // the fold's natives are closed; hand the allocator's cached blocks back
                    MemoryStats.emptyCudaCache();
                }
                LOG.info("fold {} done: best val_f1 {} (epoch {}) in {} s", f, String.format("%.4f", r.bestF1()),
                        r.bestEpoch(), String.format("%.0f", r.seconds()));
                results.add(r);
            }
        }
        double mean = results.stream().mapToDouble(FoldResult::bestF1).average().orElse(0);
        List<Integer> preds = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        for (FoldResult r : results) {
            int[] p = ClassificationMetrics.argmax(r.oofLogits());
            for (int i = 0; i < p.length; i++) {
                preds.add(p[i]);
                targets.add(r.validation().get(i).label());
                rows.add(r.oofLogits()[i]);
            }
        }
        int[] pa = preds.stream().mapToInt(Integer::intValue).toArray();
        int[] ta = targets.stream().mapToInt(Integer::intValue).toArray();
        double oof = ClassificationMetrics.macroF1(pa, ta, exp.model().numClasses());
        if (ctx.isMain() && results.stream().allMatch(r -> r.oofLogits() != null)) {
            FoldResult.gatherOof(results).write(run.dir().resolve(OofLogits.FILE));
        }
        double oofAcc = ClassificationMetrics.accuracy(pa, ta);
        double oofTop5 = ClassificationMetrics.topKAccuracy(rows.toArray(new float[0][]), ta,
                Math.min(5, exp.model().numClasses()));
        return new Result(results, mean, oof, oofAcc, oofTop5);
    }

    /** The folds {@code train.folds} selects: all of {@code train.n_folds} by default. */
    public static List<Integer> selectedFolds(Experiment exp) {
        if (exp.train().cv().folds() != null) {
            return exp.train().cv().folds();
        }
        List<Integer> all = new ArrayList<>();
        for (int f = 0; f < exp.train().cv().nFolds(); f++) {
            all.add(f);
        }
        return all;
    }

    /** What result.json holds: the fold's scores and out-of-fold logits. */
    public record SavedResult(int fold, String model, int bestEpoch, double bestF1, double bestAcc, double bestLoss,
                              double seconds, List<String> ids, float[][] oofLogits) {}

    private static void writeResult(Path file, String arch, FoldResult r) throws IOException {
        List<String> ids = r.validation().stream().map(Sample::id).toList();
        SavedResult s = new SavedResult(r.fold(), arch, r.bestEpoch(), r.bestF1(), r.bestAcc(), r.bestLoss(),
                r.seconds(), ids, r.oofLogits());
        AtomicFiles.write(file, tmp -> Checkpoints.JSON.writeValue(tmp.toFile(), s));
    }

    /** Reads a finished fold's {@code result.json}, or null when the fold has not finished. */
    public static FoldResult readResult(Path foldDir, List<Sample> val) throws IOException {
        Path f = foldDir.resolve("result.json");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        SavedResult s = Checkpoints.JSON.readValue(f.toFile(), SavedResult.class);
        List<String> ids = val.stream().map(Sample::id).toList();
        if (!ids.equals(s.ids())) {
            throw new IllegalArgumentException(f + ": validation samples differ from this run's fold split "
                    + "(expected: the same data and train.n_folds / experiment.seed, or the same validation manifest)");
        }
        return new FoldResult(s.fold(), s.bestEpoch(), s.bestF1(), s.bestAcc(), s.bestLoss(),
                foldDir.resolve("best.safetensors"), val, s.oofLogits(), s.seconds());
    }
}
