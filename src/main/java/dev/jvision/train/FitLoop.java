package dev.jvision.train;

import dev.jvision.augment.Augmenter;
import dev.jvision.augment.BatchTransform;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.BatchUploader;
import dev.jvision.data.Dataset;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.ShutdownGate;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.track.MemoryStats;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link Trainer} fit: the epoch loop over a training set, validation, checkpoints and
 * listener events. Mutable loop state lives here and is snapshotted into a {@link FoldProgress}
 * for the resumable checkpoint. Used once; not thread-safe.
 */
final class FitLoop {
    private static final Logger LOG = LoggerFactory.getLogger(FitLoop.class);
    private final Trainer trainer;
    private final Experiment exp;
    private final TrainConfig t;
    private final Device device;
    private final Checkpoints checkpoints;
    private final List<TrainListener> listeners;
    private final GradientSync sync;
    private final int rank;
    /** Whether this process writes checkpoints (rank 0 of a distributed fit); every rank reads them. */
    private final boolean writes;
    private final int fold;

    private TrainListener.Fit fit;
    // where the loop stands (see FoldProgress)
    private String arch;
    private int epoch;
    private int batch;
    private long steps;
    private double lossSum;
    private long images;
    private BestEpoch best = BestEpoch.NONE;
    private float[][] bestLogits;
    private EarlyStopping stopper;
    private TopK topK;
    private boolean stopped;
    /** {@code train.max_time}: the clock behind the schedule, and whether the budget is spent. */
    private final TimeBudget budget;
    private boolean timeUp;
    // the epoch in progress
    private double lr;
    private long skippedBefore;
    private long epochStart;
    private long imagesHere;
    /** Side of the epoch's training batches. */
    private int epochImgSize;
    /** Size, batch size and steps of every epoch. */
    private EpochPlan plan;
    private BatchUploader uploader;

    FitLoop(Trainer trainer, TrainConfig t) {
        this.trainer = trainer;
        this.exp = trainer.experiment();
        this.t = t;
        this.device = trainer.device();
        this.checkpoints = trainer.checkpoints();
        this.sync = trainer.gradientSync();
        this.rank = sync == null ? 0 : sync.group().rank();
        this.listeners = trainer.isMainRank() ? trainer.listeners() : List.of();
        this.writes = checkpoints != null && trainer.isMainRank();
        this.fold = trainer.fold();
        this.budget = new TimeBudget(t.maxTimeDuration(), trainer.clock());
    }

    FitResult run(ImageModel model, String arch, Dataset train, Dataset val) throws IOException {
        this.arch = arch;
        int numClasses = model.numClasses();
        if (t.classWeights() != null && t.classWeights().size() != numClasses) {
            throw new IllegalArgumentException("train.class_weights: " + t.classWeights().size()
                    + " values (expected: " + numClasses + ", the model's classes)");
        }
        checkLabels(train, "training", numClasses);
        int[] valTargets = checkLabels(val, "validation", numClasses);
        long start = System.nanoTime();
        boolean resuming = trainer.resume() && checkpoints != null && checkpoints.hasLast();
        long seed = trainer.seed();
        if (sync != null) {
            if (sync.syncBatchNorm()) {
                int n = dev.jvision.nn.BatchNorm2d.synchronize(model, sync.group());
                org.slf4j.LoggerFactory.getLogger(FitLoop.class).info("SyncBatchNorm: {} BatchNorm layers use global-batch "
                        + "statistics", n);
            }
            sync.broadcast(new java.util.ArrayList<>(model.stateDict().values()));
        }
        try (ShutdownGate.Entered gate = ShutdownGate.enter();
             BatchTransform transform = new BatchTransform(exp.augment(), model.spec().mean(), model.spec().std(),
                     device, exp.model().channelsLast());
             Augmenter augmenter = new Augmenter(exp.augment(), numClasses, model.spec().mean(), model.spec().std(),
                     device, exp.model().channelsLast());
             TrainLoaders loaders = new TrainLoaders(train, seed);
             BatchUploader upload = new BatchUploader(device)) {
            uploader = upload;
            plan = EpochPlan.of(exp.data().imgSizes(), exp.data().batchFollowsSize(), t.batchSize(), t.epochs(),
                    t.accumSteps(), train.size(), sync == null ? 1 : sync.group().worldSize());
            if (!exp.data().imgSizes().isFixed()) {
                LOG.info("fold {}: progressive resize {}", fold, plan.describe());
            }
            if (t.whitening().enabled()) {
                WhiteningInit.apply(model, t.whitening(), train, exp.data().imgSize(), augmenter, upload, resuming);
            }
            try (FitComponents c = new FitComponents(model, t, device, plan.referenceStepsPerEpoch(), sync)) {
                FoldProgress p = FoldProgress.start(fold, arch);
                if (resuming) {
                    Checkpoints.Restored r = checkpoints.restore(arch, c);
                    p = r.progress();
                    bestLogits = r.bestLogits();
                }
                restore(p);
                if (writes) {
                    checkpoints.cleanTop(topK.entries());
                }
                fit = new TrainListener.Fit(fold, arch, train.size(), val.size(), t.epochs(),
                        plan.batches(Math.min(epoch, t.epochs() - 1)), plan.steps(Math.min(epoch, t.epochs() - 1)),
                        device, c.describe(t), epoch, batch, plan);
                for (TrainListener l : listeners) {
                    l.onFitStart(fit);
                }
                budget.start(p.trainNanos());
                timeUp = budget.spent(p.trainNanos());
                while (epoch < t.epochs() && !stopped && !timeUp) {
                    trainEpoch(model, c, augmenter, loaders.at(epoch), seed);
                    endEpoch(model, c, transform, val, valTargets);
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        FitResult r = new FitResult(fold, arch, best, bestLogits, checkpoints == null ? null : checkpoints.best(), seconds);
        for (TrainListener l : listeners) {
            l.onFitEnd(fit, r);
        }
        return r;
    }

    /**
     * The training loader of the current epoch's stage ({@link EpochPlan}: progressive resize):
     * one loader while size and batch size stay, closed and rebuilt when the plan changes them.
     * The image order of an epoch does not depend on the stage, so resuming at any epoch and
     * batch picks the same images. Below the final size the items come from
     * {@link Dataset#atSize} (manifest data: an image cache at the stage's size, built when the
     * stage starts), so a stage's pixels are those of decoding straight to its size.
     */
    private final class TrainLoaders implements AutoCloseable {
        private final Dataset train;
        private final long seed;
        private BatchLoader loader;
        private Dataset staged;
        private int size;
        private int batchSize;

        TrainLoaders(Dataset train, long seed) {
            this.train = train;
            this.seed = seed;
        }

        BatchLoader at(int e) {
            int s = plan.imgSize(e);
            int b = plan.batchSize(e);
            if (loader == null || s != size || b != batchSize) {
                close();
                int world = sync == null ? 1 : sync.group().worldSize();
                if (s != exp.data().imgSize()) {
                    staged = sync == null ? train.atSize(s) : train.atSize(s, rank, world, sync.group()::barrier);
                }
                BatchLoader l = new BatchLoader(staged != null ? staged : train, s, b, true, seed,
                        plan.dropLast(train.size(), world, e), exp.data().prefetch());
                if (sync != null) {
                    l.shard(rank, world);
                }
                EpochPlan.checkAgainst(l, plan, e);
                if (!exp.data().imgSizes().isFixed()) {
                    LOG.info("fold {} epoch {}: training at {} px, batch {} ({} batches)", fold, e + 1, s, b,
                            plan.batches(e));
                }
                loader = l;
                size = s;
                batchSize = b;
            }
            return loader;
        }

        @Override
        public void close() {
            if (loader != null) {
                loader.close();
                loader = null;
            }
            if (staged != null && staged != train && staged instanceof AutoCloseable ac) {
                try {
                    ac.close();
                } catch (Exception ex) {
                    LOG.warn("closing the stage's image cache: {}", ex.toString());
                }
            }
            staged = null;
        }
    }

    private static int[] checkLabels(Dataset d, String what, int numClasses) {
        int[] labels = d.labels();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(what + " item " + d.id(i) + ": label " + labels[i] + " (expected: 0.."
                        + (numClasses - 1) + ", the model's classes)");
            }
        }
        return labels;
    }

    private void restore(FoldProgress p) {
        epoch = p.epoch();
        batch = p.batch();
        steps = p.optimizerSteps();
        lossSum = p.sums().loss();
        images = p.sums().images();
        best = p.best();
        stopped = p.monitor().stopped();
        stopper = new EarlyStopping(t.earlyStoppingPatience(), t.monitorMinimises(), t.minDelta(), p.monitor().best(),
                p.monitor().sinceBest());
        topK = new TopK(t.saveTopK(), t.monitorMinimises(), p.monitor().topK());
    }

    private FoldProgress progress(FitComponents c) {
        return new FoldProgress(fold, arch, epoch, batch, steps, new FoldProgress.EpochSums(lossSum, images), best,
                new FoldProgress.Monitor(stopper.best(), stopper.sinceBest(), topK.entries(), stopped),
                new FoldProgress.Components(c.scaler.skippedSteps(), c.ema == null ? 0 : c.ema.updates(),
                        c.schedule.state()), budget.spentNanos());
    }

    /** Trains the rest of epoch {@code epoch} from batch {@code batch}. */
    private void trainEpoch(ImageModel model, FitComponents c, Augmenter augmenter, BatchLoader loader, long seed)
            throws IOException {
        int batches = plan.batches(epoch);
        model.train(true);
        MemoryStats.resetPeak(device);
        loader.startEpoch(epoch);
        for (int i = 0; i < batch; i++) {
            loader.next();
        }
        if (batch == 0) {
            lossSum = 0;
            images = 0;
        }
        skippedBefore = c.scaler.skippedSteps();
        epochStart = System.nanoTime();
        imagesHere = 0;
        epochImgSize = plan.imgSize(epoch);
        lr = c.schedule.at(plan.scheduleStep(steps));
        for (TrainListener l : listeners) {
            l.onEpochStart(fit, epoch, batch);
        }
        while (loader.hasNext()) {
            ShutdownGate.safePoint(); // a JVM being killed exits here, between steps, not inside libtorch
            for (TrainListener l : listeners) {
                l.onStepStart(fit, epoch, batch);
            }
            Batch b = loader.next();
            epochImgSize = b.height();
            float loss;
            try (var scope = Memory.step()) {
                Tensor raw = uploader.images(b);
                Tensor labels = Tensors.fromInts(b.labels()).to(device.toNative(), torch.ScalarType.Long);
                // images augmented on the device; soft targets carry Mixup/CutMix weights
                Augmenter.Augmented a = augmenter.train(raw, labels, epoch, t.epochs(),
                        (seed + 104_729L * rank) * 1_000_003L + (long) epoch * batches + batch, b.ids());
                loss = c.engine.accumulate(a.images(), a.targets());
            } catch (RuntimeException e) {
                throw OutOfMemory.explain(e, plan.batchSize(epoch), device);
            }
            batch++;
            lossSum += (double) loss * b.size();
            images += b.size();
            imagesHere += b.size();
            if (c.engine.readyToStep() || batch == batches) {
                long spent = spentNanos();
                long at = plan.scheduleStep(budget.scheduleStep(steps, Math.max(1, plan.totalSteps()), spent));
                lr = c.schedule.at(at);
                timeUp = budget.spent(spent);
                try (var scope = Memory.step()) {
                    c.engine.step(lr);
                }
                steps++;
                c.afterStep(steps, at);
                if (writes && t.checkpointEverySteps() > 0 && steps % t.checkpointEverySteps() == 0
                        && batch < batches) {
                    checkpoints.saveLast(c, progress(c), bestLogits);
                    emit(new TrainListener.Checkpoint(TrainListener.Kind.LAST, checkpoints.last(), epoch));
                }
            }
            double secs = (System.nanoTime() - epochStart) / 1e9;
            TrainListener.Step step = new TrainListener.Step(epoch, batch - 1, loss, lossSum / images, lr,
                    imagesHere / secs);
            for (TrainListener l : listeners) {
                l.onStepEnd(fit, step);
            }
            if (timeUp) {
                return;
            }
        }
    }

    /**
     * Training time spent against {@code train.max_time} (0 without it); in a distributed fit the
     * largest over the ranks, so that all of them read the schedule at the same step and stop together.
     */
    private long spentNanos() {
        long spent = budget.spentNanos();
        if (sync == null || !budget.limited()) {
            return spent;
        }
        float ms = 0;
        for (float[] r : sync.group().allGatherRows(new float[][] {{spent / 1e6f}}, 1)) {
            ms = Math.max(ms, r[0]);
        }
        return (long) (ms * 1e6);
    }

    /**
     * Logits of every validation item, in order. Distributed: rank 0's buffers are broadcast,
     * each rank predicts every N-th item and the rows are gathered on all ranks, so every rank
     * holds the logits rank 0 alone would compute.
     */
    private float[][] validationLogits(ImageModel model, BatchTransform transform, Dataset val) {
        if (sync == null) {
            return Evaluator.logits(model, transform, val, exp.data().imgSize(), exp.infer().batchSize(),
                    exp.data().prefetch(), device);
        }
        // BatchNorm running statistics are per rank (each saw its own batches): predict with rank 0's,
        // the ones its checkpoints hold, so all ranks and a resumed run agree
        List<Tensor> buffers = new java.util.ArrayList<>(model.namedBuffers().values());
        if (!buffers.isEmpty()) {
            sync.broadcast(buffers);
        }
        int world = sync.group().worldSize();
        int[] mine = java.util.stream.IntStream.range(0, val.size()).filter(i -> i % world == rank).toArray();
        Dataset shard = new Dataset() {
            @Override
            public int size() {
                return mine.length;
            }

            @Override
            public Item get(int index) throws IOException {
                return val.get(mine[index]);
            }

            @Override
            public int label(int index) {
                return val.label(mine[index]);
            }

            @Override
            public String id(int index) {
                return val.id(mine[index]);
            }
        };
        float[][] part = mine.length == 0 ? new float[0][] : Evaluator.logits(model, transform, shard,
                exp.data().imgSize(), exp.infer().batchSize(), exp.data().prefetch(), device);
        int c = model.numClasses();
        float[][] rows = new float[part.length][];
        for (int i = 0; i < part.length; i++) {
            rows[i] = new float[c + 1];
            rows[i][0] = mine[i];
            System.arraycopy(part[i], 0, rows[i], 1, c);
        }
        float[][] out = new float[val.size()][];
        for (float[] r : sync.group().allGatherRows(rows, c + 1)) {
            out[(int) r[0]] = java.util.Arrays.copyOfRange(r, 1, c + 1);
        }
        return out;
    }

    /** Validates, keeps checkpoints, reports the epoch and saves the resumable state. */
    private void endEpoch(ImageModel model, FitComponents c, BatchTransform transform, Dataset val, int[] valTargets)
            throws IOException {
        double secs = (System.nanoTime() - epochStart) / 1e9;
        boolean swapped = c.ema != null && t.emaEval();
        if (swapped) {
            c.ema.swap();
        }
        float[][] logits;
        try {
            logits = validationLogits(model, transform, val);
        } catch (RuntimeException e) {
            throw OutOfMemory.explain(e, exp.infer().batchSize(), device);
        }
        int e1 = epoch + 1;
        TrainListener.Validation v = score(e1, logits, valTargets, model.numClasses());
        for (TrainListener l : listeners) {
            l.onValidation(fit, v);
        }
        if (v.improved()) {
            best = new BestEpoch(e1, v.f1(), v.accuracy(), v.loss());
            bestLogits = logits;
            if (writes) {
                checkpoints.saveWeights(model, checkpoints.best(), info(model, v));
                emit(new TrainListener.Checkpoint(TrainListener.Kind.BEST, checkpoints.best(), e1));
            }
        }
        TopK.Decision d = topK.offer(e1, v.monitored());
        if (writes && d.keep()) {
            checkpoints.saveWeights(model, checkpoints.top(e1), info(model, v));
            emit(new TrainListener.Checkpoint(TrainListener.Kind.TOP_K, checkpoints.top(e1), e1));
        }
        if (writes && d.evicted() > 0) {
            checkpoints.deleteTop(d.evicted());
        }
        if (swapped) {
            c.ema.swap();
        }
        c.schedule.observe(v.monitored());
        double trainLoss = images == 0 ? 0 : lossSum / images;
        stopped = stopper.shouldStop();
        TrainListener.Epoch summary = new TrainListener.Epoch(e1, trainLoss, v, lr, imagesHere / secs,
                MemoryStats.peakBytes(device) >> 20, c.scaler.skippedSteps(), c.scaler.skippedSteps() - skippedBefore,
                secs, stopped, epochImgSize);
        for (TrainListener l : listeners) {
            l.onEpochEnd(fit, summary);
        }
        int partial = batch;
        boolean spentBefore = timeUp;
        timeUp = budget.spent(spentNanos());
        if (timeUp && trainer.isMainRank()) {
            LOG.info("fold {}: train.max_time {} spent in epoch {} {}; the fit ends here", fold, t.maxTime(), e1,
                    !spentBefore ? "during its validation" : partial < plan.batches(epoch) ? "after batch " + partial
                            + " of " + plan.batches(epoch) + " (the partial epoch was validated)" : "at its end");
        }
        epoch = e1;
        batch = 0;
        lossSum = 0;
        images = 0;
        if (writes) {
            checkpoints.saveLast(c, progress(c), bestLogits);
            emit(new TrainListener.Checkpoint(TrainListener.Kind.LAST, checkpoints.last(), e1));
        }
    }

    private TrainListener.Validation score(int e1, float[][] logits, int[] targets, int numClasses) {
        int[] pred = ClassificationMetrics.argmax(logits);
        double f1 = ClassificationMetrics.macroF1(pred, targets, numClasses);
        double acc = ClassificationMetrics.accuracy(pred, targets);
        double top5 = ClassificationMetrics.topKAccuracy(logits, targets, Math.min(5, numClasses));
        double vloss = ProbabilityMetrics.nllOfProbs(ProbabilityMetrics.softmax(logits, 1.0), targets);
        double value = switch (t.monitor()) {
            case VAL_ACC -> acc;
            case VAL_TOP5 -> top5;
            case VAL_LOSS -> vloss;
            case VAL_F1 -> f1;
        };
        boolean improved = stopper.observe(value);
        return new TrainListener.Validation(e1, f1, acc, top5, vloss, value, improved, logits);
    }

    private CheckpointInfo info(ImageModel model, TrainListener.Validation v) {
        return new CheckpointInfo(model.spec().name(), model.numClasses(), exp.data().imgSize(), model.spec().mean(),
                model.spec().std(), fold, v.epoch(), v.f1(), v.accuracy(), v.loss(),
                trainer.classNames(model.numClasses()), Instant.now().toString());
    }

    private void emit(TrainListener.Checkpoint c) throws IOException {
        for (TrainListener l : listeners) {
            l.onCheckpoint(fit, c);
        }
    }
}
