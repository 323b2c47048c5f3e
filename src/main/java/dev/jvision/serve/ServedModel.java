package dev.jvision.serve;

import dev.jvision.infer.Classifier;
import dev.jvision.infer.ClassifierBuilder;
import dev.jvision.infer.EnsembleFile;
import dev.jvision.infer.EnsembleMember;
import dev.jvision.infer.Prediction;
import dev.jvision.infer.Predictor;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.runtime.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model version loaded for serving: its {@link Classifier} (and a second one averaging the
 * configured TTA views, when the model offers TTA), warmed up with one image, and the facts
 * {@code GET /v1/models/{name}} reports. Owns its classifiers until {@link #close()}, which
 * answers every queued image first; thread-safe.
 */
final class ServedModel implements AutoCloseable {
    private final ServeConfig.Model config;
    private final Classifier plain;
    private final Classifier tta;
    private final List<CheckpointInfo> members;
    private final boolean calibrated;

    private ServedModel(ServeConfig.Model config, Classifier plain, Classifier tta, List<CheckpointInfo> members,
                        boolean calibrated) {
        this.config = config;
        this.plain = plain;
        this.tta = tta;
        this.members = List.copyOf(members);
        this.calibrated = calibrated;
    }

    /**
     * Loads the model (both classifiers when TTA is offered) and runs one warm-up image through
     * each.
     *
     * @throws IllegalArgumentException for a bad source (naming the file)
     */
    static ServedModel load(ServeConfig.Model m) throws IOException {
        List<CheckpointInfo> infos = new ArrayList<>();
        for (Path p : checkpoints(m)) {
            infos.add(Checkpoint.readInfo(p));
        }
        Classifier plain = build(m, List.of());
        Classifier tta = null;
        try {
            boolean calibrated = warmUp(plain);
            if (!m.tta().isEmpty()) {
                tta = build(m, m.tta());
                warmUp(tta);
            }
            return new ServedModel(m, plain, tta, infos, calibrated);
        } catch (IOException | RuntimeException e) {
            plain.close();
            if (tta != null) {
                tta.close();
            }
            throw e;
        }
    }

    private static Classifier build(ServeConfig.Model m, List<String> views) throws IOException {
        ClassifierBuilder b = Classifier.builder().device(Device.parse(m.device())).maxBatchSize(m.maxBatch())
                .maxQueueDelay(m.maxDelay()).maxQueueSize(m.queue()).topK(ServeConfig.MAX_TOP_K).tta(views);
        switch (m.source()) {
            case RUN -> b.run(m.path());
            case CHECKPOINT -> b.checkpoints(List.of(m.path()));
            case ENSEMBLE -> b.ensemble(m.path());
            default -> throw new IllegalStateException(m.source().toString());
        }
        return b.build();
    }

    private static List<Path> checkpoints(ServeConfig.Model m) throws IOException {
        return switch (m.source()) {
            case RUN -> Predictor.runCheckpoints(m.path());
            case CHECKPOINT -> List.of(m.path());
            case ENSEMBLE -> EnsembleFile.read(m.path()).stream().map(EnsembleMember::checkpoints)
                    .flatMap(List::stream).toList();
        };
    }

    /** One grey image through the classifier (first-call costs out of the way); whether it is calibrated. */
    private static boolean warmUp(Classifier c) {
        BufferedImage grey = new BufferedImage(c.inputSizes().get(0), c.inputSizes().get(0),
                BufferedImage.TYPE_3BYTE_BGR);
        return c.predict(grey).calibrated();
    }

    ServeConfig.Model config() {
        return config;
    }

    String name() {
        return config.name();
    }

    String version() {
        return config.version();
    }

    /** The classifier for a request: with TTA or without; null when TTA is asked for but not offered. */
    Classifier classifier(boolean withTta) {
        return withTta ? tta : plain;
    }

    boolean offersTta() {
        return tta != null;
    }

    int numClasses() {
        return plain.numClasses();
    }

    /** Images waiting in both classifiers. */
    int queued() {
        return plain.queued() + (tta == null ? 0 : tta.queued());
    }

    /** Images run and batches run by both classifiers, and the largest batch. */
    Classifier.Stats stats() {
        Classifier.Stats a = plain.stats();
        if (tta == null) {
            return a;
        }
        Classifier.Stats b = tta.stats();
        return new Classifier.Stats(a.images() + b.images(), a.batches() + b.batches(),
                Math.max(a.largestBatch(), b.largestBatch()));
    }

    /** Images whose requests gave up before they ran, in both classifiers. */
    long withdrawn() {
        return plain.withdrawn() + (tta == null ? 0 : tta.withdrawn());
    }

    /** What {@code GET /v1/models/{name}} lists for this version. */
    Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name());
        d.put("version", version());
        d.put("task", "classification");
        d.put("source", config.source().key());
        d.put("num_classes", plain.numClasses());
        d.put("classes", plain.classNames());
        d.put("input_sizes", plain.inputSizes());
        d.put("calibrated", calibrated);
        d.put("tta", config.tta());
        d.put("device", plain.device().toString());
        List<Map<String, Object>> ms = new ArrayList<>();
        for (CheckpointInfo i : members) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", i.model());
            m.put("img_size", i.imgSize());
            m.put("mean", i.mean());
            m.put("std", i.std());
            ms.add(m);
        }
        d.put("members", ms);
        d.put("preprocessing", Map.of(
                "decode", "any format OpenCV reads (JPEG, PNG, BMP, WebP, TIFF...); grayscale to 3 channels, alpha "
                        + "over white",
                "resize", "to img_size x img_size (aspect ratio not kept)",
                "normalize", "x / 255, then (x - mean) / std per channel"));
        d.put("batching", Map.of("max_batch", config.maxBatch(), "max_delay_ms", config.maxDelay().toMillis(),
                "queue", config.queue()));
        d.put("default_top_k", Math.min(config.topK(), plain.numClasses()));
        return d;
    }

    /** The first {@code k} classes of {@code p} as JSON-ready maps. */
    static List<Map<String, Object>> top(Prediction p, int k) {
        List<Map<String, Object>> out = new ArrayList<>(k);
        for (Prediction.ClassScore s : p.top().subList(0, Math.min(k, p.top().size()))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            m.put("name", s.name());
            m.put("probability", s.probability());
            out.add(m);
        }
        return out;
    }

    @Override
    public void close() {
        plain.close();
        if (tta != null) {
            tta.close();
        }
    }
}
