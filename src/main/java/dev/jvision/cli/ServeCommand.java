package dev.jvision.cli;

import dev.jvision.config.ByteSize;
import dev.jvision.serve.InferenceServer;
import dev.jvision.serve.ServeConfig;
import dev.jvision.serve.ServeConfigFile;
import dev.jvision.serve.Tokens;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvision serve}: an HTTP inference server for a run, a checkpoint, an ensemble or the
 * models of a {@code serve.yaml} (see {@code docs/http-server.md}). Runs until SIGTERM/Ctrl-C,
 * then finishes the accepted requests and exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve models over HTTP: POST /v1/models/{name}:predict with an image, GET /v1/models, "
                + "/health/live, /health/ready, /metrics (Prometheus).",
                "SIGTERM stops accepting, answers what was accepted, then exits."})
final class ServeCommand implements Callable<Integer> {
    /** The environment variable read for the bearer token when no token option is given. */
    static final String TOKEN_ENV = "JVISION_SERVE_TOKEN";

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--run", paramLabel = "RUN_DIR", description = "a run folder made by train/pipeline (all its folds)")
        Path run;

        @Option(names = "--checkpoint", paramLabel = "FILE", description = "a .safetensors checkpoint with its .json sidecar")
        Path checkpoint;

        @Option(names = "--ensemble", paramLabel = "MEMBERS_YAML",
                description = "ensemble file: members: [{run: DIR | checkpoint: FILE, weight: W, temperature: T}]")
        Path ensemble;

        @Option(names = {"-c", "--config"}, paramLabel = "SERVE_YAML", description = "several models, each with a name "
                + "and version, and the server settings (docs/http-server.md)")
        Path config;
    }

    @Option(names = "--name", paramLabel = "NAME", description = "the model's name in URLs (default: the run folder's "
            + "name without its date-time, else 'model')")
    String name;

    @Option(names = "--model-version", paramLabel = "V", description = "the model's version in URLs (default: 1)")
    String version;

    @Option(names = "--host", paramLabel = "ADDR", description = "address to listen on (default: 127.0.0.1; 0.0.0.0 for all)")
    String host;

    @Option(names = "--port", paramLabel = "N", description = "port (default: 8080; 0 picks a free one)")
    Integer port;

    @Option(names = "--max-batch", paramLabel = "N", description = "largest device batch (default: 32)")
    Integer maxBatch;

    @Option(names = "--max-delay-ms", paramLabel = "MS", description = "longest wait for a batch to fill (default: 5)")
    Integer maxDelayMs;

    @Option(names = "--queue", paramLabel = "N", description = "images that may wait; more get 429 (default: 1000)")
    Integer queue;

    @Option(names = "--threads", paramLabel = "T", description = "libtorch threads (default: the available processors)")
    Integer threads;

    @Option(names = "--max-body", paramLabel = "SIZE", description = "largest request body, e.g. 16MB (default: 16MB); "
            + "larger gets 413")
    String maxBody;

    @Option(names = "--timeout-ms", paramLabel = "MS", description = "longest time a request may take; longer gets 503 "
            + "(default: 30000)")
    Integer timeoutMs;

    @Option(names = "--token-file", paramLabel = "FILE", description = "require 'Authorization: Bearer <token>' on /v1 "
            + "with the token in FILE (default: the token in $" + TOKEN_ENV + " when set, else no authentication)")
    Path tokenFile;

    @Option(names = "--token-env", paramLabel = "VAR", description = "as --token-file, the token in environment variable VAR")
    String tokenEnv;

    @Option(names = "--device", paramLabel = "DEV", description = "auto, cpu, cuda or cuda:N (default: auto)")
    String device;

    @Option(names = "--top-k", paramLabel = "K", description = "classes answered without ?top_k (default: 5)")
    Integer topK;

    @Option(names = "--tta", paramLabel = "VIEWS", split = ",", description = "TTA views offered with ?tta=true, e.g. "
            + "identity,hflip (default: none)")
    List<String> tta;

    @Override
    public Integer call() throws Exception {
        ServeConfig cfg = config();
        InferenceServer server;
        try {
            server = InferenceServer.start(cfg);
        } catch (java.io.IOException e) { // a port in use is the caller's to fix: exit 2 with one line
            throw new IllegalArgumentException("--port " + cfg.port() + ": " + e.getMessage()
                    + " (expected: a free port on " + cfg.host() + "; choose another with --port, or 0 for any)", e);
        }
        Thread hook = new Thread(() -> {
            System.out.println("jvision serve: stopping (finishing accepted requests)");
            server.close();
            System.out.println("jvision serve: stopped; predict requests accepted " + server.accepted() + ", answered "
                    + server.answered());
            System.out.flush();
        }, "jvision-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("jvision serve: listening on " + server.uri() + " (loading " + cfg.models().size()
                + " model" + (cfg.models().size() == 1 ? "" : "s") + ")");
        System.out.flush();
        try {
            server.awaitReady();
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            server.close();
            throw e;
        }
        for (ServeConfig.Model m : cfg.models()) {
            System.out.println("jvision serve: ready: POST " + server.uri() + "/v1/models/" + m.name()
                    + (cfg.models().stream().filter(o -> o.name().equals(m.name())).count() > 1
                            ? "/versions/" + m.version() : "") + ":predict");
        }
        System.out.flush();
        server.join();
        return 0;
    }

    /** The configuration from the options (and the YAML file with --config; options given override it). */
    ServeConfig config() {
        ServeConfig cfg;
        if (source.config != null) {
            for (Object[] o : new Object[][] {{"--name", name}, {"--model-version", version}, {"--max-batch", maxBatch},
                    {"--max-delay-ms", maxDelayMs}, {"--queue", queue}, {"--device", device}, {"--top-k", topK},
                    {"--tta", tta}}) {
                if (o[1] != null) {
                    throw new IllegalArgumentException(o[0] + ": a per-model setting (expected: set it for each model in "
                            + source.config + ", or serve one model with --run/--checkpoint/--ensemble)");
                }
            }
            cfg = ServeConfigFile.read(source.config, System::getenv);
        } else {
            ServeConfig.Model m = model();
            cfg = ServeConfig.of(List.of(m));
        }
        cfg = cfg.withAddress(host != null ? host : cfg.host(), port != null ? port : cfg.port());
        cfg = cfg.withLimits(threads != null ? threads : cfg.threads(),
                maxBody != null ? ByteSize.parse("--max-body", maxBody) : cfg.maxBody(),
                timeoutMs != null ? Duration.ofMillis(timeoutMs) : cfg.timeout());
        if (tokenFile != null && tokenEnv != null) {
            throw new IllegalArgumentException("--token-file and --token-env: both given (expected: one of them)");
        }
        if (tokenFile != null) {
            cfg = cfg.withToken(Tokens.fromFile(tokenFile, "--token-file"));
        } else if (tokenEnv != null) {
            cfg = cfg.withToken(Tokens.fromEnv(tokenEnv, System::getenv, "--token-env"));
        } else if (cfg.token() == null && System.getenv(TOKEN_ENV) != null) {
            cfg = cfg.withToken(Tokens.fromEnv(TOKEN_ENV, System::getenv, TOKEN_ENV));
        }
        return cfg;
    }

    private ServeConfig.Model model() {
        ServeConfig.Source kind;
        Path path;
        if (source.run != null) {
            kind = ServeConfig.Source.RUN;
            path = source.run;
        } else if (source.checkpoint != null) {
            kind = ServeConfig.Source.CHECKPOINT;
            path = source.checkpoint;
        } else {
            kind = ServeConfig.Source.ENSEMBLE;
            path = source.ensemble;
        }
        if (kind == ServeConfig.Source.RUN ? !java.nio.file.Files.isDirectory(path)
                : !java.nio.file.Files.isRegularFile(path)) {
            throw new IllegalArgumentException("--" + kind.key() + " " + path + ": not found (expected: "
                    + (kind == ServeConfig.Source.RUN ? "a run folder)" : "a file)"));
        }
        String n = name != null ? name : defaultName(kind, path);
        ServeConfig.Model m = ServeConfig.Model.of(n, version != null ? version : "1", kind, path);
        m = m.withBatching(maxBatch != null ? maxBatch : m.maxBatch(),
                maxDelayMs != null ? Duration.ofMillis(maxDelayMs) : m.maxDelay(), queue != null ? queue : m.queue());
        return m.withInference(device != null ? device : m.device(), topK != null ? topK : m.topK(),
                tta != null ? tta : new ArrayList<>());
    }

    /** A run folder's name without its {@code yyyyMMdd-HHmmss-} prefix; else {@code model}. */
    static String defaultName(ServeConfig.Source kind, Path path) {
        if (kind != ServeConfig.Source.RUN || path.toAbsolutePath().normalize().getFileName() == null) {
            return "model";
        }
        String n = path.toAbsolutePath().normalize().getFileName().toString().replaceFirst("^\\d{8}-\\d{6}-", "")
                .replaceAll("[^A-Za-z0-9._-]", "_");
        return n.isEmpty() ? "model" : n;
    }
}
