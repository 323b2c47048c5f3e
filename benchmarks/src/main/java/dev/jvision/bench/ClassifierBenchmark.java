package dev.jvision.bench;

import dev.jvision.infer.Classifier;
import dev.jvision.infer.Prediction;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.Weights;
import dev.jvision.runtime.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Serving throughput and latency of {@link Classifier} on the demo-like model (resnet18 with 17
 * classes at 96 px, a checkpoint saved at set-up): one operation is one {@code predict(byte[])}
 * call with an encoded JPEG request image, timed from the caller's side (decode and resize on the
 * caller's thread, queueing, the batched forward pass, top-k). {@code callers1/4/16} call one
 * dynamically batching classifier from 1, 4 and 16 threads; {@code serialBatch1} is the
 * baseline: one caller and batching off ({@code maxBatchSize(1)}).
 *
 * <p>Throughput mode's score is images/s summed over callers; SampleTime mode gives the latency
 * distribution per call (p0.50 and p0.99 rows, in s/op). Select one with {@code -bm thrpt} or
 * {@code -bm sample}.
 */
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 2, time = 5, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class ClassifierBenchmark {
    /** The model and the request images, shared by every caller. */
    @State(Scope.Benchmark)
    public static class Model {
        @Param({"resnet18"})
        public String model;

        @Param({"96"})
        public int size;

        @Param({"2"})
        public int threads;

        @Param({"cpu"})
        public String device;

        /** Largest batch of the batching classifier. */
        @Param({"32"})
        public int maxBatch;

        /** Longest wait for a batch to fill, in milliseconds. */
        @Param({"5"})
        public int maxDelayMs;

        Path dir;
        Path checkpoint;
        List<byte[]> requests;

        void prepare() throws IOException {
            Fixtures.setUp(threads, device);
            dir = Files.createTempDirectory("jvision-classifier-bench");
            checkpoint = dir.resolve("best.safetensors");
            try (ImageModel m = dev.jvision.models.Models.create(model,
                    dev.jvision.models.ModelOptions.of(Fixtures.NUM_CLASSES))) {
                Weights.save(m, checkpoint, Map.of("format", "benchmark"));
                List<String> names = new ArrayList<>();
                for (int c = 0; c < Fixtures.NUM_CLASSES; c++) {
                    names.add("class" + c);
                }
                new CheckpointInfo(model, Fixtures.NUM_CLASSES, size, m.spec().mean(), m.spec().std(), 0, 0, 0, 0, 0,
                        names, null).write(CheckpointInfo.sidecarOf(checkpoint));
            }
            requests = Fixtures.documents(64, Fixtures.SEED);
        }

        void cleanUp() throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The dynamically batching classifier. */
    @State(Scope.Benchmark)
    public static class Batching {
        Classifier classifier;

        @Setup(Level.Trial)
        public void setUp(Model m) throws IOException {
            m.prepare();
            classifier = Classifier.builder().device(Device.parse(m.device)).checkpoints(List.of(m.checkpoint))
                    .maxBatchSize(m.maxBatch).maxQueueDelay(Duration.ofMillis(m.maxDelayMs)).build();
        }

        @TearDown(Level.Trial)
        public void tearDown(Model m) throws IOException {
            Classifier.Stats s = classifier.stats();
            classifier.close();
            System.out.printf("%n%s: %d images in %d batches (mean %.1f, largest %d)%n", classifier, s.images(),
                    s.batches(), s.meanBatchSize(), s.largestBatch());
            m.cleanUp();
        }
    }

    /** The baseline: batching off. */
    @State(Scope.Benchmark)
    public static class Serial {
        Classifier classifier;

        @Setup(Level.Trial)
        public void setUp(Model m) throws IOException {
            m.prepare();
            classifier = Classifier.builder().device(Device.parse(m.device)).checkpoints(List.of(m.checkpoint))
                    .maxBatchSize(1).build();
        }

        @TearDown(Level.Trial)
        public void tearDown(Model m) throws IOException {
            classifier.close();
            m.cleanUp();
        }
    }

    /** Each caller walks through the request images from its own starting point. */
    @State(Scope.Thread)
    public static class Caller {
        private int next;

        @Setup(Level.Trial)
        public void setUp() {
            next = (int) (Thread.currentThread().getId() * 7);
        }

        byte[] request(Model m) {
            next = (next + 1) % m.requests.size();
            return m.requests.get(next);
        }
    }

    @Benchmark
    @Threads(1)
    public Prediction serialBatch1(Serial s, Model m, Caller c) {
        return s.classifier.predict(c.request(m));
    }

    @Benchmark
    @Threads(1)
    public Prediction callers1(Batching b, Model m, Caller c) {
        return b.classifier.predict(c.request(m));
    }

    @Benchmark
    @Threads(4)
    public Prediction callers4(Batching b, Model m, Caller c) {
        return b.classifier.predict(c.request(m));
    }

    @Benchmark
    @Threads(16)
    public Prediction callers16(Batching b, Model m, Caller c) {
        return b.classifier.predict(c.request(m));
    }
}
