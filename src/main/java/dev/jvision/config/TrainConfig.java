package dev.jvision.config;

import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code train:} section: optimisation schedule and cross-validation.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor and {@code folds} is
 * copied into an unmodifiable list.
 *
 * <p>Length: the flat keys of the foundation keep their positional constructors for existing
 * callers; newer concerns are small nested sections ({@link OneCycle}, {@link Lookahead},
 * {@link BatchNorm}, {@link Whitening}) kept here so that the whole {@code train:} schema reads in one file.
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
 * @param optimizer {@code adamw} or {@code sgd} (default adamw)
 * @param optimizerImpl AdamW kernels: {@code auto} (fused, else foreach), {@code fused}, {@code foreach} (default auto)
 * @param beta1 AdamW first-moment decay, in [0, 1) (default 0.9)
 * @param beta2 AdamW second-moment decay, in [0, 1) (default 0.999)
 * @param eps AdamW epsilon, &gt; 0 (default 1e-8)
 * @param momentum SGD momentum, in [0, 1) (default 0.9)
 * @param nesterov SGD Nesterov momentum (default true)
 * @param headLrScale learning-rate multiplier of the classifier head relative to the backbone, &gt; 0 (default 1.0)
 * @param schedule {@code cosine} (warmup + cosine to min_lr), {@code step}, {@code plateau} or {@code onecycle}
 *     (triangular: up from {@code lr x one_cycle.start_factor} to {@code lr} at {@code one_cycle.peak} of training,
 *     then down to {@code min_lr}; with {@code max_time} it follows the clock) (default cosine)
 * @param stepEpochs step schedule: epochs between decays, &gt; 0 (default 30.0)
 * @param stepGamma step schedule: decay factor, in (0, 1] (default 0.1)
 * @param plateauFactor plateau schedule: decay factor, in (0, 1) (default 0.1)
 * @param plateauPatience plateau schedule: epochs without improvement before decaying, &gt;= 0 (default 2)
 * @param loss {@code ce} (soft-target cross-entropy) or {@code bce} (default ce)
 * @param classWeights per-class loss weights, each &gt; 0, nullable (default null = equal)
 * @param accumSteps micro-batches accumulated per optimiser step, &gt;= 1 (default 1)
 * @param ema keep an exponential moving average of the weights (default false)
 * @param emaDecay EMA decay, in [0, 1) (default 0.9998)
 * @param emaWarmup EMA decay warmup min(decay, (1+t)/(10+t)) (default true)
 * @param emaEval validate and checkpoint the EMA weights when ema is on (default true)
 * @param amp mixed precision: {@code auto} (bf16 on CUDA, off on CPU), {@code bf16}, {@code fp16}, {@code off} (default auto)
 * @param lossScaleInit fp16: initial loss scale, &gt; 0 (default 65536)
 * @param lossScaleGrowthInterval fp16: clean steps before the scale doubles, &gt;= 1 (default 2000)
 * @param monitor metric for best/top-k/early stopping/plateau: {@code val_f1}, {@code val_acc}, {@code val_top5},
 *     {@code val_loss} (minimised) (default val_f1)
 * @param minDelta smallest change of the monitored metric that counts as an improvement, &gt;= 0 (default 0.0)
 * @param saveTopK keep the k best epochs' weights as {@code fold<k>/top/epoch<N>.safetensors}, &gt;= 0 (default 0)
 * @param checkpointEverySteps also save the resumable state every N optimiser steps inside an epoch, 0 = only
 *     at epoch ends, &gt;= 0 (default 0)
 * @param autoBatchSize choose the batch size from the memory planner's prediction, confirmed by trial steps on
 *     CUDA; on the CPU only with {@code memory_budget} (see {@code dev.jvision.train.AutoBatch}) (default false)
 * @param tensorboard write TensorBoard event files into the run folder (default true)
 * @param maxTime wall-clock budget of each fold's training, a duration such as {@code 90s}, {@code 20m},
 *     {@code 1h30m} or {@code 2h}: training stops when it is spent (the partial epoch is validated) and the
 *     learning-rate schedule follows the clock so that it ends with the budget; nullable (default null = no
 *     limit). See {@link #maxTimeDuration()}
 * @param layerDecay layer-wise learning-rate decay as timm's {@code layer_decay}: layer {@code i} of {@code n}
 *     (stem first, classifier head last) gets {@code layer_decay^(n - 1 - i)}; for the convnext, swin,
 *     efficientnetv2 and resnet families; in [0, 1], 0 = off (default 0.0)
 * @param lrMultipliers learning-rate multipliers by parameter-name glob, e.g. {@code {"head.*": 10.0}}, first
 *     matching glob wins, unmatched = 1.0, each factor &gt; 0 and each glob must match a parameter; nullable
 *     (default null = none)
 * @param memoryBudget what {@code auto_batch_size} may use, e.g. {@code 8GB} (binary units, see {@link ByteSize});
 *     nullable (default null = on CUDA the whole device less what is used outside this run's allocator; on the
 *     CPU none, so the batch size is kept)
 * @param oneCycle the {@code onecycle} schedule's shape (default: start at 0.2 x lr, peak at 0.25)
 * @param lookahead lookahead-style averaging of the weights (default: off)
 * @param batchNorm BatchNorm options applied to the model before training (default: none)
 * @param whitening patch-whitening initialisation of the first convolution (default: off)
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
        int logEvery,
        Optimizer optimizer,
        OptimizerImpl optimizerImpl,
        double beta1,
        double beta2,
        double eps,
        double momentum,
        boolean nesterov,
        double headLrScale,
        Schedule schedule,
        double stepEpochs,
        double stepGamma,
        double plateauFactor,
        int plateauPatience,
        Loss loss,
        List<Double> classWeights,
        int accumSteps,
        boolean ema,
        double emaDecay,
        boolean emaWarmup,
        boolean emaEval,
        Amp amp,
        double lossScaleInit,
        int lossScaleGrowthInterval,
        Monitor monitor,
        double minDelta,
        int saveTopK,
        int checkpointEverySteps,
        boolean autoBatchSize,
        boolean tensorboard,
        String maxTime,
        double layerDecay,
        Map<String, Double> lrMultipliers,
        String memoryBudget,
        OneCycle oneCycle,
        Lookahead lookahead,
        BatchNorm batchNorm,
        Whitening whitening) {

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
        Checks.choice("optimizer", optimizer, Optimizer.class);
        Checks.choice("optimizer_impl", optimizerImpl, OptimizerImpl.class);
        Checks.halfOpen("beta1", beta1, 0.0, 1.0);
        Checks.halfOpen("beta2", beta2, 0.0, 1.0);
        Checks.positive("eps", eps);
        Checks.halfOpen("momentum", momentum, 0.0, 1.0);
        Checks.positive("head_lr_scale", headLrScale);
        Checks.choice("schedule", schedule, Schedule.class);
        Checks.positive("step_epochs", stepEpochs);
        Checks.positive("step_gamma", stepGamma);
        if (stepGamma > 1) throw Checks.fail("step_gamma", stepGamma, "in (0, 1]");
        Checks.positive("plateau_factor", plateauFactor);
        if (plateauFactor >= 1) throw Checks.fail("plateau_factor", plateauFactor, "in (0, 1)");
        Checks.atLeast("plateau_patience", plateauPatience, 0);
        Checks.choice("loss", loss, Loss.class);
        if (classWeights != null) {
            if (classWeights.isEmpty()) throw Checks.fail("class_weights", List.of(), "a non-empty list, or null");
            for (int i = 0; i < classWeights.size(); i++) {
                Double w = classWeights.get(i);
                if (w == null || !(w > 0) || w.isInfinite()) throw Checks.fail("class_weights[" + i + "]", w, "a number > 0");
            }
            classWeights = List.copyOf(classWeights);
        }
        Checks.atLeast("accum_steps", accumSteps, 1);
        Checks.halfOpen("ema_decay", emaDecay, 0.0, 1.0);
        Checks.choice("amp", amp, Amp.class);
        Checks.positive("loss_scale_init", lossScaleInit);
        Checks.atLeast("loss_scale_growth_interval", lossScaleGrowthInterval, 1);
        Checks.choice("monitor", monitor, Monitor.class);
        Checks.nonNegative("min_delta", minDelta);
        Checks.atLeast("save_top_k", saveTopK, 0);
        Checks.atLeast("checkpoint_every_steps", checkpointEverySteps, 0);
        Checks.closed("layer_decay", layerDecay, 0.0, 1.0);
        if (lrMultipliers != null) {
            for (Map.Entry<String, Double> e : lrMultipliers.entrySet()) {
                Double f = e.getValue();
                if (e.getKey() == null || e.getKey().isBlank()) {
                    throw Checks.fail("lr_multipliers", e.getKey(), "non-empty parameter-name globs as keys, e.g. 'head.*'");
                }
                if (f == null || !(f > 0) || f.isInfinite()) {
                    throw Checks.fail("lr_multipliers", e.getKey() + ": " + f, "factors > 0, e.g. {\"head.*\": 10.0}");
                }
            }
            lrMultipliers = lrMultipliers.isEmpty() ? null : Collections.unmodifiableMap(new LinkedHashMap<>(lrMultipliers));
        }
        if (maxTime != null) Checks.duration("max_time", maxTime);
        if (memoryBudget != null) ByteSize.parse("memory_budget", memoryBudget);
        if (oneCycle == null) oneCycle = OneCycle.defaults();
        if (lookahead == null) lookahead = Lookahead.defaults();
        if (batchNorm == null) batchNorm = BatchNorm.defaults();
        if (whitening == null) whitening = Whitening.defaults();
    }

    /** The form without {@code one_cycle}, {@code lookahead}, {@code batch_norm} and {@code whitening} (all off). */
    public TrainConfig(int epochs, int batchSize, double lr, double weightDecay, double warmupEpochs, double minLr,
                       double labelSmoothing, int nFolds, List<Integer> folds, int earlyStoppingPatience,
                       double gradClip, int logEvery, Optimizer optimizer, OptimizerImpl optimizerImpl, double beta1,
                       double beta2, double eps, double momentum, boolean nesterov, double headLrScale,
                       Schedule schedule, double stepEpochs, double stepGamma, double plateauFactor,
                       int plateauPatience, Loss loss, List<Double> classWeights, int accumSteps, boolean ema,
                       double emaDecay, boolean emaWarmup, boolean emaEval, Amp amp, double lossScaleInit,
                       int lossScaleGrowthInterval, Monitor monitor, double minDelta, int saveTopK,
                       int checkpointEverySteps, boolean autoBatchSize, boolean tensorboard, String maxTime,
                       double layerDecay, Map<String, Double> lrMultipliers, String memoryBudget) {
        this(epochs, batchSize, lr, weightDecay, warmupEpochs, minLr, labelSmoothing, nFolds, folds,
                earlyStoppingPatience, gradClip, logEvery, optimizer, optimizerImpl, beta1, beta2, eps, momentum,
                nesterov, headLrScale, schedule, stepEpochs, stepGamma, plateauFactor, plateauPatience, loss,
                classWeights, accumSteps, ema, emaDecay, emaWarmup, emaEval, amp, lossScaleInit,
                lossScaleGrowthInterval, monitor, minDelta, saveTopK, checkpointEverySteps, autoBatchSize, tensorboard,
                maxTime, layerDecay, lrMultipliers, memoryBudget, null, null, null, null);
    }

    /**
     * {@code train.one_cycle:} the shape of {@code schedule: onecycle}.
     *
     * @param startFactor the first step's learning rate as a fraction of {@code lr}, in [0, 1] (default 0.2)
     * @param peak where the peak sits, as a fraction of training (steps or {@code max_time}), in [0, 1) (default 0.25)
     */
    public record OneCycle(double startFactor, double peak) {
        public OneCycle {
            Checks.closed("start_factor", startFactor, 0.0, 1.0);
            Checks.halfOpen("peak", peak, 0.0, 1.0);
        }

        /** @return the defaults */
        public static OneCycle defaults() {
            return new OneCycle(0.2, 0.25);
        }
    }

    /**
     * {@code train.lookahead:} every {@code every} optimiser steps the slow weights move towards the
     * live ones with decay {@code decay x progress^power} and training continues from them
     * ({@code dev.jvision.optim.Lookahead}).
     *
     * @param every steps between synchronisations, &gt;= 0; 0 = off (default 0)
     * @param decay the decay at the end of training, in [0, 1] (default 0.7738, i.e. 0.95^5)
     * @param power exponent of the progress ramp, &gt;= 0 (default 3.0)
     */
    public record Lookahead(int every, double decay, double power) {
        public Lookahead {
            Checks.atLeast("every", every, 0);
            Checks.closed("decay", decay, 0.0, 1.0);
            Checks.nonNegative("power", power);
        }

        /** @return the defaults (off) */
        public static Lookahead defaults() {
            return new Lookahead(0, 0.7738, 3.0);
        }

        /** True when on. */
        public boolean enabled() {
            return every > 0;
        }
    }

    /**
     * {@code train.batch_norm:} options for every BatchNorm of the model, applied before training.
     *
     * @param momentum running-statistics momentum in PyTorch's convention (weight of the new batch), in (0, 1];
     *     nullable (default null = the model's, 0.1)
     * @param frozenScale fix every BatchNorm scale at 1 and do not train it (default false)
     * @param biasLrScale learning-rate multiplier of the BatchNorm biases, &gt; 0 (default 1.0)
     */
    public record BatchNorm(Double momentum, boolean frozenScale, double biasLrScale) {
        public BatchNorm {
            if (momentum != null && !(momentum > 0 && momentum <= 1)) throw Checks.fail("momentum", momentum, "in (0, 1], or null");
            Checks.positive("bias_lr_scale", biasLrScale);
        }

        /** @return the defaults (no change to the model) */
        public static BatchNorm defaults() {
            return new BatchNorm(null, false, 1.0);
        }

        /** True when any option differs from the defaults. */
        public boolean changesModel() {
            return momentum != null || frozenScale;
        }
    }

    /**
     * {@code train.whitening:} sets the first convolution from the covariance of 2x2 patches of
     * training images before training ({@code dev.jvision.models.Whitening}); for models with a
     * whitening stem ({@code quicknet_*}).
     *
     * @param enabled on or off (default false)
     * @param images how many training images (the first ones of the first epoch's order) to compute it on, &gt;= 1
     *     (default 5000)
     * @param eps added to each eigenvalue, &gt; 0 (default 5e-4)
     * @param freeze keep the whitening filters fixed (the stem's bias still trains) (default true)
     */
    public record Whitening(boolean enabled, int images, double eps, boolean freeze) {
        public Whitening {
            Checks.atLeast("images", images, 1);
            Checks.positive("eps", eps);
        }

        /** @return the defaults (off) */
        public static Whitening defaults() {
            return new Whitening(false, 5000, 5e-4, true);
        }
    }

    /** The form without {@code max_time}, {@code layer_decay}, {@code lr_multipliers} and {@code memory_budget}. */
    public TrainConfig(int epochs, int batchSize, double lr, double weightDecay, double warmupEpochs, double minLr,
                       double labelSmoothing, int nFolds, List<Integer> folds, int earlyStoppingPatience,
                       double gradClip, int logEvery, Optimizer optimizer, OptimizerImpl optimizerImpl, double beta1,
                       double beta2, double eps, double momentum, boolean nesterov, double headLrScale,
                       Schedule schedule, double stepEpochs, double stepGamma, double plateauFactor,
                       int plateauPatience, Loss loss, List<Double> classWeights, int accumSteps, boolean ema,
                       double emaDecay, boolean emaWarmup, boolean emaEval, Amp amp, double lossScaleInit,
                       int lossScaleGrowthInterval, Monitor monitor, double minDelta, int saveTopK,
                       int checkpointEverySteps, boolean autoBatchSize, boolean tensorboard) {
        this(epochs, batchSize, lr, weightDecay, warmupEpochs, minLr, labelSmoothing, nFolds, folds,
                earlyStoppingPatience, gradClip, logEvery, optimizer, optimizerImpl, beta1, beta2, eps, momentum,
                nesterov, headLrScale, schedule, stepEpochs, stepGamma, plateauFactor, plateauPatience, loss,
                classWeights, accumSteps, ema, emaDecay, emaWarmup, emaEval, amp, lossScaleInit,
                lossScaleGrowthInterval, monitor, minDelta, saveTopK, checkpointEverySteps, autoBatchSize, tensorboard,
                null, 0.0, null, null);
    }

    /** {@code max_time} as a duration, or null when training has no wall-clock budget. */
    public java.time.Duration maxTimeDuration() {
        return maxTime == null ? null : Checks.duration("max_time", maxTime);
    }

    /** The foundation's twelve-field form; every newer field at its default. */
    public TrainConfig(int epochs, int batchSize, double lr, double weightDecay, double warmupEpochs, double minLr,
                       double labelSmoothing, int nFolds, List<Integer> folds, int earlyStoppingPatience,
                       double gradClip, int logEvery) {
        this(epochs, batchSize, lr, weightDecay, warmupEpochs, minLr, labelSmoothing, nFolds, folds,
                earlyStoppingPatience, gradClip, logEvery, Optimizer.ADAMW, OptimizerImpl.AUTO, 0.9, 0.999, 1e-8, 0.9, true,
                1.0, Schedule.COSINE, 30.0, 0.1, 0.1, 2, Loss.CE, null, 1, false, 0.9998, true, true, Amp.AUTO, 65536.0,
                2000, Monitor.VAL_F1, 0.0,
                0, 0, false, true);
    }

    /** True when the monitored metric is minimised ({@code val_loss}). */
    public boolean monitorMinimises() {
        return monitor.minimised();
    }

    /** {@code train.optimizer}. */
    public enum Optimizer {
        ADAMW, SGD;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code train.optimizer_impl}: AdamW kernels ({@code auto} = fused where available, else foreach). */
    public enum OptimizerImpl {
        AUTO, FUSED, FOREACH;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code train.schedule}: learning rate per optimiser step after the warm-up. */
    public enum Schedule {
        COSINE, STEP, PLATEAU, ONECYCLE;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code train.loss}: soft-target cross-entropy or binary cross-entropy. */
    public enum Loss {
        CE, BCE;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code train.amp}: mixed precision ({@code auto} = bf16 on CUDA, off elsewhere). */
    public enum Amp {
        AUTO, BF16, FP16, OFF;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** {@code train.monitor}: the validation metric behind best/top-k checkpoints, early stopping and plateau. */
    public enum Monitor {
        VAL_F1, VAL_ACC, VAL_TOP5, VAL_LOSS;

        /** True for {@code val_loss}, where lower is better. */
        public boolean minimised() {
            return this == VAL_LOSS;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @return the section with every field at its default */
    public static TrainConfig defaults() {
        return new TrainConfig(10, 32, 1e-3, 0.05, 1.0, 1e-6, 0.1, 5, null, 0, 0.0, 10);
    }

    /** A copy with another batch size (auto batch size, OOM hints). */
    public TrainConfig withBatchSize(int b) {
        return withBatch(b, autoBatchSize);
    }

    /**
     * A copy with {@code batch_size} {@code b} and {@code auto_batch_size} off: what a run records
     * once {@code auto_batch_size} has chosen {@code b}, so that a resumed run trains at the same size.
     */
    public TrainConfig withChosenBatchSize(int b) {
        return withBatch(b, false);
    }

    /** A copy with {@code batch_size} {@code b} and {@code auto_batch_size} {@code auto}. */
    private TrainConfig withBatch(int b, boolean auto) {
        return new TrainConfig(epochs, b, lr, weightDecay, warmupEpochs, minLr, labelSmoothing, nFolds, folds,
                earlyStoppingPatience, gradClip, logEvery, optimizer, optimizerImpl, beta1, beta2, eps, momentum,
                nesterov, headLrScale, schedule, stepEpochs, stepGamma, plateauFactor, plateauPatience, loss,
                classWeights, accumSteps, ema, emaDecay, emaWarmup, emaEval, amp, lossScaleInit,
                lossScaleGrowthInterval, monitor, minDelta, saveTopK, checkpointEverySteps, auto, tensorboard,
                maxTime, layerDecay, lrMultipliers, memoryBudget, oneCycle, lookahead, batchNorm, whitening);
    }

    /** {@code memory_budget} in bytes, or 0 when it is not set. */
    public long memoryBudgetBytes() {
        return memoryBudget == null ? 0 : ByteSize.parse("memory_budget", memoryBudget);
    }
}
