package dev.jvision.bench;

import dev.jvision.infer.Classifier;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.Weights;
import dev.jvision.runtime.Device;
import dev.jvision.serve.InferenceServer;
import dev.jvision.serve.ServeConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code jvision serve} against the in-process {@link Classifier} on the same model, in one run:
 * images/s and p50/p99 latency per request at 1, 16 and 64 concurrent clients, each client
 * sending one JPEG at a time (HTTP: {@code java.net.http.HttpClient} over localhost to an
 * {@link InferenceServer}; in process: {@code classifier.predict(bytes)} from as many threads).
 * Both sides batch with the same settings; the modes alternate within each round, so both see
 * the same machine load. Bounded: at most {@code --requests} requests or {@code --seconds}
 * seconds per measurement, whichever comes first.
 *
 * <pre>
 * OPENBLAS_NUM_THREADS=1 java -cp benchmarks/target/benchmarks.jar dev.jvision.bench.ServeBenchmark \
 *     [--model resnet18] [--size 96] [--threads 2] [--clients 1,16,64] [--requests 600] [--seconds 20] \
 *     [--rounds 2] [--max-batch 32] [--max-delay-ms 5] [--cpu-by-thread false]
 * </pre>
 */
public final class ServeBenchmark {
    private ServeBenchmark() {}

    /**
     * One measurement: images/s, latency percentiles in ms, and the process's CPU time per image
     * in ms (client and server together: the cost of a request, less sensitive than the rate to
     * what else the machine runs).
     */
    record Result(int requests, double imagesPerSecond, double p50, double p99, double cpuMsPerImage,
                  double meanBatch) {
        Result withMeanBatch(double b) {
            return new Result(requests, imagesPerSecond, p50, p99, cpuMsPerImage, b);
        }
    }

    /** Images and batches run so far by the served model, read from {@code /metrics}. */
    private static long[] served(HttpClient http, URI base) throws Exception {
        String m = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return new long[] {counter(m, "jvision_images_total"), counter(m, "jvision_batches_total")};
    }

    private static long counter(String metrics, String name) {
        java.util.regex.Matcher x = java.util.regex.Pattern.compile("(?m)^" + name + "\\{[^}]*} (\\S+)$").matcher(metrics);
        return x.find() ? (long) Double.parseDouble(x.group(1)) : 0;
    }

    /** CPU nanoseconds of every live thread, by thread name with digits dropped (e.g. {@code jvision-http-}). */
    static Map<String, Long> cpuByThread() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, Long> out = new TreeMap<>();
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null) {
                long ns = mx.getThreadCpuTime(t.getThreadId());
                if (ns > 0) {
                    out.merge(t.getThreadName().replaceAll("\\d+", ""), ns, Long::sum);
                }
            }
        }
        return out;
    }

    /** The thread groups that used the most CPU between two {@link #cpuByThread()} snapshots, in ms per image. */
    static String cpuGroups(Map<String, Long> before, Map<String, Long> after, int images) {
        return after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), (e.getValue() - before.getOrDefault(e.getKey(), 0L)) / 1e6 / images))
                .filter(e -> e.getValue() > 0.05).sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(8)
                .map(e -> String.format("%s %.2f", e.getKey(), e.getValue())).collect(java.util.stream.Collectors.joining(", "));
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("argument " + args[i] + " (expected: --name value)");
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        String model = o.getOrDefault("model", "resnet18");
        int size = Integer.parseInt(o.getOrDefault("size", "96"));
        int threads = Integer.parseInt(o.getOrDefault("threads", "2"));
        int[] clients = Arrays.stream(o.getOrDefault("clients", "1,16,64").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int requests = Integer.parseInt(o.getOrDefault("requests", "600"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "20"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "2"));
        int maxBatch = Integer.parseInt(o.getOrDefault("max-batch", "32"));
        int maxDelayMs = Integer.parseInt(o.getOrDefault("max-delay-ms", "5"));
        boolean byThread = Boolean.parseBoolean(o.getOrDefault("cpu-by-thread", "false"));

        Fixtures.setUp(threads, "cpu");
        Path dir = Files.createTempDirectory("jvision-serve-bench");
        Path ck = checkpoint(dir, model, size);
        List<byte[]> images = Fixtures.documents(64, Fixtures.SEED);
        ServeConfig.Model m = ServeConfig.Model.of("bench", "1", ServeConfig.Source.CHECKPOINT, ck)
                .withBatching(maxBatch, Duration.ofMillis(maxDelayMs), 4096).withInference("cpu", 5, List.of());
        ServeConfig cfg = ServeConfig.of(List.of(m)).withAddress("127.0.0.1", 0)
                .withLimits(threads, 16L << 20, Duration.ofSeconds(60));
        System.out.printf("model %s at %d px, %d torch threads, max batch %d, max delay %d ms, %d cores; "
                        + "per measurement at most %d requests or %.0f s%n", model, size, threads, maxBatch, maxDelayMs,
                Runtime.getRuntime().availableProcessors(), requests, seconds);
        try (Classifier local = Classifier.builder().device(Device.CPU).checkpoints(List.of(ck))
                .maxBatchSize(maxBatch).maxQueueDelay(Duration.ofMillis(maxDelayMs)).maxQueueSize(4096).build();
             InferenceServer server = InferenceServer.start(cfg)) {
            server.awaitReady();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            URI predict = server.uri().resolve("/v1/models/bench:predict");
            Caller inProcess = bytes -> local.predict(bytes);
            Caller overHttp = bytes -> {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(predict).header("Content-Type", "image/jpeg")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                }
            };
            System.out.printf("%-6s %7s %-10s %9s %8s %8s %8s %10s %6s%n", "round", "clients", "mode", "requests",
                    "img/s", "p50 ms", "p99 ms", "cpu ms/img", "batch");
            for (int round = 1; round <= rounds; round++) {
                for (int c : clients) {
                    run(inProcess, images, c, Math.max(4 * c, 100), seconds); // warm-up
                    Classifier.Stats s0 = local.stats();
                    Map<String, Long> t0 = byThread ? cpuByThread() : Map.of();
                    Result a = run(inProcess, images, c, requests, seconds);
                    String ga = byThread ? cpuGroups(t0, cpuByThread(), a.requests()) : "";
                    Classifier.Stats s1 = local.stats();
                    a = a.withMeanBatch((double) (s1.images() - s0.images()) / Math.max(1, s1.batches() - s0.batches()));
                    run(overHttp, images, c, Math.max(4 * c, 100), seconds);
                    long[] h0 = served(http, server.uri());
                    Map<String, Long> t1 = byThread ? cpuByThread() : Map.of();
                    Result b = run(overHttp, images, c, requests, seconds);
                    String gb = byThread ? cpuGroups(t1, cpuByThread(), b.requests()) : "";
                    long[] h1 = served(http, server.uri());
                    b = b.withMeanBatch((double) (h1[0] - h0[0]) / Math.max(1, h1[1] - h0[1]));
                    print(round, c, "in-process", a);
                    print(round, c, "http", b);
                    if (byThread) {
                        System.out.println("  cpu ms/img by thread, in-process: " + ga);
                        System.out.println("  cpu ms/img by thread, http:       " + gb);
                    }
                    System.out.printf("%-6d %7d %-10s %37s%n", round, c, "ratio", String.format("http/in-process %.2f",
                            b.imagesPerSecond() / a.imagesPerSecond()));
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @FunctionalInterface
    interface Caller {
        void call(byte[] image) throws Exception;
    }

    private static void print(int round, int clients, String mode, Result r) {
        System.out.printf("%-6d %7d %-10s %9d %8.1f %8.2f %8.2f %10.2f %6.1f%n", round, clients, mode, r.requests(),
                r.imagesPerSecond(), r.p50(), r.p99(), r.cpuMsPerImage(), r.meanBatch());
    }

    /** {@code clients} threads call until {@code total} requests are done or {@code seconds} have passed. */
    static Result run(Caller caller, List<byte[]> images, int clients, int total, double seconds) throws Exception {
        AtomicInteger next = new AtomicInteger();
        long[] latencies = new long[total];
        AtomicInteger done = new AtomicInteger();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        CountDownLatch finished = new CountDownLatch(clients);
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long cpu0 = cpuNanos();
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> {
                try {
                    for (int i; (i = next.getAndIncrement()) < total && System.nanoTime() < deadline; ) {
                        long t0 = System.nanoTime();
                        caller.call(images.get(i % images.size()));
                        latencies[i] = System.nanoTime() - t0;
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    finished.countDown();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        finished.await();
        long wall = System.nanoTime() - start;
        long cpu = cpuNanos() - cpu0;
        if (!errors.isEmpty()) {
            throw new IllegalStateException("a client failed: " + errors.get(0), errors.get(0));
        }
        long[] got = Arrays.stream(latencies).filter(l -> l > 0).sorted().toArray();
        return new Result(got.length, got.length / (wall / 1e9), percentile(got, 0.50), percentile(got, 0.99),
                cpu / 1e6 / Math.max(1, got.length), 0);
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static Path checkpoint(Path dir, String model, int size) throws IOException {
        Path file = dir.resolve("best.safetensors");
        try (ImageModel m = dev.jvision.models.Models.create(model,
                dev.jvision.models.ModelOptions.of(Fixtures.NUM_CLASSES))) {
            Weights.save(m, file, Map.of("format", "benchmark"));
            List<String> names = new ArrayList<>();
            for (int c = 0; c < Fixtures.NUM_CLASSES; c++) {
                names.add("class" + c);
            }
            new CheckpointInfo(model, Fixtures.NUM_CLASSES, size, m.spec().mean(), m.spec().std(), 0, 0, 0, 0, 0, names,
                    null).write(CheckpointInfo.sidecarOf(file));
        }
        return file;
    }
}
