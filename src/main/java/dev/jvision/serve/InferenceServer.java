package dev.jvision.serve;

import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP inference server of {@code jvision serve}: Jetty on {@code host:port} in front of one
 * {@link dev.jvision.infer.Classifier} per model version.
 *
 * <pre>{@code
 * try (InferenceServer s = InferenceServer.start(ServeConfig.of(List.of(
 *         ServeConfig.Model.of("docs", "1", ServeConfig.Source.RUN, Path.of("runs/quickstart")))))) {
 *     s.awaitReady();        // models loaded and warmed up
 *     s.join();              // until close() (e.g. from a shutdown hook)
 * }
 * }</pre>
 *
 * <p><b>Life cycle.</b> {@link #start} listens at once ({@code /health/live} answers 200) and
 * loads the models on a background thread; until every model is loaded and warmed up,
 * {@code /health/ready} and the {@code /v1} endpoints answer 503. {@link #close()} shuts down
 * gracefully: it marks the server as stopping (ready and new predictions answer 503), stops
 * accepting connections, waits for every accepted prediction to be answered (at most the request
 * timeout plus 5 s; open connections keep their idle timeout meanwhile), closes the kept-alive
 * connections, stops Jetty, then closes the classifiers (each finishes its queue first).
 *
 * <p>Owns the Jetty server, its threads and the models until {@link #close()}, which is
 * idempotent. Thread-safe.
 */
public final class InferenceServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceServer.class);

    /** Loads one model version (the default loads and warms up its classifiers). */
    @FunctionalInterface
    interface Loader {
        ServedModel load(ServeConfig.Model model) throws Exception;
    }

    private final ServeConfig config;
    private final Server jetty;
    private final ServerConnector connector;
    private final ServerMetrics metrics;
    private final ClientWatch clients = new ClientWatch();
    private final CompletableFuture<ModelTable> loaded = new CompletableFuture<>();
    private final List<ServedModel> loading = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile ModelTable table;
    private volatile boolean draining;
    private volatile String loadingWhat = "loading models";
    private final java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong accepted = new java.util.concurrent.atomic.AtomicLong();

    private InferenceServer(ServeConfig config) {
        this.config = config;
        QueuedThreadPool pool = new QueuedThreadPool(Math.max(32, 4 * Runtime.getRuntime().availableProcessors()), 4);
        pool.setName("jvision-http");
        pool.setDaemon(true);
        jetty = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(Math.max(30_000, config.timeout().toMillis() + 5_000));
        // Jetty cuts idle connections to 1 s once the connector shuts down: a prediction still waiting
        // then would fail ("idle timeout", answered 500) although close() waits up to the timeout for it
        connector.setShutdownIdleTimeout(connector.getIdleTimeout());
        jetty.addConnector(connector);
        metrics = new ServerMetrics(() -> {
            ModelTable t = table;
            return t == null ? List.of() : t.all();
        }, () -> table != null && !draining);
        jetty.setHandler(new ApiHandler(this, config, metrics));
        jetty.setStopTimeout(5_000);
    }

    /**
     * Listens on the configured address and starts loading the models in the background.
     *
     * @throws IOException when the address cannot be bound
     */
    public static InferenceServer start(ServeConfig config) throws IOException {
        return start(config, ServedModel::load);
    }

    static InferenceServer start(ServeConfig config, Loader loader) throws IOException {
        TorchSettings.setThreads(config.threads()); // 0: the available processors (libtorch's own default may count the host's)
        InferenceServer s = new InferenceServer(config);
        try {
            s.jetty.start();
        } catch (Exception e) {
            s.metrics.close();
            s.clients.close();
            try {
                s.jetty.stop();
            } catch (Exception ignored) {
                // nothing was started
            }
            throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        Thread t = new Thread(() -> s.load(loader), "jvision-serve-loader");
        t.setDaemon(true);
        t.start();
        return s;
    }

    private void load(Loader loader) {
        try {
            for (ServeConfig.Model m : config.models()) {
                loadingWhat = "loading model " + m.name() + " version " + m.version();
                LOG.info("{} from {} {}", loadingWhat, m.source().key(), m.path());
                ServedModel sm = loader.load(m);
                synchronized (loading) {
                    if (closed.get()) {
                        sm.close();
                        throw new IllegalStateException("server closed while loading");
                    }
                    loading.add(sm);
                }
            }
            synchronized (loading) {
                table = new ModelTable(loading);
            }
            loaded.complete(table);
        } catch (Throwable e) {
            loadingWhat = "loading failed: " + e.getMessage();
            loaded.completeExceptionally(e);
        }
    }

    /**
     * Waits until every model is loaded and warmed up.
     *
     * @throws Exception what loading threw (the server stays live but never ready: close it)
     */
    public void awaitReady() throws Exception {
        try {
            loaded.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** True when every model is loaded and the server is not stopping. */
    public boolean isReady() {
        return table != null && !draining;
    }

    /** The port listened on (the chosen one when the configuration said 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** {@code http://host:port}. */
    public URI uri() {
        return URI.create("http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":"
                + port());
    }

    /** Predict requests answered with 200 since start. */
    public long answered() {
        return answered.get();
    }

    /** Predict requests whose images were queued since start (each is answered: 200, 503 timeout, or its client left). */
    public long accepted() {
        return accepted.get();
    }

    /** Blocks until {@link #close()} has finished (from another thread or a shutdown hook). */
    public void join() throws InterruptedException {
        try {
            stopped.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops gracefully (see the class comment). Idempotent; later callers wait for the first. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            stopped.join();
            return;
        }
        try {
            draining = true;
            connector.shutdown(); // no new connections; open ones get 503 for new predictions
            long deadline = System.nanoTime() + config.timeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
            while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            if (inFlight.get() > 0) {
                LOG.warn("stopping with {} predictions still unanswered", inFlight.get());
            }
            // drained (every prediction answered and written): close the kept-alive connections, as
            // Jetty's own 1 s shutdown idle timeout would, so that stopping does not wait for them
            for (org.eclipse.jetty.io.EndPoint ep : connector.getConnectedEndPoints()) {
                ep.close();
            }
            jetty.stop();
        } catch (Exception e) {
            LOG.warn("stopping the HTTP server: {}", e.toString());
        } finally {
            metrics.close();
            clients.close();
            synchronized (loading) {
                for (ServedModel m : loading) {
                    m.close();
                }
            }
            stopped.complete(null);
        }
    }

    // ---- for ApiHandler

    /** Jetty's thread pool, where answers are written. */
    java.util.concurrent.Executor executor() {
        return jetty.getThreadPool();
    }

    ClientWatch clients() {
        return clients;
    }

    ModelTable table() {
        return table;
    }

    boolean draining() {
        return draining;
    }

    String notReadyReason() {
        return loadingWhat + " (expected: wait for /health/ready)";
    }

    /** Counts a prediction in; false (and not counted) when the server is stopping. */
    boolean enter() {
        inFlight.incrementAndGet();
        if (draining) { // close() set draining before it read the count: it either waits for us or we leave
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void leave() {
        inFlight.decrementAndGet();
    }

    void countAccepted() {
        accepted.incrementAndGet();
    }

    void countAnswered() {
        answered.incrementAndGet();
    }
}
