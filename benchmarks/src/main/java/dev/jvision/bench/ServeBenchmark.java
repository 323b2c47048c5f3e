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
 * sending one JPEG at a time and waiting for its answer. Both sides batch with the same settings;
 * the modes alternate within each round (and take turns going first), so both see the same
 * machine load; the end prints the median HTTP / in-process ratio per client count. Bounded: at
 * most {@code --requests} requests or {@code --seconds} seconds per measurement, whichever comes
 * first, after a warm-up ({@code --warmup} requests per mode in the first round, enough for the JIT
 * to finish compiling each path; later rounds warm up briefly).
 *
 * <p>What each side does per request. <b>In process</b>: the client thread calls
 * {@code classifier.predict(jpegBytes)}, which decodes and resizes the JPEG on that thread, queues
 * it and waits. <b>HTTP</b> ({@code --client socket}, the default): the client thread writes the
 * request (headers and JPEG, encoded once up front) on its own kept-alive connection and reads the
 * whole JSON answer; the server parses the request, reads the body, decodes and resizes the same
 * JPEG on a Jetty thread, queues it in its own {@link Classifier} (same model, same batching),
 * and writes the top-5 answer as JSON. The HTTP side thus pays everything the in-process side
 * pays plus HTTP on both ends and loopback TCP, all on the same cores. {@code --client jdk} sends
 * with {@code java.net.http.HttpClient} instead (its own threads cost the shared cores about
 * 0.5-0.9 ms of CPU per request, more than the server's HTTP handling).
 *
 * <p>Run it with the launcher's logging configuration: Jetty at DEBUG measures logging.
 *
 * <pre>
 * OPENBLAS_NUM_THREADS=1 java -Dlogback.configurationFile=src/main/dist/logback.xml \
 *     -cp benchmarks/target/benchmarks.jar dev.jvision.bench.ServeBenchmark \
 *     [--model resnet18] [--size 96] [--threads 2] [--clients 1,16,64] [--requests 600] [--seconds 20] \
 *     [--warmup 1500] [--rounds 2] [--max-batch 32] [--max-delay-ms 5] [--client socket|jdk] [--cpu-by-thread false]
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

    /** CPU time of the benchmark's client threads (they end before a snapshot is taken: each adds its own here). */
    private static final java.util.concurrent.atomic.AtomicLong CLIENT_CPU = new java.util.concurrent.atomic.AtomicLong();

    /**
     * CPU nanoseconds of every live thread of the process by thread name with digits dropped
     * (e.g. {@code jvision-http-}), plus the ended client threads as {@code bench-client-}. On Linux
     * it reads {@code /proc/self/task}, which also counts native threads that the JVM does not know
     * (libtorch's intra-op threads take the name of the thread that started them, shortened to 15
     * characters by the kernel, e.g. {@code Classifier-work}); elsewhere the JVM's threads only.
     */
    static Map<String, Long> cpuByThread() {
        Map<String, Long> out = new TreeMap<>();
        out.put("bench-client-", CLIENT_CPU.get());
        Path tasks = Path.of("/proc/self/task");
        if (Files.isDirectory(tasks)) {
            try (var ts = Files.list(tasks)) {
                for (Path t : ts.toList()) {
                    try {
                        String name = Files.readString(t.resolve("comm")).strip();
                        String stat = Files.readString(t.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
                        out.merge(name.replaceAll("\\d+", ""), ticks * 10_000_000L, Long::sum); // USER_HZ 100
                    } catch (IOException | RuntimeException gone) {
                        // the thread ended while we looked
                    }
                }
                return out;
            } catch (IOException e) {
                out.clear();
                out.put("bench-client-", CLIENT_CPU.get());
            }
        }
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
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
                .filter(e -> e.getValue() > 0.05).sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).limit(10)
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
        int warmup = Integer.parseInt(o.getOrDefault("warmup", "1500"));
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "20"));
        int rounds = Integer.parseInt(o.getOrDefault("rounds", "2"));
        int maxBatch = Integer.parseInt(o.getOrDefault("max-batch", "32"));
        int maxDelayMs = Integer.parseInt(o.getOrDefault("max-delay-ms", "5"));
        boolean byThread = Boolean.parseBoolean(o.getOrDefault("cpu-by-thread", "false"));
        String client = o.getOrDefault("client", "socket");

        if (org.slf4j.LoggerFactory.getLogger("org.eclipse.jetty.server").isDebugEnabled()) {
            System.err.println("WARNING: Jetty logs at DEBUG (logback without a configuration): the HTTP numbers would "
                    + "measure logging; pass -Dlogback.configurationFile=src/main/dist/logback.xml as the launcher does");
        }
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
            Caller overHttp;
            List<Runnable> closers = new ArrayList<>(); // after each HTTP run: its client threads have ended
            if (client.equals("jdk")) {
                overHttp = bytes -> {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(predict).header("Content-Type", "image/jpeg")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
                    }
                };
            } else if (client.equals("socket")) {
                KeepAliveClient keepAlive = new KeepAliveClient(predict, images);
                overHttp = keepAlive::call;
                closers.add(keepAlive::closeAll);
            } else {
                throw new IllegalArgumentException("--client " + client + " (expected: socket or jdk)");
            }
            System.out.printf("%-6s %7s %-10s %9s %8s %8s %8s %10s %6s%n", "round", "clients", "mode", "requests",
                    "img/s", "p50 ms", "p99 ms", "cpu ms/img", "batch");
            Map<Integer, List<Double>> ratios = new TreeMap<>();
            String[] cpu = new String[2];
            for (int round = 1; round <= rounds; round++) {
                for (int c : clients) {
                    // warm-up: long enough in the first round for the JIT to finish compiling each path
                    // (else its compiler threads take the shared cores from the measurement), short after
                    int w = Math.max(Math.max(4 * c, 100), round == 1 ? warmup : 0);
                    // the modes take turns going first, so neither always meets the machine's load first
                    Result a;
                    Result b;
                    if (round % 2 == 1) {
                        a = inProcessRound(local, inProcess, images, c, w, requests, seconds, byThread, cpu);
                        b = httpRound(http, server.uri(), overHttp, images, c, w, requests, seconds, byThread, cpu);
                        closers.forEach(Runnable::run);
                    } else {
                        b = httpRound(http, server.uri(), overHttp, images, c, w, requests, seconds, byThread, cpu);
                        closers.forEach(Runnable::run);
                        a = inProcessRound(local, inProcess, images, c, w, requests, seconds, byThread, cpu);
                    }
                    print(round, c, "in-process", a);
                    print(round, c, "http", b);
                    if (byThread) {
                        System.out.println("  cpu ms/img by thread, in-process: " + cpu[0]);
                        System.out.println("  cpu ms/img by thread, http:       " + cpu[1]);
                    }
                    double r = b.imagesPerSecond() / a.imagesPerSecond();
                    ratios.computeIfAbsent(c, x -> new ArrayList<>()).add(r);
                    System.out.printf("%-6d %7d %-10s %37s%n", round, c, "ratio", String.format("http/in-process %.2f", r));
                }
            }
            for (Map.Entry<Integer, List<Double>> e : ratios.entrySet()) {
                double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
                System.out.printf("%d clients: http/in-process images/s, median of %d rounds %.2f (min %.2f, max %.2f)%n",
                        e.getKey(), v.length, median, v[0], v[v.length - 1]);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Result inProcessRound(Classifier local, Caller caller, List<byte[]> images, int clients, int warmup,
                                         int requests, double seconds, boolean byThread, String[] cpu) throws Exception {
        run(caller, images, clients, warmup, seconds);
        Classifier.Stats s0 = local.stats();
        Map<String, Long> t0 = byThread ? cpuByThread() : Map.of();
        Result a = run(caller, images, clients, requests, seconds);
        cpu[0] = byThread ? cpuGroups(t0, cpuByThread(), a.requests()) : "";
        Classifier.Stats s1 = local.stats();
        return a.withMeanBatch((double) (s1.images() - s0.images()) / Math.max(1, s1.batches() - s0.batches()));
    }

    private static Result httpRound(HttpClient http, URI base, Caller caller, List<byte[]> images, int clients,
                                    int warmup, int requests, double seconds, boolean byThread, String[] cpu)
            throws Exception {
        run(caller, images, clients, warmup, seconds);
        long[] h0 = served(http, base);
        Map<String, Long> t1 = byThread ? cpuByThread() : Map.of();
        Result b = run(caller, images, clients, requests, seconds);
        cpu[1] = byThread ? cpuGroups(t1, cpuByThread(), b.requests()) : "";
        long[] h1 = served(http, base);
        return b.withMeanBatch((double) (h1[0] - h0[0]) / Math.max(1, h1[1] - h0[1]));
    }

    /**
     * A lean HTTP/1.1 client: one kept-alive connection per client thread, each image's request
     * (headers and body) encoded once up front, the answer read in full (status line, headers,
     * {@code Content-Length} body) and its status checked. It sends what {@code curl --data-binary}
     * would and costs the shared cores little more than the socket calls, so the measurement is
     * of the server (a load generator such as {@code wrk} on another machine costs the server's
     * cores nothing). Thread-safe: each thread has its own connection.
     */
    static final class KeepAliveClient {
        private final URI target;
        private final Map<byte[], byte[]> requests = new java.util.IdentityHashMap<>();
        private final ThreadLocal<Connection> connection = new ThreadLocal<>();
        private final java.util.Queue<Connection> opened = new java.util.concurrent.ConcurrentLinkedQueue<>();

        private record Connection(java.net.Socket socket, java.io.InputStream in, java.io.OutputStream out) {}

        KeepAliveClient(URI target, List<byte[]> images) {
            this.target = target;
            for (byte[] image : images) {
                byte[] head = ("POST " + target.getRawPath() + " HTTP/1.1\r\nHost: " + target.getHost() + ":"
                        + target.getPort() + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + image.length
                        + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                byte[] r = Arrays.copyOf(head, head.length + image.length);
                System.arraycopy(image, 0, r, head.length, image.length);
                requests.put(image, r);
            }
        }

        void call(byte[] image) throws IOException {
            Connection c = connection.get();
            if (c == null || c.socket().isClosed()) {
                java.net.Socket s = new java.net.Socket(target.getHost(), target.getPort());
                s.setTcpNoDelay(true);
                c = new Connection(s, new java.io.BufferedInputStream(s.getInputStream(), 8192), s.getOutputStream());
                connection.set(c);
                opened.add(c);
            }
            c.out().write(requests.get(image));
            java.io.InputStream in = c.in();
            String status = line(in);
            long length = -1;
            boolean close = false;
            for (String h; !(h = line(in)).isEmpty(); ) {
                String lower = h.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).strip());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            if (length < 0) {
                throw new IOException("answer without Content-Length: " + status);
            }
            byte[] body = in.readNBytes((int) length);
            if (close) {
                c.socket().close();
            }
            if (!status.startsWith("HTTP/1.1 200 ")) {
                throw new IllegalStateException(status + ": " + new String(body, java.nio.charset.StandardCharsets.UTF_8));
            }
        }

        /** Closes every connection opened so far (call when the threads that used them have ended). */
        void closeAll() {
            for (Connection c; (c = opened.poll()) != null; ) {
                try {
                    c.socket().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }

        /** One header line without its CRLF; read byte by byte from the connection's buffer. */
        private static String line(java.io.InputStream in) throws IOException {
            StringBuilder b = new StringBuilder(64);
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new java.io.EOFException("connection closed in an answer's header");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
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
                    CLIENT_CPU.addAndGet(java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                    finished.countDown();
                }
            }, "bench-client-" + c);
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
