package dev.jvision.detect;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.infer.Classifier;
import dev.jvision.infer.ClassifierBuilder;
import dev.jvision.infer.Detector;
import dev.jvision.infer.Recognizer;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A two-stage pipeline file ({@code jvision infer --two-stage FILE}): which detector finds the
 * objects, which classifier names each crop, and how.
 *
 * <pre>
 * detector:
 *   run: ../runs/20261208-detect-quickstart     # a detection run folder (config.yaml, classes.json, fold0/best.safetensors)
 *   # checkpoint: ../runs/.../fold0/last.safetensors   another checkpoint of a detection run (its run folder gives the rest)
 * classifier:
 *   run: ../runs/20261208-products              # or checkpoint: FILE.safetensors (with its .json sidecar) or ensemble: FILE.yaml
 *   calibrated: true                            # divide logits by the run's fitted temperature when it has one (default true)
 * crop_margin: 0.1     # each side of a box grows by this share of the box's width/height before cropping, in [0, 1]
 * conf: 0.25           # detector thresholds (conf in [0, 1), iou in (0, 1]); each defaults to the detector run's detect.conf / iou / max_det
 * iou: 0.7
 * max_det: 300
 * top_k: 5             # classes written per box
 * device: auto         # auto, cpu, cuda, cuda:N (default: the detector run's experiment.device)
 * threads: 0           # torch intra-op threads, 0 = the default (default: the detector run's experiment.threads)
 * </pre>
 * Relative paths are resolved against this file's folder (as in ensemble files). Unknown keys and
 * bad values are errors naming the file and key. Immutable and thread-safe.
 *
 * @param file            the file read
 * @param detectorRun     the detection run folder
 * @param detectorWeights its checkpoint to load
 * @param classifierKind  {@code run}, {@code checkpoint} or {@code ensemble}
 * @param classifierPath  the classifier's run folder, checkpoint or ensemble file
 * @param calibrated      whether the classifier's probabilities are temperature-scaled when possible
 * @param cropMargin      the crop margin
 * @param conf            detector score threshold, or null for the run's
 * @param iou             NMS IoU, or null for the run's
 * @param maxDet          boxes per image, or null for the run's
 * @param topK            classes per box
 * @param device          device name, or null for the run's
 * @param threads         torch threads, or null for the run's
 */
public record TwoStageConfig(Path file, Path detectorRun, Path detectorWeights, String classifierKind, Path classifierPath,
                             boolean calibrated, double cropMargin, Double conf, Double iou, Integer maxDet, int topK,
                             String device, Integer threads) {
    private static final Set<String> KEYS = Set.of("detector", "classifier", "crop_margin", "conf", "iou", "max_det",
            "top_k", "device", "threads");

    /**
     * Parses {@code file}.
     *
     * @throws IllegalArgumentException naming the file and key for a missing file, bad YAML,
     *     unknown keys, bad values or paths that do not exist
     */
    public static TwoStageConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": two-stage config not found");
        }
        Object root;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            throw new IllegalArgumentException(file + ": malformed YAML: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException(file + ": " + root + " (expected: a mapping with detector: and classifier:)");
        }
        unknown(file, "", top, KEYS);
        Path base = file.toAbsolutePath().getParent();

        Map<?, ?> det = section(file, top, "detector");
        unknown(file, "detector.", det, Set.of("run", "checkpoint"));
        Path run;
        Path weights;
        if (det.containsKey("run") == det.containsKey("checkpoint")) {
            throw new IllegalArgumentException(file + " detector: (expected: exactly one of run: DIR or checkpoint: FILE)");
        }
        if (det.containsKey("run")) {
            run = base.resolve(String.valueOf(det.get("run"))).normalize();
            weights = run.resolve("fold" + DetectionTraining.FOLD).resolve("best.safetensors");
        } else {
            weights = base.resolve(String.valueOf(det.get("checkpoint"))).normalize();
            run = weights.getParent() == null ? null : weights.getParent().getParent();
            if (!Files.isRegularFile(weights)) {
                throw new IllegalArgumentException(file + " detector.checkpoint: " + weights + " not found");
            }
        }
        if (run == null || !Files.isRegularFile(run.resolve("config.yaml")) || !Files.isRegularFile(run.resolve(RunClasses.FILE))) {
            throw new IllegalArgumentException(file + " detector: " + run + " (expected: a detection run folder with "
                    + "config.yaml and " + RunClasses.FILE + ")");
        }

        Map<?, ?> cls = section(file, top, "classifier");
        unknown(file, "classifier.", cls, Set.of("run", "checkpoint", "ensemble", "calibrated"));
        List<String> kinds = new ArrayList<>();
        for (String k : List.of("run", "checkpoint", "ensemble")) {
            if (cls.containsKey(k)) {
                kinds.add(k);
            }
        }
        if (kinds.size() != 1) {
            throw new IllegalArgumentException(file + " classifier: " + kinds + " (expected: exactly one of run: DIR, "
                    + "checkpoint: FILE or ensemble: FILE)");
        }
        String kind = kinds.get(0);
        Path cpath = base.resolve(String.valueOf(cls.get(kind))).normalize();
        if (kind.equals("run") ? !Files.isDirectory(cpath) : !Files.isRegularFile(cpath)) {
            throw new IllegalArgumentException(file + " classifier." + kind + ": " + cpath + " not found");
        }
        boolean calibrated = bool(file, cls, "classifier.calibrated", true);

        double margin = number(file, top, "crop_margin", 0.1, 0, 1);
        Double conf = top.containsKey("conf") ? number(file, top, "conf", 0, 0, 1) : null;
        Double iou = top.containsKey("iou") ? number(file, top, "iou", 0, 0, 1) : null;
        if ((conf != null && conf >= 1) || (iou != null && iou <= 0)) {
            throw new IllegalArgumentException(file + " " + (conf != null && conf >= 1 ? "conf: " + conf
                    + " (expected: in [0, 1))" : "iou: " + iou + " (expected: in (0, 1])"));
        }
        Integer maxDet = top.containsKey("max_det") ? (int) number(file, top, "max_det", 1, 1, 100_000) : null;
        int topK = (int) number(file, top, "top_k", 5, 1, 1000);
        Integer threads = top.containsKey("threads") ? (int) number(file, top, "threads", 0, 0, 1024) : null;
        String device = top.containsKey("device") ? String.valueOf(top.get("device")) : null;
        if (device != null) {
            try {
                Device.parse(device);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " device: " + e.getMessage(), e);
            }
        }
        return new TwoStageConfig(file, run, weights, kind, cpath, calibrated, margin, conf, iou, maxDet, topK, device,
                threads);
    }

    /** The detector run's experiment with this file's thresholds, device and threads as overrides. */
    public Experiment detectorExperiment() {
        return detectorExperiment(List.of());
    }

    /** {@link #detectorExperiment()} with {@code extra} overrides ({@code key=value}) applied last. */
    public Experiment detectorExperiment(List<String> extra) {
        List<String> sets = new ArrayList<>();
        if (conf != null) {
            sets.add("detect.conf=" + conf);
        }
        if (iou != null) {
            sets.add("detect.iou=" + iou);
        }
        if (maxDet != null) {
            sets.add("detect.max_det=" + maxDet);
        }
        if (device != null) {
            sets.add("experiment.device=" + device);
        }
        if (threads != null) {
            sets.add("experiment.threads=" + threads);
        }
        sets.addAll(extra);
        Experiment exp = Configs.load(detectorRun.resolve("config.yaml"), sets);
        if (!exp.isDetection()) {
            throw new IllegalArgumentException(file + " detector: " + detectorRun + " is a " + exp.task()
                    + " run (expected: a task: detection run)");
        }
        return exp;
    }

    /**
     * Loads both stages on the configured device (sets the torch thread count process-wide).
     * The caller owns the returned recognizer and closes it.
     */
    public Recognizer open() throws IOException {
        Experiment exp = detectorExperiment();
        NativeRuntime.init();
        TorchSettings.setThreads(exp.experiment().threads());
        Device dev = Device.parse(exp.experiment().device());
        Detector d = Detector.of(exp, detectorRun, detectorWeights, dev, 8, Duration.ofMillis(2), 256);
        try {
            return new Recognizer(d, openClassifier(dev), cropMargin);
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /** The classifier alone, top-{@link #topK} on {@code device}; the caller closes it. */
    public Classifier openClassifier(Device dev) throws IOException {
        // no batching delay: a Recognizer hands all crops of an image to the batcher at once, so
        // waiting for more only adds latency; crops queued behind a running batch still join the next
        ClassifierBuilder b = Classifier.builder().device(dev).topK(topK).calibrated(calibrated)
                .maxQueueDelay(java.time.Duration.ZERO);
        switch (classifierKind) {
            case "run" -> b.run(classifierPath);
            case "checkpoint" -> b.checkpoints(List.of(classifierPath));
            default -> b.ensemble(classifierPath);
        }
        return b.build();
    }

    private static Map<?, ?> section(Path file, Map<?, ?> top, String key) {
        if (!(top.get(key) instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(file + " " + key + ": " + top.get(key) + " (expected: a mapping, e.g. "
                    + key + ": {run: DIR})");
        }
        return m;
    }

    private static void unknown(Path file, String prefix, Map<?, ?> m, Set<String> keys) {
        for (Object k : m.keySet()) {
            if (!keys.contains(String.valueOf(k))) {
                throw new IllegalArgumentException(file + ": unknown key '" + prefix + k + "' (expected one of: "
                        + keys.stream().sorted().toList() + ")");
            }
        }
    }

    private static double number(Path file, Map<?, ?> m, String key, double def, double lo, double hi) {
        Object v = m.get(key);
        if (v == null) {
            return def;
        }
        if (!(v instanceof Number n) || !(n.doubleValue() >= lo && n.doubleValue() <= hi)) {
            throw new IllegalArgumentException(file + " " + key + ": " + v + " (expected: a number in [" + fmt(lo) + ", "
                    + fmt(hi) + "])");
        }
        return n.doubleValue();
    }

    private static boolean bool(Path file, Map<?, ?> m, String key, boolean def) {
        Object v = m.get(key.substring(key.indexOf('.') + 1));
        if (v == null) {
            return def;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(file + " " + key + ": " + v + " (expected: true or false)");
        }
        return b;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
