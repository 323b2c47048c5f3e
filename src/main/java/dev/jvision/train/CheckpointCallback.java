package dev.jvision.train;

import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The trainer's checkpoint callback: {@code best.safetensors} when the monitor improves, the
 * {@code train.save_top_k} best epochs under {@code top/}, and the resumable
 * {@code last.safetensors} after every epoch (and every {@code train.checkpoint_every_steps}
 * optimiser steps inside one). Every rank tracks the top-k epochs; only the main rank writes.
 * One per fit; not thread-safe.
 */
final class CheckpointCallback implements Callback {
    private final Checkpoints checkpoints;
    private final boolean writes;
    private final int saveTopK;
    private final int everySteps;
    private final int imgSize;
    private final IntFunction<List<String>> classNames;
    private TopK topK;
    private long savedAtStep;

    /**
     * @param writes     whether this process writes the files (the main rank)
     * @param imgSize    {@code data.img_size}, recorded in the sidecars
     * @param classNames class names by class count, recorded in the sidecars
     */
    CheckpointCallback(Checkpoints checkpoints, boolean writes, int saveTopK, int everySteps, int imgSize,
                       IntFunction<List<String>> classNames) {
        this.checkpoints = checkpoints;
        this.writes = writes;
        this.saveTopK = saveTopK;
        this.everySteps = everySteps;
        this.imgSize = imgSize;
        this.classNames = classNames;
    }

    @Override
    public void onFitStart(FitContext fit) throws IOException {
        topK = new TopK(saveTopK, fit.task().monitor().minimise(), fit.loop().topK());
        savedAtStep = fit.step();
        if (writes) {
            checkpoints.cleanTop(topK.entries());
        }
    }

    @Override
    public void onStepEnd(FitContext fit, Step step) throws IOException {
        if (writes && everySteps > 0 && fit.step() != savedAtStep && fit.step() % everySteps == 0
                && fit.batch() < fit.batchesAt(fit.epoch())) {
            saveLast(fit);
            savedAtStep = fit.step();
        }
    }

    @Override
    public void onValidation(FitContext fit, Validation v) throws IOException {
        int e = v.epoch();
        if (v.improved() && writes) {
            checkpoints.saveWeights(fit.model(), checkpoints.best(), info(fit, v));
            fit.emit(new Checkpoint(Kind.BEST, checkpoints.best(), e));
        }
        TopK.Decision d = topK.offer(e, v.monitored());
        fit.loop().topK(topK.entries());
        if (writes && d.keep()) {
            checkpoints.saveWeights(fit.model(), checkpoints.top(e), info(fit, v));
            fit.emit(new Checkpoint(Kind.TOP_K, checkpoints.top(e), e));
        }
        if (writes && d.evicted() > 0) {
            checkpoints.deleteTop(d.evicted());
        }
    }

    @Override
    public void onEpochEnd(FitContext fit, Epoch epoch) throws IOException {
        if (writes) {
            saveLast(fit);
        }
    }

    private void saveLast(FitContext fit) throws IOException {
        FitLoop loop = fit.loop();
        checkpoints.saveLast(loop.stack(), loop.progress(), loop.bestPredictions());
        fit.emit(new Checkpoint(Kind.LAST, checkpoints.last(), fit.epoch()));
    }

    private CheckpointInfo info(FitContext fit, Validation v) {
        ImageModel model = fit.model();
        return new CheckpointInfo(model.spec().name(), model.numClasses(), imgSize, model.spec().mean(),
                model.spec().std(), fit.fold(), v.epoch(), v.metric("val_f1"), v.metric("val_acc"), v.metric("val_loss"),
                classNames.apply(model.numClasses()), Instant.now().toString());
    }
}
