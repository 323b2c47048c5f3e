package dev.jvision.serve;

import dev.jvision.runtime.HostMemory;
import dev.jvision.runtime.Memory;
import dev.jvision.track.MemoryStats;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics, in its own registry (several servers in one JVM do not mix):
 * requests by model, version and status code; request latency; images and batches run (and so
 * the mean batch size); the largest batch; queue depth; images/s over the last 10 s; requests
 * given up before they ran; readiness; native memory. Thread-safe.
 */
final class ServerMetrics implements AutoCloseable {
    private static final int WINDOW_SECONDS = 10;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter requests;
    private final Histogram latency;
    private final ScheduledExecutorService sampler;
    private final Supplier<List<ServedModel>> models;
    private final java.util.Map<ServedModel, RateWindow> windows = new java.util.concurrent.ConcurrentHashMap<>();

    ServerMetrics(Supplier<List<ServedModel>> models, BooleanSupplier ready) {
        this.models = models;
        requests = Counter.builder().name("jvision_requests")
                .help("HTTP requests to /v1 by model, version and status code (model 'unknown' for a name not served)")
                .labelNames("model", "version", "code").register(registry);
        latency = Histogram.builder().name("jvision_request_duration_seconds")
                .help("Time from request headers to the answer of predict requests, by model and version")
                .labelNames("model", "version").classicOnly()
                .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
                .register(registry);
        CounterWithCallback.builder().name("jvision_images").help("Images classified (TTA views count once)")
                .labelNames("model", "version")
                .callback(cb -> forEach(m -> cb.call(m.stats().images(), m.name(), m.version()))).register(registry);
        CounterWithCallback.builder().name("jvision_batches").help("Device batches run (mean batch size = "
                        + "jvision_images_total / jvision_batches_total)")
                .labelNames("model", "version")
                .callback(cb -> forEach(m -> cb.call(m.stats().batches(), m.name(), m.version()))).register(registry);
        GaugeWithCallback.builder().name("jvision_batch_size_max").help("The largest device batch so far")
                .labelNames("model", "version")
                .callback(cb -> forEach(m -> cb.call(m.stats().largestBatch(), m.name(), m.version())))
                .register(registry);
        GaugeWithCallback.builder().name("jvision_batch_size_mean").help("Mean images per device batch so far")
                .labelNames("model", "version")
                .callback(cb -> forEach(m -> cb.call(m.stats().meanBatchSize(), m.name(), m.version())))
                .register(registry);
        GaugeWithCallback.builder().name("jvision_queue_depth")
                .help("Images waiting for a batch (429 when the queue is full)").labelNames("model", "version")
                .callback(cb -> forEach(m -> cb.call(m.queued(), m.name(), m.version()))).register(registry);
        CounterWithCallback.builder().name("jvision_withdrawn_images")
                .help("Images whose request timed out or disconnected before they ran (they never ran)")
                .labelNames("model", "version")
                .callback(cb -> forEach(m -> cb.call(m.withdrawn(), m.name(), m.version()))).register(registry);
        GaugeWithCallback.builder().name("jvision_images_per_second")
                .help("Images classified per second over the last " + WINDOW_SECONDS + " s")
                .labelNames("model", "version").callback(cb -> forEach(m -> {
                    RateWindow w = windows.get(m);
                    cb.call(w == null ? 0 : w.rate(), m.name(), m.version());
                })).register(registry);
        GaugeWithCallback.builder().name("jvision_ready").help("1 when every model is loaded and warmed up")
                .callback(cb -> cb.call(ready.getAsBoolean() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("jvision_native_memory_bytes")
                .help("Memory outside the Java heap: rss (the process's resident set), c_heap (glibc malloc in use), "
                        + "javacpp (tracked by JavaCPP), cuda (allocated by libtorch's CUDA allocator)")
                .labelNames("kind").callback(cb -> {
                    cb.call(HostMemory.residentBytes(), "rss");
                    if (HostMemory.available()) {
                        cb.call(HostMemory.heapInUseBytes(), "c_heap");
                    }
                    cb.call(Memory.javacppTrackedBytes(), "javacpp");
                    forEachCudaDevice(cb);
                }).register(registry);
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jvision-serve-metrics");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
    }

    /** Counts one answered {@code /v1} request (and its latency when it was a prediction). */
    void request(String model, String version, int code, double seconds, boolean prediction) {
        requests.labelValues(model, version, Integer.toString(code)).inc();
        if (prediction && code == 200) {
            latency.labelValues(model, version).observe(seconds);
        }
    }

    /** Prometheus text format (version 0.0.4). */
    byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        writer.write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.ALLOW_UTF8);
        return out.toByteArray();
    }

    String contentType() {
        return writer.getContentType();
    }

    private void forEach(java.util.function.Consumer<ServedModel> f) {
        for (ServedModel m : models.get()) {
            f.accept(m);
        }
    }

    private void forEachCudaDevice(GaugeWithCallback.Callback cb) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (ServedModel m : models.get()) {
            var d = m.classifier(false).device();
            if (d.isCuda() && seen.add(d.toString())) {
                cb.call(MemoryStats.allocatedBytes(d), "cuda");
            }
        }
    }

    private void sample() {
        long now = System.nanoTime();
        for (ServedModel m : models.get()) {
            windows.computeIfAbsent(m, k -> new RateWindow(WINDOW_SECONDS + 1)).add(now, m.stats().images());
        }
    }

    /** The last samples of a counter, one a second: the rate between the oldest and the newest. */
    private static final class RateWindow {
        private final long[] times;
        private final long[] counts;
        private int size;
        private int next;

        RateWindow(int capacity) {
            times = new long[capacity];
            counts = new long[capacity];
        }

        synchronized void add(long nanos, long count) {
            times[next] = nanos;
            counts[next] = count;
            next = (next + 1) % times.length;
            size = Math.min(size + 1, times.length);
        }

        synchronized double rate() {
            if (size < 2) {
                return 0;
            }
            int newest = (next - 1 + times.length) % times.length;
            int oldest = size < times.length ? 0 : next;
            double seconds = (times[newest] - times[oldest]) / 1e9;
            return seconds <= 0 ? 0 : (counts[newest] - counts[oldest]) / seconds;
        }
    }

    @Override
    public void close() {
        sampler.shutdownNow();
    }
}
