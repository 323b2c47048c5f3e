package dev.jvision.train;

import dev.jvision.augment.BatchTransform;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ClassificationMetrics;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.optim.Optimizers;
import dev.jvision.optim.WarmupCosine;
import dev.jvision.runtime.Devices;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.track.Progress;
import dev.jvision.track.RunDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one model per fold: AdamW with warmup + cosine per optimiser step, cross-entropy with
 * label smoothing, optional gradient clipping, validation (macro-F1, accuracy, loss) after every
 * epoch, the best epoch's weights saved as {@code fold<k>/best.safetensors} with a JSON sidecar,
 * early stopping, and one row per epoch in metrics.csv. Each step runs in its own native scope.
 * Not thread-safe: one fold trains at a time.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
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

    /** Builds the configured model for {@code numClasses}, loading {@code model.weights} if set. */
    public ImageModel buildModel(int numClasses) throws IOException {
        var m = exp.model();
        ImageModel model = Models.create(m.name(), new ModelOptions(numClasses, m.dropRate(), 0.0));
        if (m.weights() != null) {
            Weights.LoadReport r = Weights.load(model, Path.of(m.weights()), true);
            LOG.info("loaded {} tensors from {}{}", r.loaded(), r.file(),
                    r.droppedHead().isEmpty() ? "" : " (new classifier head: " + numClasses + " classes)");
        }
        model.to(device);
        if (m.channelsLast()) {
            model.toChannelsLast();
        }
        return model;
    }

    /**
     * Trains fold {@code fold} on {@code train}, validating on {@code val}; images come from
     * {@code cache}. Returns the best epoch's result; its checkpoint is in the run folder.
     */
    public FoldResult fit(int fold, List<Sample> train, List<Sample> val, ImageCache cache, RunDir run)
            throws IOException {
        TrainConfig t = exp.train();
        long seed = exp.experiment().seed() + 1000L * fold;
        TorchSettings.seed(seed);
        int numClasses = exp.model().numClasses();
        int[] valTargets = val.stream().mapToInt(Sample::label).toArray();
        long start = System.nanoTime();
        Path foldDir = run.foldDir(fold);
        Path best = foldDir.resolve("best.safetensors");
        double bestF1 = -1;
        double bestAcc = 0;
        double bestLoss = 0;
        int bestEpoch = -1;
        float[][] bestLogits = null;
        int sinceBest = 0;
        try (ImageModel model = buildModel(numClasses);
             BatchTransform transform = new BatchTransform(exp.augment(), model.spec().mean(), model.spec().std(),
                     device, exp.model().channelsLast());
             BatchLoader loader = new BatchLoader(cache, train, t.batchSize(), true, seed,
                     train.size() > t.batchSize(), exp.data().prefetch())) {
            Optimizer opt = Optimizers.adamw(model, t.lr(), t.weightDecay());
            long stepsPerEpoch = loader.numBatches();
            WarmupCosine schedule = new WarmupCosine(t.lr(), t.minLr(), Math.round(t.warmupEpochs() * stepsPerEpoch),
                    stepsPerEpoch * t.epochs());
            long step = 0;
            LOG.info("fold {}: {} train / {} val images, {} on {}, {} steps per epoch", fold, train.size(), val.size(),
                    model.spec().name(), Devices.describe(device), stepsPerEpoch);
            for (int epoch = 0; epoch < t.epochs(); epoch++) {
                model.train(true);
                if (epoch > 0) {
                    loader.startEpoch(epoch);
                }
                double lossSum = 0;
                int images = 0;
                long epochStart = System.nanoTime();
                double lr = schedule.at(step);
                try (Progress bar = Progress.start(String.format("fold %d epoch %d/%d", fold, epoch + 1, t.epochs()),
                        stepsPerEpoch)) {
                    while (loader.hasNext()) {
                        Batch b = loader.next();
                        lr = schedule.at(step);
                        Optimizers.setLr(opt, lr);
                        float loss = trainStep(model, opt, transform, b, seed * 1_000_003L + step, t);
                        lossSum += loss * b.size();
                        images += b.size();
                        step++;
                        double secs = (System.nanoTime() - epochStart) / 1e9;
                        bar.step(1, String.format("loss %.4f lr %.2e %.1f img/s", lossSum / images, lr, images / secs));
                    }
                }
                double secs = (System.nanoTime() - epochStart) / 1e9;
                float[][] logits = Evaluator.logits(model, transform, val, cache, exp.infer().batchSize(),
                        exp.data().prefetch(), device);
                int[] pred = ClassificationMetrics.argmax(logits);
                double f1 = ClassificationMetrics.macroF1(pred, valTargets, numClasses);
                double acc = ClassificationMetrics.accuracy(pred, valTargets);
                double vloss = Evaluator.nll(Evaluator.softmax(logits, 1.0), valTargets);
                double trainLoss = images == 0 ? 0 : lossSum / images;
                run.metrics().append(fold, epoch + 1, fmt(trainLoss), fmt(vloss), fmt(f1), fmt(acc), String.format("%.3e", lr),
                        String.format("%.1f", images / secs), String.format("%.1f", secs));
                boolean improved = f1 > bestF1 + 1e-9;
                LOG.info("fold {} epoch {}/{}: train_loss {} val_loss {} val_f1 {} val_acc {} ({} img/s){}", fold,
                        epoch + 1, t.epochs(), fmt(trainLoss), fmt(vloss), fmt(f1), fmt(acc),
                        String.format("%.1f", images / secs), improved ? " *" : "");
                if (improved) {
                    bestF1 = f1;
                    bestAcc = acc;
                    bestLoss = vloss;
                    bestEpoch = epoch + 1;
                    bestLogits = logits;
                    sinceBest = 0;
                    saveCheckpoint(model, best, fold, epoch + 1, f1, acc, vloss);
                } else if (t.earlyStoppingPatience() > 0 && ++sinceBest >= t.earlyStoppingPatience()) {
                    LOG.info("fold {}: early stop after epoch {} (no val_f1 improvement in {} epochs)", fold, epoch + 1,
                            t.earlyStoppingPatience());
                    break;
                }
            }
            opt.close();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new FoldResult(fold, bestEpoch, bestF1, bestAcc, bestLoss, best, val, bestLogits, seconds);
    }

    /**
     * One optimiser step on batch {@code b} inside its own native scope: upload, augment with
     * {@code augSeed}, forward, label-smoothed cross-entropy, backward, optional clipping,
     * AdamW step. Returns the loss.
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

    private void saveCheckpoint(ImageModel model, Path file, int fold, int epoch, double f1, double acc, double loss)
            throws IOException {
        Files.createDirectories(file.getParent());
        Weights.save(model, file, Map.of("format", "pt", "model", model.spec().name(), "fold", Integer.toString(fold),
                "epoch", Integer.toString(epoch)));
        new CheckpointInfo(model.spec().name(), model.numClasses(), exp.data().imgSize(), model.spec().mean(),
                model.spec().std(), fold, epoch, f1, acc, loss, classNames, Instant.now().toString())
                .write(CheckpointInfo.sidecarOf(file));
    }

    private static String fmt(double v) {
        return String.format("%.4f", v);
    }
}
