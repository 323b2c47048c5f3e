package dev.jvision.infer;

import dev.jvision.augment.Tta;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Settings and source of a {@link Classifier}. Defaults: device {@code auto}, batches of up
 * to 32 images, at most 5 ms of waiting for a batch to fill, 1024 waiting images, top 5
 * classes, no TTA, calibrated when the run allows. Obtained from {@link Classifier#builder()};
 * not thread-safe: configure and build on one thread.
 */
public final class ClassifierBuilder {
    private final List<EnsembleMember> members = new ArrayList<>();
    private String bareModel;
    private int bareClasses;
    private String source;
    private Device device;
    private int maxBatchSize = 32;
    private Duration maxQueueDelay = Duration.ofMillis(5);
    private int maxQueueSize = 1024;
    private int topK = 5;
    private List<String> ttaViews = List.of();
    private boolean calibrated = true;
    private Double temperature;
    private Integer imgSize;
    private boolean channelsLast = true;
    private Path onnxFile;
    private int onnxThreads;

    ClassifierBuilder() {}

    private void setSource(String s) {
        if (source != null) {
            throw new IllegalStateException("Classifier source already set to " + source + " (expected: one of run, "
                    + "checkpoints, ensemble or weights)");
        }
        source = s;
    }

    /** Every {@code fold*}/best.safetensors of a run folder (equal weights). */
    public ClassifierBuilder run(Path runDir) throws IOException {
        setSource("run " + runDir);
        members.add(EnsembleMember.ofRun(runDir, 1.0));
        return this;
    }

    /** Checkpoints with sidecars, averaged with equal weights. */
    public ClassifierBuilder checkpoints(List<Path> weights) {
        setSource("checkpoints " + weights);
        members.addAll(EnsembleMember.ofCheckpoints(weights));
        return this;
    }

    /** An ensemble file. */
    public ClassifierBuilder ensemble(Path membersYaml) throws IOException {
        setSource("ensemble " + membersYaml);
        members.addAll(EnsembleFile.read(membersYaml));
        return this;
    }

    /** A registered model with bare weights and {@code numClasses} outputs. */
    public ClassifierBuilder weights(String model, int numClasses, Path weights) {
        setSource("model " + model + " with " + weights);
        Models.spec(model);
        if (numClasses < 1) {
            throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
        }
        bareModel = model;
        bareClasses = numClasses;
        members.addAll(EnsembleMember.ofCheckpoints(List.of(weights)));
        return this;
    }

    /**
     * A file made by {@code jvision export}, run by ONNX Runtime on the CPU with {@code threads}
     * intra-op threads (0: its default). The graph holds the temperature and any fold averaging,
     * so {@link #tta}, {@link #temperature}, {@link #calibrated}, {@link #imgSize} and
     * {@link #device} do not apply. Needs ONNX Runtime on the class path (an optional dependency).
     */
    public ClassifierBuilder onnx(Path file, int threads) {
        setSource("onnx " + file);
        if (threads < 0) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: >= 0, 0 = ONNX Runtime's default)");
        }
        onnxFile = file;
        onnxThreads = threads;
        return this;
    }

    /** Where to run (default: {@code Device.parse("auto")}). */
    public ClassifierBuilder device(Device device) {
        this.device = device;
        return this;
    }

    /** Largest device batch, &gt;= 1 (1 turns batching off). */
    public ClassifierBuilder maxBatchSize(int n) {
        this.maxBatchSize = n;
        return this;
    }

    /** How long the oldest waiting image may wait for others to fill its batch, &gt;= 0. */
    public ClassifierBuilder maxQueueDelay(Duration d) {
        this.maxQueueDelay = d;
        return this;
    }

    /** How many images may wait before calls are rejected with {@link QueueFullException}, &gt;= 1. */
    public ClassifierBuilder maxQueueSize(int n) {
        this.maxQueueSize = n;
        return this;
    }

    /** How many classes each {@link Prediction} lists (capped at the number of classes), &gt;= 1. */
    public ClassifierBuilder topK(int k) {
        this.topK = k;
        return this;
    }

    /** TTA views to average (names as {@link Tta#parse(String)}; empty = no TTA). */
    public ClassifierBuilder tta(List<String> views) {
        this.ttaViews = List.copyOf(views);
        return this;
    }

    /** Whether to apply the run's temperature (default true; false reports raw softmax). */
    public ClassifierBuilder calibrated(boolean on) {
        this.calibrated = on;
        return this;
    }

    /** A fixed temperature for every member, overriding runs' calibration and the ensemble file. */
    public ClassifierBuilder temperature(double t) {
        if (!(t > 0) || !Double.isFinite(t)) {
            throw new IllegalArgumentException("temperature: " + t + " (expected: a finite number > 0)");
        }
        this.temperature = t;
        return this;
    }

    /** Input size for bare weights (default: the model's); checkpoints keep the size they were trained at. */
    public ClassifierBuilder imgSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("img_size: " + size + " (expected: >= 1)");
        }
        this.imgSize = size;
        return this;
    }

    /** Channels-last memory format on CUDA (default true; ignored on the CPU). */
    public ClassifierBuilder channelsLast(boolean on) {
        this.channelsLast = on;
        return this;
    }

    /**
     * Reads the sidecars and calibration, then loads every checkpoint on the worker thread.
     *
     * @throws IllegalArgumentException for bad settings or checkpoints (naming the file)
     * @throws IllegalStateException when no source was chosen
     */
    public Classifier build() throws IOException {
        if (source == null) {
            throw new IllegalStateException("Classifier needs a source: run, checkpoints, ensemble or weights");
        }
        if (topK < 1) {
            throw new IllegalArgumentException("top_k: " + topK + " (expected: >= 1)");
        }
        if (onnxFile != null) {
            return buildOnnx();
        }
        NativeRuntime.init();
        Device dev = device != null ? device : Device.parse("auto");
        List<Tta.View> views = ttaViews.isEmpty() ? List.of(Tta.identity()) : Tta.parse(ttaViews, 0);
        double[] temperatures = new double[members.size()];
        for (int m = 0; m < members.size(); m++) {
            temperatures[m] = temperatureOf(members.get(m));
        }
        ServingModel.Layout layout = ServingModel.layout(members, temperatures, bareModel,
                bareModel == null ? null : bareInfo(members.get(0).checkpoints().get(0)));
        int k = Math.min(topK, layout.numClasses());
        DynamicBatcher<byte[][], Prediction> batcher;
        try {
            batcher = new DynamicBatcher<>("Classifier", () -> ServingModel.load(layout, views, k, dev, channelsLast),
                    maxBatchSize, maxQueueDelay, maxQueueSize);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(source + ": " + e, e);
        }
        return new Classifier(batcher, layout.sizes(), layout.numClasses(), layout.names(), dev, source);
    }

    private Classifier buildOnnx() throws IOException {
        if (!ttaViews.isEmpty() || temperature != null || imgSize != null) {
            throw new IllegalArgumentException("onnx " + onnxFile + ": tta, temperature and img_size are fixed in the "
                    + "exported graph (export again to change them)");
        }
        dev.jvision.infer.onnx.OnnxModel m = dev.jvision.infer.onnx.OnnxModel.open(onnxFile, onnxThreads);
        List<String> names;
        try {
            names = OnnxServing.names(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        int k = Math.min(topK, m.numClasses());
        DynamicBatcher<byte[][], Prediction> batcher;
        try {
            batcher = new DynamicBatcher<>("Classifier", () -> new OnnxServing(m, k, names), maxBatchSize, maxQueueDelay,
                    maxQueueSize);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        } catch (Exception e) {
            m.close();
            throw new IllegalStateException(source + ": " + e, e);
        }
        return new Classifier(batcher, new int[] {m.imgSize()}, m.numClasses(), names, Device.CPU, source);
    }

    private CheckpointInfo bareInfo(Path file) throws IOException {
        ModelSpec spec = Models.spec(bareModel);
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "weights file not found");
        }
        return CheckpointInfo.forModel(spec, bareClasses, imgSize != null ? imgSize : spec.inputSize());
    }

    private double temperatureOf(EnsembleMember m) throws IOException {
        if (!calibrated) {
            return 1.0;
        }
        if (temperature != null) {
            return temperature;
        }
        if (m.temperature().isPresent()) {
            return m.temperature().get();
        }
        if (m.runDir() != null) {
            Optional<TemperatureScaling.Fit> f = TemperatureScaling.forRun(m.runDir(), false);
            if (f.isPresent()) {
                return f.get().temperature();
            }
        }
        return 1.0;
    }
}
