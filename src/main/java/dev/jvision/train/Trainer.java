package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.optim.FusedAdamW;
import dev.jvision.optim.LrSchedule;
import dev.jvision.optim.OneCycle;
import dev.jvision.optim.ParamGroup;
import dev.jvision.optim.LayerDecay;
import dev.jvision.optim.LrMultipliers;
import dev.jvision.optim.ParamGroups;
import dev.jvision.optim.Plateau;
import dev.jvision.optim.Sgd;
import dev.jvision.optim.StepDecay;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.optim.WarmupCosine;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.runtime.dist.GradientSync;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.train.task.ClassificationTask;
import dev.jvision.train.task.Task;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Trains an image classifier: the library's training loop, also what {@link CrossValidation}
 * and the {@code jvision} commands run. A trainer is configured once ({@link #builder}) with the
 * experiment's {@code train:} recipe (AdamW or SGD over parameter groups, warmup + cosine / step
 * / plateau schedule per optimiser step, autocast with dynamic loss scaling under fp16,
 * soft-target cross-entropy or BCE with label smoothing and class weights, gradient
 * accumulation and clipping, EMA weights), its {@code augment:} section (device augmentation,
 * Mixup/CutMix), a {@link dev.jvision.train.task.Task} (default: classification), a device,
 * {@link Callback}s and optionally a checkpoint folder; then
 * {@link #fit(ImageModel, Dataset, Dataset)} trains a model on one {@link Dataset} and
 * validates it every epoch on another (macro-F1, accuracy, top-5, loss), keeping best / top-k /
 * last checkpoints with early stopping. With a checkpoint folder and {@link Builder#resume},
 * a fit continues from {@code last.safetensors}, also inside an epoch, to a bit-identical
 * result. With {@code train.max_time} a fit also ends when its wall-clock budget is spent (the
 * partial epoch validated), the schedule following the clock, and a resumed fit continues the
 * budget.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.builder(exp).device(Device.CPU).callback(new LoggingListener()).build();
 * try (ImageModel model = Models.create("resnet18", ModelOptions.of(4))) {
 *     FitResult r = trainer.fit(model, trainSet, valSet);
 * }
 * }</pre>
 *
 * <p>Each training step runs in its own native scope. A trainer holds no native memory between
 * fits; everything a fit creates is freed when it returns or throws. Not thread-safe: libtorch
 * RNG, autocast and thread settings are process-wide; run one fit at a time.
 */
public final class Trainer {
    private final Experiment exp;
    private final Device device;
    private final List<Callback> callbacks;
    private final Checkpoints checkpoints;
    private final boolean resume;
    private final int fold;
    private final long seed;
    private final List<String> classNames;
    private final GradientSync sync;
    private final DataParallel parallel;
    private final BatchSizePlanner planner;
    private final LongSupplier clock;
    private final Task task;

    private Trainer(Builder b) {
        this.planner = b.planner;
        this.sync = b.group == null ? null : new GradientSync(b.group, b.bucketBytes, b.overlap, b.syncBn);
        this.exp = b.exp;
        this.device = b.device;
        this.callbacks = List.copyOf(b.callbacks);
        this.parallel = sync == null ? DataParallel.single() : DataParallel.of(sync);
        this.checkpoints = b.checkpointDir == null ? null : new Checkpoints(b.checkpointDir);
        this.resume = b.resume;
        this.fold = b.fold;
        this.seed = b.seed != null ? b.seed : exp.experiment().seed() + 1000L * fold;
        this.classNames = b.classNames == null ? null : List.copyOf(b.classNames);
        this.clock = b.clock;
        this.task = b.task != null ? b.task : ClassificationTask.of(exp);
    }

    /** A trainer for the experiment's {@code train:}, {@code augment:}, {@code data:} and {@code infer:} settings. */
    public static Builder builder(Experiment exp) {
        return new Builder(exp);
    }

    /**
     * Trains {@code model} (already on the trainer's device; the caller keeps ownership) on
     * {@code train}, validating on {@code val} after every epoch. Seeds libtorch with the
     * trainer's seed first. On return the model holds the last epoch's weights (the EMA
     * weights' swap is undone); the best epoch's are in {@link FitResult#bestCheckpoint()} when
     * a checkpoint folder is set.
     *
     * @throws IllegalArgumentException for labels outside the model's classes or inconsistent settings
     * @throws IllegalStateException    when training diverges or the device runs out of memory
     */
    public FitResult fit(ImageModel model, Dataset train, Dataset val) throws IOException {
        Objects.requireNonNull(model, "model");
        TorchSettings.seed(seed);
        return new FitLoop(this, exp.train()).run(model, model.spec().name(), train, val);
    }

    /**
     * Seeds libtorch, builds the model with {@code factory} (after the trial models of
     * {@code train.auto_batch_size}, which also come from it; see {@link AutoBatch}), trains it as
     * {@link #fit(ImageModel, Dataset, Dataset)} does and closes it.
     */
    public FitResult fit(ModelFactory factory, Dataset train, Dataset val) throws IOException {
        TorchSettings.seed(seed);
        TrainConfig t = exp.train();
        if (t.batch().auto()) {
            int found = AutoBatch.find(factory, exp.model().modelForFold(fold), exp, t, device, planner).chosen();
            t = t.withBatchSize(parallel.smallest(found));
        }
        try (ImageModel model = factory.create()) {
            return new FitLoop(this, t).run(model, model.spec().name(), train, val);
        }
    }

    /** Builds the configured optimiser over {@code model}'s parameter groups; the caller closes it. */
    public static StepOptimizer buildOptimizer(ImageModel model, TrainConfig t) {
        List<ParamGroup> groups = ParamGroups.of(model, model.classifierName(), t.optimizer().weightDecay(), t.optimizer().scaling().headLrScale(),
                t.optimizer().scaling().layerDecay() > 0 ? LayerDecay.of(model.spec().family(), t.optimizer().scaling().layerDecay()) : null,
                LrMultipliers.of(t.optimizer().scaling().lrMultipliers()), model.spec().name());
        if (t.modelSetup().batchNorm().biasLrScale() != 1.0) {
            groups = ParamGroups.scale(groups, dev.jvision.nn.BatchNorm2d.biasNames(model), t.modelSetup().batchNorm().biasLrScale(),
                    "bn_bias");
        }
        FusedAdamW.Impl impl = switch (t.optimizer().impl()) {
            case FUSED -> FusedAdamW.Impl.FUSED;
            case FOREACH -> FusedAdamW.Impl.FOREACH;
            case AUTO -> FusedAdamW.Impl.AUTO;
        };
        return switch (t.optimizer().kind()) {
            case SGD -> new Sgd(groups, t.optimizer().momentum(), t.optimizer().nesterov());
            case ADAMW -> new FusedAdamW(groups, t.optimizer().beta1(), t.optimizer().beta2(), t.optimizer().eps(), impl);
        };
    }

    /** The configured schedule for {@code stepsPerEpoch} optimiser steps per epoch. */
    public static LrSchedule buildSchedule(TrainConfig t, long stepsPerEpoch) {
        long warm = Math.round(t.schedule().warmupEpochs() * stepsPerEpoch);
        return switch (t.schedule().kind()) {
            case STEP -> new StepDecay(t.optimizer().lr(), t.schedule().minLr(), warm, Math.max(1, Math.round(t.schedule().stepEpochs() * stepsPerEpoch)),
                    t.schedule().stepGamma());
            case PLATEAU -> new Plateau(t.optimizer().lr(), t.schedule().minLr(), warm, t.schedule().plateauFactor(), t.schedule().plateauPatience(),
                    !t.checkpoint().monitor().minimised(), t.checkpoint().minDelta());
            case COSINE -> new WarmupCosine(t.optimizer().lr(), t.schedule().minLr(), warm, Math.max(1, stepsPerEpoch * t.epochs()));
            case ONECYCLE -> new OneCycle(t.optimizer().lr(), t.schedule().oneCycle().startFactor(), t.schedule().oneCycle().peak(), t.schedule().minLr(),
                    Math.max(1, stepsPerEpoch * t.epochs()));
        };
    }

    /** The task the trainer fits (default {@link ClassificationTask#of} the experiment). */
    public Task task() {
        return task;
    }

    Experiment experiment() {
        return exp;
    }

    Device device() {
        return device;
    }

    List<Callback> callbacks() {
        return callbacks;
    }

    DataParallel parallel() {
        return parallel;
    }

    /** The gradient synchronisation of a distributed fit, or null for a single process. */
    public GradientSync gradientSync() {
        return sync;
    }

    /** True when this process writes logs and checkpoints: single-process, or rank 0 of a distributed fit. */
    public boolean isMainRank() {
        return parallel.isMain();
    }

    /** The checkpoint folder, or null when the trainer writes none. */
    public Checkpoints checkpoints() {
        return checkpoints;
    }

    boolean resume() {
        return resume;
    }

    int fold() {
        return fold;
    }

    long seed() {
        return seed;
    }

    /** Nanoseconds of the clock that {@code train.max_time} is measured on. */
    LongSupplier clock() {
        return clock;
    }

    /** Class names for checkpoint sidecars: the builder's, else {@code class_<i>}. */
    List<String> classNames(int numClasses) {
        if (classNames != null) {
            return classNames;
        }
        List<String> out = new ArrayList<>(numClasses);
        for (int i = 0; i < numClasses; i++) {
            out.add("class_" + i);
        }
        return out;
    }

    /** Configures a {@link Trainer}. Not thread-safe; {@link #build()} copies what it holds. */
    public static final class Builder {
        private final Experiment exp;
        private Device device = Device.CPU;
        private final List<Callback> callbacks = new ArrayList<>();
        private Path checkpointDir;
        private boolean resume;
        private int fold;
        private Long seed;
        private List<String> classNames;
        private ProcessGroup group;
        private long bucketBytes = GradientSync.DEFAULT_BUCKET_BYTES;
        private boolean overlap;
        private boolean syncBn;
        private BatchSizePlanner planner;
        private LongSupplier clock = System::nanoTime;
        private Task task;

        private Builder(Experiment exp) {
            this.exp = Objects.requireNonNull(exp, "exp");
        }

        /** Where to train (default the CPU). */
        public Builder device(Device device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /**
         * What the model learns: targets, loss, batch augmentation, metrics and monitor (default
         * {@link ClassificationTask#of} the experiment).
         */
        public Builder task(Task task) {
            this.task = Objects.requireNonNull(task, "task");
            return this;
        }

        /**
         * Adds a callback: called in the order added, before the trainer's own (checkpoints, early
         * stopping); it sees the fit through its {@link FitContext} and may stop it. On a
         * data-parallel fit only rank 0 calls callbacks.
         */
        public Builder callback(Callback callback) {
            callbacks.add(Objects.requireNonNull(callback, "callback"));
            return this;
        }

        /** Writes best / top-k / last checkpoints into {@code dir} (default: no files). */
        public Builder checkpoints(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /** Continue from the checkpoint folder's {@code last.safetensors} when it exists (default false). */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /** The fold index recorded in checkpoints and events (default 0). */
        public Builder fold(int fold) {
            if (fold < 0) {
                throw new IllegalArgumentException("fold: " + fold + " (expected: >= 0)");
            }
            this.fold = fold;
            return this;
        }

        /** The libtorch, shuffle and augmentation seed (default {@code experiment.seed + 1000 * fold}). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Class names by index, saved in checkpoint sidecars (default {@code class_<i>}). */
        public Builder classNames(List<String> names) {
            this.classNames = names;
            return this;
        }

        /**
         * The memory planner {@code train.auto_batch_size} starts from (default none: CUDA searches by
         * trial steps alone, the CPU keeps {@code train.batch_size}); e.g.
         * {@code dev.jvision.memprof.MemoryPlanner.forTraining()}. See {@link AutoBatch}.
         */
        public Builder batchSizePlanner(BatchSizePlanner planner) {
            this.planner = planner;
            return this;
        }

        /**
         * The clock that {@code train.max_time} is measured on, in nanoseconds (default
         * {@link System#nanoTime()}); tests pass a fake one. Wall time in results and logs still
         * comes from {@code System.nanoTime()}.
         */
        Builder clock(LongSupplier nanos) {
            this.clock = Objects.requireNonNull(nanos, "nanos");
            return this;
        }

        /**
         * Data-parallel training on {@code group} (owned by the caller): rank 0's weights are
         * broadcast at start, each rank trains on its {@link dev.jvision.runtime.dist.DistributedSampler}
         * shard of every epoch with {@code train.batch_size} per rank, gradients are averaged
         * in buckets of at most {@code bucketBytes}, each rank predicts every N-th validation
         * item and the logits are gathered on all ranks (so metrics, best epoch and early
         * stopping agree everywhere), and only rank 0 calls callbacks and writes checkpoints (every rank restores from them).
         */
        public Builder distributed(ProcessGroup group, long bucketBytes) {
            return distributed(group, bucketBytes, false, false);
        }

        /**
         * As {@link #distributed(ProcessGroup, long)}; {@code overlap} starts the all-reduces from
         * backward hooks, {@code syncBn} makes the model's BatchNorm layers use global-batch
         * statistics (see {@link GradientSync}).
         */
        public Builder distributed(ProcessGroup group, long bucketBytes, boolean overlap, boolean syncBn) {
            this.group = Objects.requireNonNull(group, "group");
            this.bucketBytes = bucketBytes;
            this.overlap = overlap;
            this.syncBn = syncBn;
            return this;
        }

        /** The trainer. */
        public Trainer build() {
            return new Trainer(this);
        }
    }
}
