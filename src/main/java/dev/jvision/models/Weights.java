package dev.jvision.models;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads and saves model weights by timm/PyTorch parameter name. Loading is strict: missing,
 * unexpected and mis-shaped keys are all reported in one message, except that a classifier
 * whose class count differs from the model's is dropped (the model keeps its freshly
 * initialised head) when {@code allowNewHead} is set. Stateless and thread-safe; the model
 * itself is not.
 */
public final class Weights {
    private static final Logger LOG = LoggerFactory.getLogger(Weights.class);

    private Weights() {}

    /** What a load did: keys that were not loaded because the head was re-initialised. */
    public record LoadReport(Path file, int loaded, List<String> droppedHead) {}

    /**
     * Copies the tensors of {@code file} into {@code model}.
     *
     * @throws IOException for unreadable files
     * @throws IllegalArgumentException naming the file and every mismatched key
     */
    public static LoadReport load(ImageModel model, Path file, boolean allowNewHead) throws IOException {
        try (SafeTensors.Contents c = SafeTensors.read(file)) {
            return load(model, c.tensors(), file, allowNewHead);
        }
    }

    static LoadReport load(ImageModel model, Map<String, Tensor> src, Path file, boolean allowNewHead) {
        Map<String, Tensor> dst = model.stateDict();
        String head = model.classifierName() + ".";
        List<String> missing = new ArrayList<>();
        List<String> shape = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        boolean headMismatch = false;
        for (Map.Entry<String, Tensor> e : dst.entrySet()) {
            Tensor s = src.get(e.getKey());
            if (s == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(shapeOf(s), shapeOf(e.getValue()))) {
                if (e.getKey().startsWith(head)) {
                    headMismatch = true;
                } else {
                    shape.add(e.getKey() + " " + Arrays.toString(shapeOf(s)) + " (expected: " + Arrays.toString(shapeOf(e.getValue())) + ")");
                }
            }
        }
        List<String> unexpected = src.keySet().stream().filter(k -> !dst.containsKey(k)).sorted().toList();
        if (headMismatch && !allowNewHead) {
            shape.add(model.classifierName() + " has " + src.get(head + "weight").size(0) + " classes (expected: "
                    + model.numClasses() + ")");
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !shape.isEmpty()) {
            StringBuilder sb = new StringBuilder(file + ": weights do not fit model '" + model.spec().name() + "'");
            append(sb, "missing keys", missing);
            append(sb, "unexpected keys", unexpected);
            append(sb, "mis-shaped keys", shape);
            throw new IllegalArgumentException(sb.toString());
        }
        int loaded = 0;
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : dst.entrySet()) {
                if (headMismatch && e.getKey().startsWith(head)) {
                    dropped.add(e.getKey());
                    continue;
                }
                Tensor target = e.getValue();
                try (Tensor cast = src.get(e.getKey()).to(target.device(), target.scalar_type())) {
                    target.copy_(cast);
                }
                loaded++;
            }
        }
        if (!dropped.isEmpty()) {
            LOG.info("{}: classifier '{}' has a different number of classes; it was re-initialised with {} classes",
                    file, model.classifierName(), model.numClasses());
        }
        return new LoadReport(file, loaded, dropped);
    }

    private static void append(StringBuilder sb, String what, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        sb.append("; ").append(keys.size()).append(' ').append(what).append(": ");
        sb.append(String.join(", ", keys.subList(0, Math.min(8, keys.size()))));
        if (keys.size() > 8) {
            sb.append(", ... and ").append(keys.size() - 8).append(" more");
        }
    }

    /** Saves the model's state dict (parameters and buffers) with {@code metadata}, atomically. */
    public static void save(ImageModel model, Path file, Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, model.stateDict(), metadata);
    }

    static long[] shapeOf(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }
}
