package dev.jvision.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.augment.Augmenter;
import dev.jvision.augment.BatchTransform;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.SafeTensors;
import dev.jvision.models.Weights;
import dev.jvision.optim.Ema;
import dev.jvision.optim.FusedAdamW;
import dev.jvision.optim.LossScaler;
import dev.jvision.optim.LrSchedule;
import dev.jvision.optim.ParamGroup;
import dev.jvision.optim.ParamGroups;
import dev.jvision.optim.Plateau;
import dev.jvision.optim.Sgd;
import dev.jvision.optim.StepDecay;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.optim.WarmupCosine;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Devices;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.MemoryStats;
import dev.jvision.track.Progress;
import dev.jvision.track.RunDir;
import dev.jvision.track.TensorBoardWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one model per fold with the full recipe: AdamW (fused) or SGD over parameter groups,
 * warmup + cosine / step / plateau schedule per optimiser step, autocast (bf16/fp16 with
 * dynamic loss scaling), soft-target cross-entropy or BCE with label smoothing and class
 * weights, gradient accumulation and clipping, EMA weights, validation every epoch (macro-F1,
 * accuracy, top-5, loss), best / top-k / last checkpoints, early stopping, metrics.csv and
 * TensorBoard rows. {@code fold<k>/last.safetensors} holds everything needed to resume, also
 * inside an epoch, to a bit-identical result. Each step runs in its own native scope.
 * Not thread-safe: one fold trains at a time.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Experiment exp;
    private final Device device;
    private final List<String> classNames;

    /**
     * @param exp        the experiment (model, augment and train sections are used)
     * @param device     where to train
     * @param classNames class names by id, saved with checkpoints
     */
    public Trainer(Experiment exp, Device device, List<String> classNames) {
        this.exp = exp;
        this.device = device;
        this.classNames = List.copyOf(classNames);
    }

    /** Builds the configured model ({@code model.name}) for {@code numClasses}. */
    public ImageModel buildModel(int numClasses) throws IOException {
        return buildModel(exp.model().name(), numClasses);
    }

    /** Builds architecture {@code name} for {@code numClasses}, loading {@code model.weights} if set. */
    public ImageModel buildModel(String name, int numClasses) throws IOException {
        var m = exp.model();
        ImageModel model = Models.create(name, new ModelOptions(numClasses, m.dropRate(), m.dropPathRate()));
        if (m.weights() != null) {
            Weights.LoadReport r = Weights.load(model, Path.of(m.weights()), true);
            LOG.info("loaded {} tensors from {}{}", r.loaded(), r.file(),
                    r.droppedHead().isEmpty() ? "" : " (new classifier head: " + numClasses + " classes)");
        }
        model.to(device);
        if (m.channelsLast()) {
            model.toChannelsLast();
        }
        if (m.freezeBackbone()) {
            model.freezeBackbone(true);
            LOG.info("model.freeze_backbone: only '{}' is trained", model.classifierName());
        }
        return model;
    }

    /** Builds the configured optimiser over {@code model}'s parameter groups; the caller closes it. */
    public static StepOptimizer buildOptimizer(ImageModel model, TrainConfig t) {
        List<ParamGroup> groups = ParamGroups.of(model, model.classifierName(), t.weightDecay(), t.headLrScale());
        if ("sgd".equals(t.optimizer())) {
            return new Sgd(groups, t.momentum(), t.nesterov());
        }
        FusedAdamW.Impl impl = switch (t.optimizerImpl()) {
            case "fused" -> FusedAdamW.Impl.FUSED;
            case "foreach" -> FusedAdamW.Impl.FOREACH;
            default -> FusedAdamW.Impl.AUTO;
        };
        return new FusedAdamW(groups, t.beta1(), t.beta2(), t.eps(), impl);
    }

    /** The configured schedule for {@code stepsPerEpoch} optimiser steps per epoch. */
    public static LrSchedule buildSchedule(TrainConfig t, long stepsPerEpoch) {
        long warm = Math.round(t.warmupEpochs() * stepsPerEpoch);
        return switch (t.schedule()) {
            case "step" -> new StepDecay(t.lr(), t.minLr(), warm, Math.max(1, Math.round(t.stepEpochs() * stepsPerEpoch)),
                    t.stepGamma());
            case "plateau" -> new Plateau(t.lr(), t.minLr(), warm, t.plateauFactor(), t.plateauPatience(),
                    !t.monitorMinimises(), t.minDelta());
            default -> new WarmupCosine(t.lr(), t.minLr(), warm, Math.max(1, stepsPerEpoch * t.epochs()));
        };
    }

    /** Trains fold {@code fold} from scratch; see {@link #fit(int, List, List, ImageCache, RunDir, boolean)}. */
    public FoldResult fit(int fold, List<Sample> train, List<Sample> val, ImageCache cache, RunDir run)
            throws IOException {
        return fit(fold, train, val, cache, run, false);
    }

    /**
     * Trains fold {@code fold} on {@code train}, validating on {@code val}; images come from
     * {@code cache}. With {@code resume} and a {@code fold<k>/last.safetensors} in the run
     * folder, training continues from that state. Returns the best epoch's result (also written
     * to {@code fold<k>/result.json}); its checkpoint is {@code fold<k>/best.safetensors}.
     */
    public FoldResult fit(int fold, List<Sample> train, List<Sample> val, ImageCache cache, RunDir run, boolean resume)
            throws IOException {
        TrainConfig t = exp.train();
        long seed = exp.experiment().seed() + 1000L * fold;
        TorchSettings.seed(seed);
        String arch = exp.model().modelForFold(fold);
        int numClasses = exp.model().numClasses();
        if (t.classWeights() != null && t.classWeights().size() != numClasses) {
            throw new IllegalArgumentException("train.class_weights: " + t.classWeights().size()
                    + " values (expected: " + numClasses + ", model.num_classes)");
        }
        if (t.autoBatchSize()) {
            t = t.withBatchSize(AutoBatch.find(this, arch, t, exp, device));
        }
        int[] valTargets = val.stream().mapToInt(Sample::label).toArray();
        long start = System.nanoTime();
        Path foldDir = run.foldDir(fold);
        Path best = foldDir.resolve("best.safetensors");
        Path last = foldDir.resolve("last.safetensors");
        FoldProgress p = FoldProgress.start(fold, arch);
        float[][] bestLogits = null;
        boolean resuming = resume && Files.isRegularFile(last);
        TensorBoardWriter tb = t.tensorboard() ? new TensorBoardWriter(run.dir().resolve("tensorboard")) : null;
        try (ImageModel model = buildModel(arch, numClasses);
             BatchTransform transform = new BatchTransform(exp.augment(), model.spec().mean(), model.spec().std(),
                     device, exp.model().channelsLast());
             Augmenter augmenter = new Augmenter(exp.augment(), numClasses, model.spec().mean(), model.spec().std(),
                     device, exp.model().channelsLast());
             BatchLoader loader = new BatchLoader(cache, train, t.batchSize(), true, seed,
                     train.size() > t.batchSize(), exp.data().prefetch());
             StepOptimizer opt = buildOptimizer(model, t);
             LossScaler scaler = StepEngine.resolveAmp(t.amp(), device) == StepEngine.Amp.FP16
                     ? new LossScaler(true, t.lossScaleInit(), 2.0, 0.5, t.lossScaleGrowthInterval(), device)
                     : LossScaler.disabled(device);
             Ema ema = t.ema() ? new Ema(model, t.emaDecay(), t.emaWarmup()) : null;
             ClassWeights cw = new ClassWeights(t.classWeights(), device)) {
            int batches = loader.numBatches();
            long stepsPerEpoch = (batches + t.accumSteps() - 1) / t.accumSteps();
            LrSchedule schedule = buildSchedule(t, stepsPerEpoch);
            if (resuming) {
                p = restore(last, arch, model, opt, ema, scaler, schedule);
                bestLogits = readBestLogits(last);
                run.metrics().truncate(fold, p.completedEpochs());
                LOG.info("fold {}: resuming at epoch {} batch {} (optimizer step {})", fold, p.epoch() + 1, p.batch(),
                        p.optimizerSteps());
            }
            StepEngine.Amp amp = StepEngine.resolveAmp(t.amp(), device);
            StepEngine engine = new StepEngine(model, opt, scaler, ema, t, amp, device, cw.tensor());
            EarlyStopping stopper = new EarlyStopping(t.earlyStoppingPatience(), t.monitorMinimises(), t.minDelta(),
                    p.best(), p.sinceBest());
            TopK topK = new TopK(t.saveTopK(), t.monitorMinimises(), p.topK());
            cleanTopK(foldDir, topK);
            long steps = p.optimizerSteps();
            LOG.info("fold {}: {} train / {} val images, {} on {}, {} steps per epoch, amp {}, {}", fold, train.size(),
                    val.size(), arch, Devices.describe(device), stepsPerEpoch, amp.name().toLowerCase(),
                    opt instanceof FusedAdamW a ? "adamw (" + a.impl().name().toLowerCase() + ")" : t.optimizer());
            for (int epoch = p.epoch(); epoch < t.epochs() && !p.stopped(); epoch++) {
                model.train(true);
                MemoryStats.resetPeak(device);
                loader.startEpoch(epoch);
                int b = epoch == p.epoch() ? p.batch() : 0;
                for (int i = 0; i < b; i++) {
                    loader.next();
                }
                double lossSum = b > 0 ? p.lossSum() : 0;
                long images = b > 0 ? p.images() : 0;
                long skipped0 = scaler.skippedSteps();
                long epochStart = System.nanoTime();
                long imagesHere = 0;
                double lr = schedule.at(steps);
                try (Progress bar = Progress.start(String.format("fold %d epoch %d/%d", fold, epoch + 1, t.epochs()),
                        batches - b)) {
                    while (loader.hasNext()) {
                        Batch batch = loader.next();
                        float loss;
                        try (var scope = Memory.step()) {
                            Tensor raw = Tensors.fromBytes(batch.pixels(), batch.size(), batch.height(), batch.width(), 3)
                                    .to(device, torch.ScalarType.Byte);
                            Tensor labels = Tensors.fromInts(batch.labels()).to(device, torch.ScalarType.Long);
                            // images augmented on the device; soft targets carry Mixup/CutMix weights
                            Augmenter.Augmented a = augmenter.train(raw, labels, epoch, t.epochs(),
                                    seed * 1_000_003L + (long) epoch * batches + b);
                            loss = engine.accumulate(a.images(), a.targets());
                        } catch (RuntimeException e) {
                            throw OutOfMemory.explain(e, t.batchSize(), device);
                        }
                        b++;
                        lossSum += (double) loss * batch.size();
                        images += batch.size();
                        imagesHere += batch.size();
                        if (engine.readyToStep() || b == batches) {
                            lr = schedule.at(steps);
                            try (var scope = Memory.step()) {
                                engine.step(lr);
                            }
                            steps++;
                            if (t.checkpointEverySteps() > 0 && steps % t.checkpointEverySteps() == 0 && b < batches) {
                                p = new FoldProgress(fold, arch, epoch, b, p.completedEpochs(), steps, lossSum, images,
                                        scaler.skippedSteps(), ema == null ? 0 : ema.updates(), stopper.best(),
                                        p.bestEpoch(), p.bestF1(), p.bestAcc(), p.bestLoss(), stopper.sinceBest(),
                                        topK.entries(), schedule.state(), false);
                                saveLast(last, model, opt, ema, scaler, p, bestLogits);
                            }
                        }
                        double secs = (System.nanoTime() - epochStart) / 1e9;
                        bar.step(1, String.format("loss %.4f lr %.2e %.1f img/s", lossSum / images, lr, imagesHere / secs));
                    }
                }
                double secs = (System.nanoTime() - epochStart) / 1e9;
                boolean swapped = ema != null && t.emaEval();
                if (swapped) {
                    ema.swap();
                }
                float[][] logits;
                try {
                    logits = Evaluator.logits(model, transform, val, cache, exp.infer().batchSize(),
                            exp.data().prefetch(), device);
                } catch (RuntimeException e) {
                    throw OutOfMemory.explain(e, exp.infer().batchSize(), device);
                }
                int[] pred = ClassificationMetrics.argmax(logits);
                double f1 = ClassificationMetrics.macroF1(pred, valTargets, numClasses);
                double acc = ClassificationMetrics.accuracy(pred, valTargets);
                double top5 = topKAccuracy(logits, valTargets, 5);
                double vloss = ProbabilityMetrics.nllOfProbs(ProbabilityMetrics.softmax(logits, 1.0), valTargets);
                double trainLoss = images == 0 ? 0 : lossSum / images;
                double value = switch (t.monitor()) {
                    case "val_acc" -> acc;
                    case "val_top5" -> top5;
                    case "val_loss" -> vloss;
                    default -> f1;
                };
                boolean improved = stopper.observe(value);
                int bestEpoch = p.bestEpoch();
                double bestF1 = p.bestF1();
                double bestAcc = p.bestAcc();
                double bestLoss = p.bestLoss();
                if (improved) {
                    bestEpoch = epoch + 1;
                    bestF1 = f1;
                    bestAcc = acc;
                    bestLoss = vloss;
                    bestLogits = logits;
                    saveWeights(model, best, fold, epoch + 1, f1, acc, vloss);
                }
                TopK.Decision d = topK.offer(epoch + 1, value);
                if (d.keep()) {
                    saveWeights(model, topFile(foldDir, epoch + 1), fold, epoch + 1, f1, acc, vloss);
                }
                if (d.evicted() > 0) {
                    Files.deleteIfExists(topFile(foldDir, d.evicted()));
                    Files.deleteIfExists(CheckpointInfo.sidecarOf(topFile(foldDir, d.evicted())));
                }
                if (swapped) {
                    ema.swap();
                }
                schedule.observe(value);
                long peakMb = MemoryStats.peakBytes(device) >> 20;
                long skippedEpoch = scaler.skippedSteps() - skipped0;
                run.metrics().append(fold, epoch + 1, fmt(trainLoss), fmt(vloss), fmt(f1), fmt(acc), fmt(top5),
                        String.format("%.3e", lr), String.format("%.1f", imagesHere / secs), peakMb,
                        scaler.skippedSteps(), String.format("%.1f", secs));
                if (tb != null) {
                    String f = "fold" + fold + "/";
                    int e1 = epoch + 1;
                    tb.scalar(f + "train_loss", trainLoss, e1);
                    tb.scalar(f + "val_loss", vloss, e1);
                    tb.scalar(f + "val_f1", f1, e1);
                    tb.scalar(f + "val_acc", acc, e1);
                    tb.scalar(f + "val_top5", top5, e1);
                    tb.scalar(f + "lr", lr, e1);
                    tb.scalar(f + "img_per_s", imagesHere / secs, e1);
                    tb.scalar(f + "peak_mem_mb", peakMb, e1);
                    tb.scalar(f + "skipped_steps", scaler.skippedSteps(), e1);
                }
                LOG.info("fold {} epoch {}/{}: train_loss {} val_loss {} val_f1 {} val_acc {} val_top5 {} lr {} "
                                + "({} img/s, peak {} MB{}){}", fold, epoch + 1, t.epochs(), fmt(trainLoss), fmt(vloss),
                        fmt(f1), fmt(acc), fmt(top5), String.format("%.2e", lr), String.format("%.1f", imagesHere / secs),
                        peakMb, skippedEpoch > 0 ? ", " + skippedEpoch + " fp16 steps skipped" : "",
                        improved ? " *" : "");
                boolean stop = stopper.shouldStop();
                if (stop) {
                    LOG.info("fold {}: early stop after epoch {} (no {} improvement in {} epochs)", fold, epoch + 1,
                            t.monitor(), t.earlyStoppingPatience());
                }
                p = new FoldProgress(fold, arch, epoch + 1, 0, epoch + 1, steps, 0, 0, scaler.skippedSteps(),
                        ema == null ? 0 : ema.updates(), stopper.best(), bestEpoch, bestF1, bestAcc, bestLoss,
                        stopper.sinceBest(), topK.entries(), schedule.state(), stop);
                saveLast(last, model, opt, ema, scaler, p, bestLogits);
            }
        } finally {
            if (tb != null) {
                tb.close();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        FoldResult r = new FoldResult(fold, p.bestEpoch(), p.bestF1(), p.bestAcc(), p.bestLoss(), best, val, bestLogits,
                seconds);
        writeResult(foldDir.resolve("result.json"), arch, r);
        return r;
    }

    /** Fraction of rows whose target is among the {@code k} largest scores. */
    static double topKAccuracy(float[][] scores, int[] targets, int k) {
        if (scores.length == 0) return 0;
        int hit = 0;
        for (int i = 0; i < scores.length; i++) {
            float v = scores[i][targets[i]];
            int above = 0;
            for (float s : scores[i]) {
                if (s > v) above++;
            }
            if (above < k) hit++;
        }
        return (double) hit / scores.length;
    }

    private static Path topFile(Path foldDir, int epoch) {
        return foldDir.resolve("top").resolve(String.format("epoch%03d.safetensors", epoch));
    }

    /** Removes top-k files that the restored state does not list (written after the last checkpoint). */
    private static void cleanTopK(Path foldDir, TopK topK) throws IOException {
        Path dir = foldDir.resolve("top");
        if (!Files.isDirectory(dir)) return;
        List<String> keep = new ArrayList<>();
        for (TopK.Entry e : topK.entries()) {
            String s = topFile(foldDir, e.epoch()).getFileName().toString();
            keep.add(s);
            keep.add(CheckpointInfo.sidecarOf(Path.of(s)).toString());
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (!keep.contains(f.getFileName().toString())) Files.deleteIfExists(f);
            }
        }
    }

    private void saveLast(Path file, ImageModel model, StepOptimizer opt, Ema ema, LossScaler scaler, FoldProgress p,
                          float[][] bestLogits) throws IOException {
        try (var scope = Memory.step()) {
            Map<String, Tensor> all = new LinkedHashMap<>();
            model.stateDict().forEach((k, v) -> all.put("model." + k, v));
            opt.state().forEach((k, v) -> all.put("optim." + k, v));
            if (ema != null) {
                ema.state().forEach((k, v) -> all.put("ema." + k, v));
            }
            scaler.state().forEach((k, v) -> all.put("scaler." + k, v));
            all.put("rng.cpu", torch.getDefaultCPUGenerator().get_state());
            if (bestLogits != null && bestLogits.length > 0) {
                int c = bestLogits[0].length;
                float[] flat = new float[bestLogits.length * c];
                for (int i = 0; i < bestLogits.length; i++) {
                    System.arraycopy(bestLogits[i], 0, flat, i * c, c);
                }
                all.put("oof.best_logits", Tensors.fromFloats(flat, bestLogits.length, c));
            }
            SafeTensors.write(file, all, new java.util.TreeMap<>(Map.of("format", "jvision-train-state", "progress",
                    JSON.writeValueAsString(p))));
        }
        writeJson(CheckpointInfo.sidecarOf(file), p);
    }

    private FoldProgress restore(Path file, String arch, ImageModel model, StepOptimizer opt, Ema ema,
                                 LossScaler scaler, LrSchedule schedule) throws IOException {
        try (var scope = Memory.step(); SafeTensors.Contents c = SafeTensors.read(file); NoGradGuard ng = new NoGradGuard()) {
            String json = c.metadata().get("progress");
            if (json == null) {
                throw new IllegalArgumentException(file + ": not a training state (no 'progress' metadata)");
            }
            FoldProgress p = JSON.readValue(json, FoldProgress.class);
            if (!arch.equals(p.model())) {
                throw new IllegalArgumentException(file + ": state of model '" + p.model() + "' (expected: '" + arch
                        + "', from the run's config.yaml)");
            }
            for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                Tensor src = c.tensors().get("model." + e.getKey());
                if (src == null) throw new IllegalArgumentException(file + ": missing 'model." + e.getKey() + "'");
                e.getValue().detach().copy_(src);
            }
            opt.loadState(strip(c.tensors(), "optim."));
            if (ema != null) {
                Map<String, Tensor> es = strip(c.tensors(), "ema.");
                if (es.isEmpty()) throw new IllegalArgumentException(file + ": no EMA state (train.ema was off)");
                ema.load(es, p.emaUpdates());
            }
            scaler.load(strip(c.tensors(), "scaler."), p.skippedSteps());
            schedule.restore(p.schedule());
            torch.getDefaultCPUGenerator().set_state(c.tensors().get("rng.cpu"));
            return p;
        }
    }

    private static float[][] readBestLogits(Path file) throws IOException {
        try (var scope = Memory.step(); SafeTensors.Contents c = SafeTensors.read(file)) {
            Tensor t = c.tensors().get("oof.best_logits");
            if (t == null) return null;
            int n = (int) t.size(0);
            int k = (int) t.size(1);
            float[] flat = Tensors.toFloats(t);
            float[][] out = new float[n][k];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * k, out[i], 0, k);
            }
            return out;
        }
    }

    private static Map<String, Tensor> strip(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all.forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }

    /** What result.json holds: the fold's scores and out-of-fold logits. */
    public record SavedResult(int fold, String model, int bestEpoch, double bestF1, double bestAcc, double bestLoss,
                              double seconds, List<String> ids, float[][] oofLogits) {}

    private static void writeResult(Path file, String arch, FoldResult r) throws IOException {
        List<String> ids = r.validation().stream().map(Sample::id).toList();
        writeJson(file, new SavedResult(r.fold(), arch, r.bestEpoch(), r.bestF1(), r.bestAcc(), r.bestLoss(),
                r.seconds(), ids, r.oofLogits()));
    }

    /** Reads a finished fold's {@code result.json}, or null when the fold has not finished. */
    public static FoldResult readResult(Path foldDir, List<Sample> val) throws IOException {
        Path f = foldDir.resolve("result.json");
        if (!Files.isRegularFile(f)) return null;
        SavedResult s = JSON.readValue(f.toFile(), SavedResult.class);
        List<String> ids = val.stream().map(Sample::id).toList();
        if (!ids.equals(s.ids())) {
            throw new IllegalArgumentException(f + ": validation samples differ from this run's fold split "
                    + "(expected: the same data and train.n_folds / experiment.seed)");
        }
        return new FoldResult(s.fold(), s.bestEpoch(), s.bestF1(), s.bestAcc(), s.bestLoss(),
                foldDir.resolve("best.safetensors"), val, s.oofLogits(), s.seconds());
    }

    static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.write(file, tmp -> JSON.writeValue(tmp.toFile(), value));
    }

    /**
     * One optimiser step with a libtorch {@link Optimizer} on batch {@code b} inside its own
     * native scope: upload, augment with {@code augSeed}, forward, label-smoothed
     * cross-entropy, backward, optional clipping, step. Returns the loss. (The fold loop uses
     * {@link StepEngine}; this form serves benchmarks and memory tests.)
     *
     * @throws IllegalStateException when the loss is not finite
     */
    public float trainStep(ImageModel model, Optimizer opt, BatchTransform transform, Batch b, long augSeed,
                           TrainConfig t) {
        try (var scope = Memory.step()) {
            Tensor raw = Tensors.fromBytes(b.pixels(), b.size(), b.height(), b.width(), 3).to(device, torch.ScalarType.Byte);
            Tensor y = Tensors.fromInts(b.labels()).to(device, torch.ScalarType.Long);
            Tensor x = transform.train(raw, augSeed);
            opt.zero_grad(true);
            Tensor logits = model.forward(x);
            Tensor loss = torch.cross_entropy_loss(logits, y, new TensorOptional(), 1, -100, t.labelSmoothing());
            loss.backward();
            if (t.gradClip() > 0) {
                try (var params = model.parameterVector()) {
                    torch.clip_grad_norm_(params, t.gradClip());
                }
            }
            opt.step();
            float v = loss.item_float();
            if (!Float.isFinite(v)) {
                throw new IllegalStateException("training loss became " + v + " (try a lower train.lr, now " + t.lr() + ")");
            }
            return v;
        }
    }

    private void saveWeights(ImageModel model, Path file, int fold, int epoch, double f1, double acc, double loss)
            throws IOException {
        Files.createDirectories(file.getParent());
        // ordered metadata: identical runs must write identical files
        Weights.save(model, file, new java.util.TreeMap<>(Map.of("format", "pt", "model", model.spec().name(),
                "fold", Integer.toString(fold), "epoch", Integer.toString(epoch))));
        new CheckpointInfo(model.spec().name(), model.numClasses(), exp.data().imgSize(), model.spec().mean(),
                model.spec().std(), fold, epoch, f1, acc, loss, classNames, Instant.now().toString())
                .write(CheckpointInfo.sidecarOf(file));
    }

    private static String fmt(double v) {
        return String.format("%.4f", v);
    }

    /** Per-class loss weights on the device (or none); owns the tensor. */
    private static final class ClassWeights implements AutoCloseable {
        private final Tensor t;

        ClassWeights(List<Double> w, Device device) {
            if (w == null) {
                t = null;
                return;
            }
            float[] f = new float[w.size()];
            for (int i = 0; i < f.length; i++) f[i] = w.get(i).floatValue();
            try (var scope = Memory.step()) {
                t = Tensors.fromFloats(f, f.length).to(device, torch.ScalarType.Float);
                t.retainReference();
            }
        }

        Tensor tensor() {
            return t;
        }

        @Override
        public void close() {
            if (t != null) t.releaseReference();
        }
    }
}
