package dev.jvision.config;

import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The {@code train:} section: optimisation, schedule, precision, checkpoints and cross-validation,
 * as one small record per concern.
 *
 * <p>In YAML the section is flat ({@code train.lr}, {@code train.schedule}, {@code train.ema_decay},
 * ...): the components marked {@link Flatten} are sections for Java only, whose keys are read from
 * and written to the {@code train:} mapping itself. The nested YAML sections {@code one_cycle:},
 * {@code lookahead:}, {@code batch_norm:} and {@code whitening:} keep their own mappings.
 *
 * <p>From Java, every record has {@code defaults()} and one wither per component, and a section is
 * changed through a function of it, without strings, e.g.
 * <pre>{@code
 * TrainConfig t = TrainConfig.defaults()
 *         .withEpochs(20)
 *         .withOptimizer(o -> o.withKind(TrainConfig.Optimizer.Kind.Kind.SGD).withLr(0.1))
 *         .withSchedule(s -> s.withKind(TrainConfig.Schedule.Kind.Kind.ONECYCLE))
 *         .withStopping(s -> s.withMaxTime(Duration.ofMinutes(20)));
 * }</pre>
 * Each wither validates its record, so a coupled bound is changed in an order that stays valid
 * (e.g. raise {@code lr} before {@code min_lr}).
 *
 * <p>Immutable and thread-safe; values are validated in the constructors ({@code folds} and
 * {@code class_weights} are copied into unmodifiable lists).
 *
 * <p>Length: every {@code train:} key (twelve small section records and their withers) reads in one
 * file, as the YAML section does.
 *
 * @param epochs training epochs, &gt;= 1 (default 10)
 * @param batch batch size, accumulation and automatic batch sizing
 * @param cv the folds of cross-validation
 * @param optimizer the optimiser and its parameter groups
 * @param schedule the learning-rate schedule
 * @param precision mixed precision and fp16 loss scaling
 * @param ema the exponential moving average of the weights
 * @param loss the loss
 * @param checkpoint the monitored metric and which weights are kept
 * @param stopping early stopping and the wall-clock budget
 * @param logging step logging and TensorBoard
 * @param modelSetup changes applied to the model before training (BatchNorm options, whitening)
 */
public record TrainConfig(
        int epochs,
        @Flatten Batching batch,
        @Flatten Folds cv,
        @Flatten Optimizer optimizer,
        @Flatten Schedule schedule,
        @Flatten Precision precision,
        @Flatten Ema ema,
        @Flatten Loss loss,
        @Flatten Checkpointing checkpoint,
        @Flatten Stopping stopping,
        @Flatten Logging logging,
        @Flatten ModelSetup modelSetup) {

    public TrainConfig {
        Checks.atLeast("epochs", epochs, 1);
        if (batch == null) batch = Batching.defaults();
        if (cv == null) cv = Folds.defaults();
        if (optimizer == null) optimizer = Optimizer.defaults();
        if (schedule == null) schedule = Schedule.defaults();
        if (precision == null) precision = Precision.defaults();
        if (ema == null) ema = Ema.defaults();
        if (loss == null) loss = Loss.defaults();
        if (checkpoint == null) checkpoint = Checkpointing.defaults();
        if (stopping == null) stopping = Stopping.defaults();
        if (logging == null) logging = Logging.defaults();
        if (modelSetup == null) modelSetup = ModelSetup.defaults();
        if (schedule.minLr() > optimizer.lr()) {
            throw Checks.fail("min_lr", schedule.minLr(), "<= lr (" + optimizer.lr() + ")");
        }
    }

    /** @return the section with every field at its default */
    public static TrainConfig defaults() {
        return new TrainConfig(10, null, null, null, null, null, null, null, null, null, null, null);
    }

    // withers: a copy with one component replaced, validated like the constructor
    public TrainConfig withEpochs(int v) {
        return new TrainConfig(v, batch, cv, optimizer, schedule, precision, ema, loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withBatch(UnaryOperator<Batching> f) {
        return new TrainConfig(epochs, f.apply(batch), cv, optimizer, schedule, precision, ema, loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withCv(UnaryOperator<Folds> f) {
        return new TrainConfig(epochs, batch, f.apply(cv), optimizer, schedule, precision, ema, loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withOptimizer(UnaryOperator<Optimizer> f) {
        return new TrainConfig(epochs, batch, cv, f.apply(optimizer), schedule, precision, ema, loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withSchedule(UnaryOperator<Schedule> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, f.apply(schedule), precision, ema, loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withPrecision(UnaryOperator<Precision> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, f.apply(precision), ema, loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withEma(UnaryOperator<Ema> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, precision, f.apply(ema), loss, checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withLoss(UnaryOperator<Loss> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, precision, ema, f.apply(loss), checkpoint, stopping, logging, modelSetup);
    }
    public TrainConfig withCheckpoint(UnaryOperator<Checkpointing> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, precision, ema, loss, f.apply(checkpoint), stopping, logging, modelSetup);
    }
    public TrainConfig withStopping(UnaryOperator<Stopping> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, precision, ema, loss, checkpoint, f.apply(stopping), logging, modelSetup);
    }
    public TrainConfig withLogging(UnaryOperator<Logging> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, precision, ema, loss, checkpoint, stopping, f.apply(logging), modelSetup);
    }
    public TrainConfig withModelSetup(UnaryOperator<ModelSetup> f) {
        return new TrainConfig(epochs, batch, cv, optimizer, schedule, precision, ema, loss, checkpoint, stopping, logging, f.apply(modelSetup));
    }

    /** A copy with another batch size (auto batch size, OOM hints). */
    public TrainConfig withBatchSize(int b) {
        return withBatch(s -> s.withSize(b));
    }

    /**
     * A copy with {@code batch_size} {@code b} and {@code auto_batch_size} off: what a run records
     * once {@code auto_batch_size} has chosen {@code b}, so that a resumed run trains at the same size.
     */
    public TrainConfig withChosenBatchSize(int b) {
        return withBatch(s -> s.withSize(b).withAuto(false));
    }

    /**
     * Batch size and automatic batch sizing.
     *
     * @param size {@code batch_size}: training batch size, &gt;= 1 (default 32)
     * @param accumSteps micro-batches accumulated per optimiser step, &gt;= 1 (default 1)
     * @param auto {@code auto_batch_size}: choose the batch size from the memory planner's prediction,
     *     confirmed by trial steps on CUDA; on the CPU only with {@code memory_budget} (see
     *     {@code dev.jvision.train.AutoBatch}) (default false)
     * @param memoryBudget what {@code auto_batch_size} may use, e.g. {@code 8GB} (binary units, see
     *     {@link ByteSize}); nullable (default null = on CUDA the whole device less what is used outside
     *     this run's allocator; on the CPU none, so the batch size is kept)
     */
    public record Batching(@ConfigKey("batch_size") int size, int accumSteps,
                           @ConfigKey("auto_batch_size") boolean auto, ByteSize memoryBudget) {
        public Batching {
            Checks.atLeast("batch_size", size, 1);
            Checks.atLeast("accum_steps", accumSteps, 1);
        }

        /** @return the defaults */
        public static Batching defaults() {
            return new Batching(32, 1, false, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Batching withSize(int v) { return new Batching(v, accumSteps, auto, memoryBudget); }
        public Batching withAccumSteps(int v) { return new Batching(size, v, auto, memoryBudget); }
        public Batching withAuto(boolean v) { return new Batching(size, accumSteps, v, memoryBudget); }
        public Batching withMemoryBudget(ByteSize v) { return new Batching(size, accumSteps, auto, v); }
    }

    /**
     * Cross-validation folds.
     *
     * @param nFolds number of folds, &gt;= 1; 1 = a single stratified hold-out split (default 5)
     * @param folds the folds to run, each in [0, nFolds), distinct; nullable (default null = all)
     */
    public record Folds(int nFolds, List<Integer> folds) {
        public Folds {
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
        }

        /** @return the defaults (5 folds, all run) */
        public static Folds defaults() {
            return new Folds(5, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Folds withNFolds(int v) { return new Folds(v, folds); }
        public Folds withFolds(List<Integer> v) { return new Folds(nFolds, v); }
    }

    /**
     * The optimiser.
     *
     * @param kind {@code optimizer}: {@code adamw} or {@code sgd} (default adamw)
     * @param impl {@code optimizer_impl}: AdamW kernels, {@code auto} (fused, else foreach), {@code fused},
     *     {@code foreach} (default auto)
     * @param lr peak learning rate, &gt; 0 (default 1e-3)
     * @param weightDecay weight decay, &gt;= 0 (default 0.05)
     * @param beta1 AdamW first-moment decay, in [0, 1) (default 0.9)
     * @param beta2 AdamW second-moment decay, in [0, 1) (default 0.999)
     * @param eps AdamW epsilon, &gt; 0 (default 1e-8)
     * @param momentum SGD momentum, in [0, 1) (default 0.9)
     * @param nesterov SGD Nesterov momentum (default true)
     * @param gradClip gradient-norm clip, 0 = off (default 0.0)
     * @param scaling per-parameter learning-rate factors (head, layer decay, globs)
     * @param lookahead {@code lookahead:} lookahead-style averaging of the weights (default: off)
     */
    public record Optimizer(
            @ConfigKey("optimizer") Kind kind,
            @ConfigKey("optimizer_impl") Impl impl,
            double lr,
            double weightDecay,
            double beta1,
            double beta2,
            double eps,
            double momentum,
            boolean nesterov,
            double gradClip,
            @Flatten LrScaling scaling,
            Lookahead lookahead) {
        public Optimizer {
            Checks.choice("optimizer", kind, Kind.class);
            Checks.choice("optimizer_impl", impl, Impl.class);
            Checks.positive("lr", lr);
            Checks.nonNegative("weight_decay", weightDecay);
            Checks.halfOpen("beta1", beta1, 0.0, 1.0);
            Checks.halfOpen("beta2", beta2, 0.0, 1.0);
            Checks.positive("eps", eps);
            Checks.halfOpen("momentum", momentum, 0.0, 1.0);
            Checks.nonNegative("grad_clip", gradClip);
            if (scaling == null) scaling = LrScaling.defaults();
            if (lookahead == null) lookahead = Lookahead.defaults();
        }

        /** @return the defaults (AdamW, lr 1e-3, weight decay 0.05) */
        public static Optimizer defaults() {
            return new Optimizer(Kind.ADAMW, Impl.AUTO, 1e-3, 0.05, 0.9, 0.999, 1e-8, 0.9, true, 0.0, null, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Optimizer withKind(Kind v) {
            return new Optimizer(v, impl, lr, weightDecay, beta1, beta2, eps, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withImpl(Impl v) {
            return new Optimizer(kind, v, lr, weightDecay, beta1, beta2, eps, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withLr(double v) {
            return new Optimizer(kind, impl, v, weightDecay, beta1, beta2, eps, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withWeightDecay(double v) {
            return new Optimizer(kind, impl, lr, v, beta1, beta2, eps, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withBeta1(double v) {
            return new Optimizer(kind, impl, lr, weightDecay, v, beta2, eps, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withBeta2(double v) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, v, eps, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withEps(double v) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, beta2, v, momentum, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withMomentum(double v) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, beta2, eps, v, nesterov, gradClip, scaling, lookahead);
        }
        public Optimizer withNesterov(boolean v) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, beta2, eps, momentum, v, gradClip, scaling, lookahead);
        }
        public Optimizer withGradClip(double v) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, beta2, eps, momentum, nesterov, v, scaling, lookahead);
        }
        public Optimizer withScaling(UnaryOperator<LrScaling> f) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, beta2, eps, momentum, nesterov, gradClip, f.apply(scaling), lookahead);
        }
        public Optimizer withLookahead(UnaryOperator<Lookahead> f) {
            return new Optimizer(kind, impl, lr, weightDecay, beta1, beta2, eps, momentum, nesterov, gradClip, scaling, f.apply(lookahead));
        }

        /** {@code train.optimizer}. */
        public enum Kind {
            ADAMW, SGD;

            @Override
            public String toString() {
                return name().toLowerCase(Locale.ROOT);
            }
        }

        /** {@code train.optimizer_impl}: AdamW kernels ({@code auto} = fused where available, else foreach). */
        public enum Impl {
            AUTO, FUSED, FOREACH;

            @Override
            public String toString() {
                return name().toLowerCase(Locale.ROOT);
            }
        }
    }

    /**
     * Learning-rate factors of parameter groups.
     *
     * @param headLrScale learning-rate multiplier of the classifier head relative to the backbone, &gt; 0 (default 1.0)
     * @param layerDecay layer-wise learning-rate decay as timm's {@code layer_decay}: layer {@code i} of {@code n}
     *     (stem first, classifier head last) gets {@code layer_decay^(n - 1 - i)}; for the convnext, swin,
     *     efficientnetv2 and resnet families; in [0, 1], 0 = off (default 0.0)
     * @param lrMultipliers learning-rate multipliers by parameter-name glob, e.g. {@code {"head.*": 10.0}}, first
     *     matching glob wins, unmatched = 1.0, each factor &gt; 0 and each glob must match a parameter; nullable
     *     (default null = none)
     */
    public record LrScaling(double headLrScale, double layerDecay, Map<String, Double> lrMultipliers) {
        public LrScaling {
            Checks.positive("head_lr_scale", headLrScale);
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
                lrMultipliers = lrMultipliers.isEmpty() ? null
                        : Collections.unmodifiableMap(new LinkedHashMap<>(lrMultipliers));
            }
        }

        /** @return the defaults (every parameter at the optimiser's rate) */
        public static LrScaling defaults() {
            return new LrScaling(1.0, 0.0, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public LrScaling withHeadLrScale(double v) { return new LrScaling(v, layerDecay, lrMultipliers); }
        public LrScaling withLayerDecay(double v) { return new LrScaling(headLrScale, v, lrMultipliers); }
        public LrScaling withLrMultipliers(Map<String, Double> v) { return new LrScaling(headLrScale, layerDecay, v); }
    }

    /**
     * The learning-rate schedule.
     *
     * @param kind {@code schedule}: {@code cosine} (warmup + cosine to min_lr), {@code step}, {@code plateau} or
     *     {@code onecycle} (triangular: up from {@code lr x one_cycle.start_factor} to {@code lr} at
     *     {@code one_cycle.peak} of training, then down to {@code min_lr}; with {@code max_time} it follows the
     *     clock) (default cosine)
     * @param warmupEpochs linear warm-up length in (fractional) epochs, &gt;= 0 (default 1.0)
     * @param minLr final learning rate of the schedule, in [0, lr] (default 1e-6)
     * @param stepEpochs step schedule: epochs between decays, &gt; 0 (default 30.0)
     * @param stepGamma step schedule: decay factor, in (0, 1] (default 0.1)
     * @param plateauFactor plateau schedule: decay factor, in (0, 1) (default 0.1)
     * @param plateauPatience plateau schedule: epochs without improvement before decaying, &gt;= 0 (default 2)
     * @param oneCycle {@code one_cycle:} the {@code onecycle} schedule's shape (default: start at 0.2 x lr, peak
     *     at 0.25)
     */
    public record Schedule(
            @ConfigKey("schedule") Kind kind,
            double warmupEpochs,
            double minLr,
            double stepEpochs,
            double stepGamma,
            double plateauFactor,
            int plateauPatience,
            OneCycle oneCycle) {
        public Schedule {
            Checks.choice("schedule", kind, Kind.class);
            Checks.nonNegative("warmup_epochs", warmupEpochs);
            Checks.nonNegative("min_lr", minLr);
            Checks.positive("step_epochs", stepEpochs);
            Checks.positive("step_gamma", stepGamma);
            if (stepGamma > 1) throw Checks.fail("step_gamma", stepGamma, "in (0, 1]");
            Checks.positive("plateau_factor", plateauFactor);
            if (plateauFactor >= 1) throw Checks.fail("plateau_factor", plateauFactor, "in (0, 1)");
            Checks.atLeast("plateau_patience", plateauPatience, 0);
            if (oneCycle == null) oneCycle = OneCycle.defaults();
        }

        /** @return the defaults (cosine after one warm-up epoch, down to 1e-6) */
        public static Schedule defaults() {
            return new Schedule(Kind.COSINE, 1.0, 1e-6, 30.0, 0.1, 0.1, 2, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Schedule withKind(Kind v) {
            return new Schedule(v, warmupEpochs, minLr, stepEpochs, stepGamma, plateauFactor, plateauPatience, oneCycle);
        }
        public Schedule withWarmupEpochs(double v) {
            return new Schedule(kind, v, minLr, stepEpochs, stepGamma, plateauFactor, plateauPatience, oneCycle);
        }
        public Schedule withMinLr(double v) {
            return new Schedule(kind, warmupEpochs, v, stepEpochs, stepGamma, plateauFactor, plateauPatience, oneCycle);
        }
        public Schedule withStepEpochs(double v) {
            return new Schedule(kind, warmupEpochs, minLr, v, stepGamma, plateauFactor, plateauPatience, oneCycle);
        }
        public Schedule withStepGamma(double v) {
            return new Schedule(kind, warmupEpochs, minLr, stepEpochs, v, plateauFactor, plateauPatience, oneCycle);
        }
        public Schedule withPlateauFactor(double v) {
            return new Schedule(kind, warmupEpochs, minLr, stepEpochs, stepGamma, v, plateauPatience, oneCycle);
        }
        public Schedule withPlateauPatience(int v) {
            return new Schedule(kind, warmupEpochs, minLr, stepEpochs, stepGamma, plateauFactor, v, oneCycle);
        }
        public Schedule withOneCycle(UnaryOperator<OneCycle> f) {
            return new Schedule(kind, warmupEpochs, minLr, stepEpochs, stepGamma, plateauFactor, plateauPatience, f.apply(oneCycle));
        }

        /** {@code train.schedule}: learning rate per optimiser step after the warm-up. */
        public enum Kind {
            COSINE, STEP, PLATEAU, ONECYCLE;

            @Override
            public String toString() {
                return name().toLowerCase(Locale.ROOT);
            }
        }
    }

    /**
     * Mixed precision.
     *
     * @param amp {@code auto} (bf16 on CUDA, off on CPU), {@code bf16}, {@code fp16}, {@code off} (default auto)
     * @param lossScaleInit fp16: initial loss scale, &gt; 0 (default 65536)
     * @param lossScaleGrowthInterval fp16: clean steps before the scale doubles, &gt;= 1 (default 2000)
     */
    public record Precision(Amp amp, double lossScaleInit, int lossScaleGrowthInterval) {
        public Precision {
            Checks.choice("amp", amp, Amp.class);
            Checks.positive("loss_scale_init", lossScaleInit);
            Checks.atLeast("loss_scale_growth_interval", lossScaleGrowthInterval, 1);
        }

        /** @return the defaults (auto) */
        public static Precision defaults() {
            return new Precision(Amp.AUTO, 65536.0, 2000);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Precision withAmp(Amp v) { return new Precision(v, lossScaleInit, lossScaleGrowthInterval); }
        public Precision withLossScaleInit(double v) { return new Precision(amp, v, lossScaleGrowthInterval); }
        public Precision withLossScaleGrowthInterval(int v) { return new Precision(amp, lossScaleInit, v); }
    }

    /**
     * The exponential moving average of the weights.
     *
     * @param enabled {@code ema}: keep an exponential moving average of the weights (default false)
     * @param decay {@code ema_decay}: in [0, 1) (default 0.9998)
     * @param warmup {@code ema_warmup}: decay warmup min(decay, (1+t)/(10+t)) (default true)
     * @param eval {@code ema_eval}: validate and checkpoint the EMA weights when ema is on (default true)
     */
    public record Ema(@ConfigKey("ema") boolean enabled, @ConfigKey("ema_decay") double decay,
                      @ConfigKey("ema_warmup") boolean warmup, @ConfigKey("ema_eval") boolean eval) {
        public Ema {
            Checks.halfOpen("ema_decay", decay, 0.0, 1.0);
        }

        /** @return the defaults (off) */
        public static Ema defaults() {
            return new Ema(false, 0.9998, true, true);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Ema withEnabled(boolean v) { return new Ema(v, decay, warmup, eval); }
        public Ema withDecay(double v) { return new Ema(enabled, v, warmup, eval); }
        public Ema withWarmup(boolean v) { return new Ema(enabled, decay, v, eval); }
        public Ema withEval(boolean v) { return new Ema(enabled, decay, warmup, v); }
    }

    /**
     * The loss.
     *
     * @param kind {@code loss}: {@code ce} (soft-target cross-entropy) or {@code bce} (default ce)
     * @param labelSmoothing label smoothing, in [0, 1) (default 0.1)
     * @param classWeights per-class loss weights, each &gt; 0, nullable (default null = equal)
     */
    public record Loss(@ConfigKey("loss") Kind kind, double labelSmoothing, List<Double> classWeights) {
        public Loss {
            Checks.choice("loss", kind, Kind.class);
            Checks.halfOpen("label_smoothing", labelSmoothing, 0.0, 1.0);
            if (classWeights != null) {
                if (classWeights.isEmpty()) throw Checks.fail("class_weights", List.of(), "a non-empty list, or null");
                for (int i = 0; i < classWeights.size(); i++) {
                    Double w = classWeights.get(i);
                    if (w == null || !(w > 0) || w.isInfinite()) throw Checks.fail("class_weights[" + i + "]", w, "a number > 0");
                }
                classWeights = List.copyOf(classWeights);
            }
        }

        /** @return the defaults (cross-entropy, smoothing 0.1) */
        public static Loss defaults() {
            return new Loss(Kind.CE, 0.1, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Loss withKind(Kind v) { return new Loss(v, labelSmoothing, classWeights); }
        public Loss withLabelSmoothing(double v) { return new Loss(kind, v, classWeights); }
        public Loss withClassWeights(List<Double> v) { return new Loss(kind, labelSmoothing, v); }

        /** {@code train.loss}: soft-target cross-entropy or binary cross-entropy. */
        public enum Kind {
            CE, BCE;

            @Override
            public String toString() {
                return name().toLowerCase(Locale.ROOT);
            }
        }
    }

    /**
     * The monitored metric and the checkpoints kept.
     *
     * @param monitor metric for best/top-k/early stopping/plateau: {@code val_f1}, {@code val_acc},
     *     {@code val_top5}, {@code val_loss} (minimised) (default val_f1)
     * @param minDelta smallest change of the monitored metric that counts as an improvement, &gt;= 0 (default 0.0)
     * @param saveTopK keep the k best epochs' weights as {@code fold<k>/top/epoch<N>.safetensors}, &gt;= 0 (default 0)
     * @param everySteps {@code checkpoint_every_steps}: also save the resumable state every N optimiser steps
     *     inside an epoch, 0 = only at epoch ends, &gt;= 0 (default 0)
     */
    public record Checkpointing(Monitor monitor, double minDelta, int saveTopK,
                                @ConfigKey("checkpoint_every_steps") int everySteps) {
        public Checkpointing {
            Checks.choice("monitor", monitor, Monitor.class);
            Checks.nonNegative("min_delta", minDelta);
            Checks.atLeast("save_top_k", saveTopK, 0);
            Checks.atLeast("checkpoint_every_steps", everySteps, 0);
        }

        /** @return the defaults (val_f1, last and best only) */
        public static Checkpointing defaults() {
            return new Checkpointing(Monitor.VAL_F1, 0.0, 0, 0);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Checkpointing withMonitor(Monitor v) { return new Checkpointing(v, minDelta, saveTopK, everySteps); }
        public Checkpointing withMinDelta(double v) { return new Checkpointing(monitor, v, saveTopK, everySteps); }
        public Checkpointing withSaveTopK(int v) { return new Checkpointing(monitor, minDelta, v, everySteps); }
        public Checkpointing withEverySteps(int v) { return new Checkpointing(monitor, minDelta, saveTopK, v); }
    }

    /**
     * When a fold's training ends before {@code epochs}.
     *
     * @param earlyStoppingPatience epochs without improvement of the monitor before stopping, 0 = off (default 0)
     * @param maxTime wall-clock budget of each fold's training, written as a duration such as {@code 90s},
     *     {@code 20m}, {@code 1h30m} or {@code 2h}: training stops when it is spent (the partial epoch is
     *     validated) and the learning-rate schedule follows the clock so that it ends with the budget; nullable
     *     (default null = no limit)
     */
    public record Stopping(int earlyStoppingPatience, Duration maxTime) {
        public Stopping {
            Checks.atLeast("early_stopping_patience", earlyStoppingPatience, 0);
            if (maxTime != null && (maxTime.toMillis() < 1 || maxTime.toHours() > 100_000)) {
                throw Checks.fail("max_time", maxTime, "a duration > 0 and up to 100000h");
            }
        }

        /** @return the defaults (no early stopping, no budget) */
        public static Stopping defaults() {
            return new Stopping(0, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Stopping withEarlyStoppingPatience(int v) { return new Stopping(v, maxTime); }
        public Stopping withMaxTime(Duration v) { return new Stopping(earlyStoppingPatience, v); }
    }

    /**
     * Logging.
     *
     * @param logEvery log every N steps, &gt;= 1 (default 10)
     * @param tensorboard write TensorBoard event files into the run folder (default true)
     */
    public record Logging(int logEvery, boolean tensorboard) {
        public Logging {
            Checks.atLeast("log_every", logEvery, 1);
        }

        /** @return the defaults */
        public static Logging defaults() {
            return new Logging(10, true);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Logging withLogEvery(int v) { return new Logging(v, tensorboard); }
        public Logging withTensorboard(boolean v) { return new Logging(logEvery, v); }
    }

    /**
     * Changes made to the model before training.
     *
     * @param batchNorm {@code batch_norm:} BatchNorm options (default: none)
     * @param whitening {@code whitening:} patch-whitening initialisation of the first convolution (default: off)
     */
    public record ModelSetup(BatchNorm batchNorm, Whitening whitening) {
        public ModelSetup {
            if (batchNorm == null) batchNorm = BatchNorm.defaults();
            if (whitening == null) whitening = Whitening.defaults();
        }

        /** @return the defaults (the model as built) */
        public static ModelSetup defaults() {
            return new ModelSetup(null, null);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public ModelSetup withBatchNorm(UnaryOperator<BatchNorm> f) {
            return new ModelSetup(f.apply(batchNorm), whitening);
        }
        public ModelSetup withWhitening(UnaryOperator<Whitening> f) {
            return new ModelSetup(batchNorm, f.apply(whitening));
        }
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

        // withers: a copy with one component replaced, validated like the constructor
        public OneCycle withStartFactor(double v) { return new OneCycle(v, peak); }
        public OneCycle withPeak(double v) { return new OneCycle(startFactor, v); }
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

        // withers: a copy with one component replaced, validated like the constructor
        public Lookahead withEvery(int v) { return new Lookahead(v, decay, power); }
        public Lookahead withDecay(double v) { return new Lookahead(every, v, power); }
        public Lookahead withPower(double v) { return new Lookahead(every, decay, v); }

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

        // withers: a copy with one component replaced, validated like the constructor
        public BatchNorm withMomentum(Double v) { return new BatchNorm(v, frozenScale, biasLrScale); }
        public BatchNorm withFrozenScale(boolean v) { return new BatchNorm(momentum, v, biasLrScale); }
        public BatchNorm withBiasLrScale(double v) { return new BatchNorm(momentum, frozenScale, v); }

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

        // withers: a copy with one component replaced, validated like the constructor
        public Whitening withEnabled(boolean v) { return new Whitening(v, images, eps, freeze); }
        public Whitening withImages(int v) { return new Whitening(enabled, v, eps, freeze); }
        public Whitening withEps(double v) { return new Whitening(enabled, images, v, freeze); }
        public Whitening withFreeze(boolean v) { return new Whitening(enabled, images, eps, v); }
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
}
