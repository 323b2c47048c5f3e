package dev.jvision.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.SafeTensors;
import dev.jvision.models.Weights;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The checkpoint folder of one fit: {@code best.safetensors} (weights of the best epoch),
 * {@code top/epoch<N>.safetensors} (the {@code train.save_top_k} best epochs), each with its
 * JSON sidecar for inference, and {@code last.safetensors}, the resumable state (model,
 * optimiser, EMA, loss scale, CPU RNG, best out-of-fold logits, and the {@link FoldProgress} as
 * metadata and in {@code last.json}). Writes are atomic and their content is deterministic, so
 * identical runs write identical files. Not thread-safe: one fit writes a folder.
 */
public final class Checkpoints {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Path dir;

    /** Checkpoints under {@code dir} (created when the first file is written). */
    public Checkpoints(Path dir) {
        this.dir = dir;
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /** The best epoch's weights. */
    public Path best() {
        return dir.resolve("best.safetensors");
    }

    /** The resumable state. */
    public Path last() {
        return dir.resolve("last.safetensors");
    }

    /** The weights of top-k epoch {@code epoch} (1-based). */
    public Path top(int epoch) {
        return dir.resolve("top").resolve(String.format("epoch%03d.safetensors", epoch));
    }

    /** True when a resumable state exists. */
    public boolean hasLast() {
        return Files.isRegularFile(last());
    }

    /** Writes the model's weights and {@code info} as sidecar to {@code file}. */
    void saveWeights(ImageModel model, Path file, CheckpointInfo info) throws IOException {
        Files.createDirectories(file.getParent());
        // ordered metadata: identical runs must write identical files
        Weights.save(model, file, new TreeMap<>(Map.of("format", "pt", "model", model.spec().name(),
                "fold", Integer.toString(info.fold()), "epoch", Integer.toString(info.epoch()))));
        info.write(CheckpointInfo.sidecarOf(file));
    }

    /** Deletes top-k epoch {@code epoch}'s weights and sidecar. */
    void deleteTop(int epoch) throws IOException {
        Files.deleteIfExists(top(epoch));
        Files.deleteIfExists(CheckpointInfo.sidecarOf(top(epoch)));
    }

    /** Removes top-k files that {@code keep} does not list (written after the last resumable state). */
    void cleanTop(List<TopK.Entry> keep) throws IOException {
        Path topDir = dir.resolve("top");
        if (!Files.isDirectory(topDir)) {
            return;
        }
        List<String> names = new ArrayList<>();
        for (TopK.Entry e : keep) {
            String s = top(e.epoch()).getFileName().toString();
            names.add(s);
            names.add(CheckpointInfo.sidecarOf(Path.of(s)).toString());
        }
        try (var files = Files.list(topDir)) {
            for (Path f : files.toList()) {
                if (!names.contains(f.getFileName().toString())) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Writes the resumable state: components, CPU RNG, best logits and progress. */
    void saveLast(StepStack c, FoldProgress p, float[][] bestLogits) throws IOException {
        Files.createDirectories(dir);
        try (var scope = Memory.step()) {
            Map<String, Tensor> all = c.state();
            all.put("rng.cpu", torch.getDefaultCPUGenerator().get_state());
            if (bestLogits != null && bestLogits.length > 0) {
                int k = bestLogits[0].length;
                float[] flat = new float[bestLogits.length * k];
                for (int i = 0; i < bestLogits.length; i++) {
                    System.arraycopy(bestLogits[i], 0, flat, i * k, k);
                }
                all.put("oof.best_logits", Tensors.fromFloats(flat, bestLogits.length, k));
            }
            SafeTensors.write(last(), all, new TreeMap<>(Map.of("format", "jvision-train-state", "progress",
                    JSON.writeValueAsString(p))));
        }
        AtomicFiles.write(CheckpointInfo.sidecarOf(last()), tmp -> JSON.writeValue(tmp.toFile(), p));
    }

    /** A restored state: the progress and the best epoch's validation logits (null before one). */
    record Restored(FoldProgress progress, float[][] bestLogits) {}

    /**
     * Loads {@link #last()} into the components and the CPU RNG.
     *
     * @throws IllegalArgumentException when the file is not a training state of {@code arch}
     */
    Restored restore(String arch, StepStack c) throws IOException {
        Path file = last();
        try (var scope = Memory.step(); SafeTensors.Contents s = SafeTensors.read(file); NoGradGuard ng = new NoGradGuard()) {
            String json = s.metadata().get("progress");
            if (json == null) {
                throw new IllegalArgumentException(file + ": not a training state (no 'progress' metadata)");
            }
            FoldProgress p = JSON.readValue(json, FoldProgress.class);
            if (!arch.equals(p.model())) {
                throw new IllegalArgumentException(file + ": state of model '" + p.model() + "' (expected: '" + arch
                        + "', from the run's config.yaml)");
            }
            c.load(file, s.tensors(), p);
            torch.getDefaultCPUGenerator().set_state(s.tensors().get("rng.cpu"));
            Tensor t = s.tensors().get("oof.best_logits");
            return new Restored(p, t == null ? null : rows(t));
        }
    }

    private static float[][] rows(Tensor t) {
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
