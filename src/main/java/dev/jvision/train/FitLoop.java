package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.BatchUploader;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.ShutdownGate;
import dev.jvision.track.MemoryStats;
import dev.jvision.train.task.Task;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Trainer} fit: the epoch loop over a training set and its validation, with every
 * side effect (checkpoints, early stopping, logs) in {@link Callback}s over a {@link FitContext},
 * the task's specifics in its {@link Task.Session} and data parallelism in a {@link DataParallel}.
 * Where the loop stands lives here (and in the context callbacks read) and is snapshotted into a
 * {@link FoldProgress} for the resumable checkpoint. Used once; not thread-safe.
 */
final class FitLoop {
    private static final Logger LOG = LoggerFactory.getLogger(FitLoop.class);
    private final Trainer trainer;
    private final Experiment exp;
    private final TrainConfig t;
    private final Device device;
    private final DataParallel parallel;
    private final int fold;
    private final Task task;
    private final List<Callback> callbacks;
    /** {@code train.max_time}: the clock behind the schedule, and whether the budget is spent. */
    private final TimeBudget budget;

    private FitContext ctx;
    private StepStack stack;
    private EpochPlan plan;
    private BatchUploader uploader;
    private String arch;
    // where the loop stands (see FoldProgress); ctx holds the rest (epoch, batch, step, best)
    private int epoch;
    private double lossSum;
    private long images;
    private float[][] bestPredictions;
    private EarlyStopping tracker;
    private List<TopK.Entry> topK = List.of();
    private boolean timeUp;
    // the epoch in progress
    private long skippedBefore;
    private long epochStart;
    private long imagesHere;
    /** Side of the epoch's training batches. */
    private int epochImgSize;

    FitLoop(Trainer trainer, TrainConfig t) {
        this.trainer = trainer;
        this.exp = trainer.experiment();
        this.t = t;
        this.device = trainer.device();
        this.parallel = trainer.parallel();
        this.fold = trainer.fold();
        this.task = trainer.task();
        this.budget = new TimeBudget(t.stopping().maxTime(), trainer.clock());
        List<Callback> all = new ArrayList<>(parallel.isMain() ? trainer.callbacks() : List.of());
        // the trainer's own callbacks run after the user's, so that those see an epoch's scores before its files
        if (trainer.checkpoints() != null) {
            all.add(new CheckpointCallback(trainer.checkpoints(), parallel.isMain(), t.checkpoint().saveTopK(),
                    t.checkpoint().everySteps(), exp.data().imgSize(), trainer::classNames));
        }
        if (t.stopping().earlyStoppingPatience() > 0) {
            all.add(new EarlyStoppingCallback(t.stopping().earlyStoppingPatience()));
        }
        this.callbacks = List.copyOf(all);
    }

    FitResult run(ImageModel model, String arch, Dataset train, Dataset val) throws IOException {
        this.arch = arch;
        task.check(model, train, val);
        long start = System.nanoTime();
        Checkpoints checkpoints = trainer.checkpoints();
        boolean resuming = trainer.resume() && checkpoints != null && checkpoints.hasLast();
        long seed = trainer.seed();
        parallel.prepare(model);
        plan = EpochPlan.of(exp.data().imgSizes(), exp.data().batchFollowsSize(), t.batch().size(), t.epochs(),
                t.batch().accumSteps(), train.size(), parallel.worldSize());
        boolean progressive = !exp.data().imgSizes().isFixed();
        if (progressive) {
            LOG.info("fold {}: progressive resize {}", fold, plan.describe());
        }
        try (ShutdownGate.Entered gate = ShutdownGate.enter();
             Task.Session session = task.open(model, device);
             TrainLoaders loaders = new TrainLoaders(train, seed, plan, parallel, exp.data().imgSize(), progressive,
                     exp.data().loader().prefetch(), fold);
             BatchUploader upload = new BatchUploader(device)) {
            if (t.modelSetup().whitening().enabled()) {
                WhiteningInit.apply(model, t.modelSetup().whitening(), train, exp.data().imgSize(), session, upload, resuming);
            }
            fitSteps(model, train, val, session, loaders, upload, resuming, seed);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        FitResult r = new FitResult(fold, arch, ctx.best, bestPredictions, checkpoints == null ? null : checkpoints.best(),
                seconds);
        for (Callback cb : callbacks) {
            cb.onFitEnd(ctx, r);
        }
        return r;
    }

    /** The epochs of a fit over its step stack (built after the model's initialisation is final). */
    private void fitSteps(ImageModel model, Dataset train, Dataset val, Task.Session session, TrainLoaders loaders,
                          BatchUploader upload, boolean resuming, long seed) throws IOException {
        Checkpoints checkpoints = trainer.checkpoints();
        try (StepStack c = StepStack.build(model, t, StepEngine.resolveAmp(t.precision().amp(), device), device,
                plan.referenceStepsPerEpoch(), session, parallel.gradientSync())) {
            uploader = upload;
            stack = c;
            FoldProgress p = FoldProgress.start(fold, arch);
            if (resuming) {
                Checkpoints.Restored r = checkpoints.restore(arch, c);
                p = r.progress();
                bestPredictions = r.bestLogits();
            }
            restore(p, model, train.size(), val.size(), c.describe(t));
            for (Callback cb : callbacks) {
                cb.onFitStart(ctx);
            }
            budget.start(p.trainNanos());
            timeUp = budget.spent(p.trainNanos());
            while (epoch < t.epochs() && !ctx.stopRequested() && !timeUp) {
                trainEpoch(session, train, loaders.at(epoch), seed);
                endEpoch(model, session, val);
            }
        }
    }

    private void restore(FoldProgress p, ImageModel model, int trainSize, int valSize, String setup) {
        epoch = p.epoch();
        lossSum = p.sums().loss();
        images = p.sums().images();
        topK = p.monitor().topK();
        tracker = new EarlyStopping(0, task.monitor().minimise(), t.checkpoint().minDelta(), p.monitor().best(),
                p.monitor().sinceBest());
        ctx = new FitContext(this, fold, arch, model, task, device, trainSize, valSize, t.epochs(), plan, setup,
                p.epoch() + 1, p.batch(), callbacks);
        ctx.step = p.optimizerSteps();
        ctx.best = p.best();
        ctx.sinceBest = p.monitor().sinceBest();
        if (p.monitor().stopped()) {
            ctx.requestStop("the resumed fit had stopped");
        }
    }

    /** The resumable state now: what {@code last.safetensors} records. */
    FoldProgress progress() {
        return new FoldProgress(fold, arch, epoch, ctx.batch, ctx.step, new FoldProgress.EpochSums(lossSum, images),
                ctx.best, new FoldProgress.Monitor(tracker.best(), tracker.sinceBest(), topK, ctx.stopRequested()),
                new FoldProgress.Components(stack.scaler().skippedSteps(), stack.ema() == null ? 0 : stack.ema().updates(),
                        stack.schedule().state()), budget.spentNanos());
    }

    StepStack stack() {
        return stack;
    }

    /** The best epoch's validation predictions, or null before one. */
    float[][] bestPredictions() {
        return bestPredictions;
    }

    /** The retained top-k epochs (kept in the resumable state). */
    List<TopK.Entry> topK() {
        return topK;
    }

    void topK(List<TopK.Entry> entries) {
        this.topK = List.copyOf(entries);
    }

    /** Trains the rest of epoch {@code epoch} from batch {@code ctx.batch}. */
    private void trainEpoch(Task.Session session, Dataset train, BatchLoader loader, long seed) throws IOException {
        int batches = plan.batches(epoch);
        int batch = ctx.batch;
        stack.model().train(true);
        MemoryStats.resetPeak(device);
        loader.startEpoch(epoch);
        for (int i = 0; i < batch; i++) {
            loader.next();
        }
        if (batch == 0) {
            lossSum = 0;
            images = 0;
        }
        skippedBefore = stack.scaler().skippedSteps();
        epochStart = System.nanoTime();
        imagesHere = 0;
        epochImgSize = plan.imgSize(epoch);
        ctx.epoch = epoch + 1;
        ctx.lr = stack.schedule().at(plan.scheduleStep(ctx.step));
        for (Callback cb : callbacks) {
            cb.onEpochStart(ctx);
        }
        StepEngine engine = stack.engine();
        while (loader.hasNext()) {
            ShutdownGate.safePoint(); // a JVM being killed exits here, between steps, not inside libtorch
            for (Callback cb : callbacks) {
                cb.onStepStart(ctx);
            }
            Batch b = loader.next();
            epochImgSize = b.height();
            float loss;
            try (var scope = Memory.step()) {
                Tensor raw = uploader.images(b);
                Task.Example ex = session.train(raw, b, train, epoch, t.epochs(),
                        (seed + 104_729L * parallel.rank()) * 1_000_003L + (long) epoch * batches + batch);
                loss = engine.accumulate(ex.input(), ex.targets());
            } catch (RuntimeException e) {
                throw StepStack.outOfMemory(e, "training", plan.batchSize(epoch), device);
            }
            batch++;
            ctx.batch = batch;
            lossSum += (double) loss * b.size();
            images += b.size();
            imagesHere += b.size();
            if (engine.readyToStep() || batch == batches) {
                long spent = parallel.spentNanos(budget.spentNanos(), budget.limited());
                long at = plan.scheduleStep(budget.scheduleStep(ctx.step, Math.max(1, plan.totalSteps()), spent));
                ctx.lr = stack.schedule().at(at);
                timeUp = budget.spent(spent);
                try (var scope = Memory.step()) {
                    engine.step(ctx.lr);
                }
                ctx.step++;
                stack.afterStep(ctx.step, at);
            }
            double secs = (System.nanoTime() - epochStart) / 1e9;
            Callback.Step step = new Callback.Step(epoch + 1, batch, ctx.step, loss, lossSum / images, ctx.lr,
                    imagesHere / secs);
            for (Callback cb : callbacks) {
                cb.onStepEnd(ctx, step);
            }
            if (timeUp || ctx.stopRequested()) {
                return;
            }
        }
    }

    /** Validates, lets the callbacks keep checkpoints and stop, reports the epoch and advances. */
    private void endEpoch(ImageModel model, Task.Session session, Dataset val) throws IOException {
        double secs = (System.nanoTime() - epochStart) / 1e9;
        boolean swapped = stack.ema() != null && t.ema().eval();
        if (swapped) {
            stack.ema().swap();
        }
        float[][] predictions;
        try {
            predictions = parallel.predict(model, session, val, exp.data().imgSize(), exp.infer().batchSize(),
                    exp.data().loader().prefetch(), device);
        } catch (RuntimeException e) {
            throw StepStack.outOfMemory(e, "validation", exp.infer().batchSize(), device);
        }
        int e1 = epoch + 1;
        Callback.Validation v = score(e1, predictions, session.score(predictions, val));
        ctx.validation = v;
        if (v.improved()) {
            ctx.best = new BestEpoch(e1, v.metrics());
            bestPredictions = predictions;
        }
        // with EMA evaluation the callbacks (best and top-k checkpoints) see the EMA weights
        for (Callback cb : callbacks) {
            cb.onValidation(ctx, v);
        }
        if (swapped) {
            stack.ema().swap();
        }
        stack.schedule().observe(v.monitored());
        double trainLoss = images == 0 ? 0 : lossSum / images;
        long skipped = stack.scaler().skippedSteps();
        Callback.Epoch summary = new Callback.Epoch(e1, trainLoss, v, ctx.lr, imagesHere / secs,
                MemoryStats.peakBytes(device) >> 20, skipped, skipped - skippedBefore, secs, ctx.stopRequested(),
                epochImgSize);
        int partial = ctx.batch;
        boolean spentBefore = timeUp;
        timeUp = budget.spent(parallel.spentNanos(budget.spentNanos(), budget.limited()));
        if (timeUp && parallel.isMain()) {
            LOG.info("fold {}: train.max_time {} spent in epoch {} {}; the fit ends here", fold, dev.jvision.config.Durations.format(t.stopping().maxTime()), e1,
                    !spentBefore ? "during its validation" : partial < plan.batches(epoch) ? "after batch " + partial
                            + " of " + plan.batches(epoch) + " (the partial epoch was validated)" : "at its end");
        }
        epoch = e1;
        ctx.batch = 0;
        lossSum = 0;
        images = 0;
        for (Callback cb : callbacks) {
            cb.onEpochEnd(ctx, summary);
        }
    }

    private Callback.Validation score(int e1, float[][] predictions, Map<String, Double> metrics) {
        Double value = metrics.get(task.monitor().metric());
        if (value == null) {
            throw new IllegalStateException("task " + task.name() + ": no metric '" + task.monitor().metric()
                    + "' among its scores " + metrics.keySet() + " (expected: the monitor's metric)");
        }
        boolean improved = tracker.observe(value);
        ctx.sinceBest = tracker.sinceBest();
        return new Callback.Validation(e1, metrics, value, improved, predictions);
    }
}
