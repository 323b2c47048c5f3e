package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.Tta;
import dev.jvision.config.AugmentConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Predicts class probabilities with one checkpoint ({@code .safetensors} + JSON sidecar) or
 * the average of several (a fold ensemble), for whole sample lists (a test set). Checkpoints
 * load through {@link Checkpoint#load}, images go through {@link Preprocessing}. Owns the
 * loaded models until {@link #close()}. Not thread-safe; for request-serving use
 * {@link Classifier}.
 */
public final class Predictor implements AutoCloseable {
    private final List<Checkpoint> members = new ArrayList<>();
    private final List<CheckpointInfo> infos = new ArrayList<>();
    private final Device device;

    private Predictor(Device device) {
        this.device = device;
    }

    /** Loads the checkpoints {@code weights} (each with its sidecar) onto {@code device}. */
    public static Predictor load(List<Path> weights, Device device) throws IOException {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("no checkpoints to predict with");
        }
        Predictor p = new Predictor(device);
        try {
            for (Path w : weights) {
                Checkpoint c = Checkpoint.load(w, device);
                p.members.add(c);
                p.infos.add(c.info());
            }
            int c = p.infos.get(0).numClasses();
            int s = p.infos.get(0).imgSize();
            for (CheckpointInfo i : p.infos) {
                if (i.numClasses() != c || i.imgSize() != s) {
                    throw new IllegalArgumentException("ensemble members disagree: " + i.model() + " has " + i.numClasses()
                            + " classes at " + i.imgSize() + " px (expected: " + c + " classes at " + s + " px)");
                }
            }
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** Every {@code fold*}/best.safetensors of a run folder, in fold order. */
    public static List<Path> runCheckpoints(Path runDir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (var dirs = Files.list(runDir)) {
            dirs.filter(d -> d.getFileName().toString().matches("fold\\d+"))
                    .sorted((a, b) -> Integer.compare(foldOf(a), foldOf(b)))
                    .map(d -> d.resolve("best.safetensors"))
                    .filter(Files::isRegularFile)
                    .forEach(out::add);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(runDir + ": no fold*/best.safetensors checkpoints (expected: a run "
                    + "folder made by `jvision train`)");
        }
        return out;
    }

    private static int foldOf(Path d) {
        return Integer.parseInt(d.getFileName().toString().substring(4));
    }

    /** The sidecars of the members. */
    public List<CheckpointInfo> members() {
        return List.copyOf(infos);
    }

    /** The image size the members expect. */
    public int imgSize() {
        return infos.get(0).imgSize();
    }

    /** The averaged probabilities {@code [samples][classes]} of all members. */
    public float[][] predict(List<Sample> samples, ImageCache cache, int batchSize, int prefetch) {
        float[][] sum = null;
        for (Checkpoint ck : members) {
            CheckpointInfo info = ck.info();
            try (BatchTransform t = new BatchTransform(AugmentConfig.defaults(), info.mean(), info.std(), device, false)) {
                float[][] p = probabilities(ck, t, samples, cache, batchSize, prefetch);
                if (sum == null) {
                    sum = p;
                } else {
                    for (int i = 0; i < p.length; i++) {
                        for (int c = 0; c < p[i].length; c++) {
                            sum[i][c] += p[i][c];
                        }
                    }
                }
            }
        }
        for (float[] row : sum) {
            for (int c = 0; c < row.length; c++) {
                row[c] /= members.size();
            }
        }
        return sum;
    }

    /** Softmax probabilities of one checkpoint, computed on the device batch by batch. */
    private float[][] probabilities(Checkpoint ck, BatchTransform t, List<Sample> samples, ImageCache cache, int batchSize,
                             int prefetch) {
        float[][] out = new float[samples.size()][];
        int row = 0;
        try (NoGradGuard ng = new NoGradGuard();
             BatchLoader loader = new BatchLoader(cache, samples, batchSize, false, 0, false, prefetch)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                try (var scope = Memory.step()) {
                    Tensor x = Preprocessing.upload(b.pixels(), b.size(), b.height(), b.width(), device);
                    Tensor logits = Preprocessing.logits(ck.model(), t, x, Tta.identity());
                    for (float[] r : ProbabilityMetrics.rows(ProbabilityMetrics.softmax(logits, 1.0), b.size())) {
                        out[row++] = r;
                    }
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        members.forEach(Checkpoint::close);
        members.clear();
    }
}
