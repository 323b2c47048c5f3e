package dev.jvision.cli;

import dev.jvision.models.hub.HubCache;
import dev.jvision.models.hub.HubClient;
import dev.jvision.models.hub.HubException;
import dev.jvision.models.hub.HubSettings;
import dev.jvision.models.hub.Pretrained;
import dev.jvision.models.hub.PretrainedConfig;
import dev.jvision.models.hub.RepoId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jvision weights pull REPO_ID [--revision R]} and {@code jvision weights list}: timm
 * weights in the Hugging Face cache that Python's {@code huggingface_hub} shares (see
 * {@link HubSettings} for the environment variables).
 */
@Command(name = "weights", mixinStandardHelpOptions = true,
        description = "Pretrained weights in the Hugging Face cache (HF_HUB_CACHE, HF_HOME; HF_ENDPOINT, HF_TOKEN, "
                + "HF_HUB_OFFLINE as huggingface_hub reads them).",
        subcommands = {WeightsCommand.Pull.class, WeightsCommand.ListCached.class})
final class WeightsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code jvision weights pull}. */
    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Download a hub repository's model.safetensors and config.json into the cache (skipped "
                    + "when present; a partial download is resumed) and print their paths.")
    static final class Pull implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "REPO_ID", description = "e.g. timm/convnext_tiny.in12k_ft_in1k")
        String repoId;

        @Option(names = "--revision", paramLabel = "R", description = "branch, tag or commit (default: main, or the "
                + "@REVISION of REPO_ID)")
        String revision;

        @Option(names = "--file", paramLabel = "F", description = "files to pull (default: model.safetensors "
                + "config.json)")
        List<String> files;

        @Option(names = "--cache-dir", paramLabel = "DIR", description = "the hub cache (default: HF_HUB_CACHE, else "
                + "HF_HOME/hub, else ~/.cache/huggingface/hub)")
        Path cacheDir;

        @Option(names = "--endpoint", paramLabel = "URL", description = "the hub (default: HF_ENDPOINT, else "
                + "https://huggingface.co)")
        java.net.URI endpoint;

        @Override
        public Integer call() throws IOException {
            RepoId repo = RepoId.parse(repoId);
            if (revision != null) {
                repo = repo.at(revision);
            }
            HubSettings settings = HubSettings.fromEnvironment();
            if (cacheDir != null) {
                settings = settings.withCacheDir(cacheDir);
            }
            if (endpoint != null) {
                settings = settings.withEndpoint(endpoint);
            }
            HubClient client = new HubClient(settings);
            List<String> wanted = files != null && !files.isEmpty() ? files
                    : List.of(Pretrained.WEIGHTS_FILE, Pretrained.CONFIG_FILE);
            for (String f : wanted) {
                Path p;
                try {
                    p = client.download(repo, f);
                } catch (HubException e) {
                    if (e.status() == 404 && f.equals(Pretrained.CONFIG_FILE) && files == null) {
                        System.out.println(f + ": not in the repository (the registry's preprocessing is used)");
                        continue;
                    }
                    if (e.isClientError()) {
                        throw new IllegalArgumentException(e.getMessage(), e);
                    }
                    return failed(e);
                } catch (IOException e) {
                    return failed(e); // no network, a dropped download: the message says what to do
                }
                repo = repo.isCommit() ? repo : repo.at(p.getParent().getFileName().toString());
                System.out.printf(Locale.ROOT, "%s  %s%n", p, size(Files.size(p)));
            }
            Path config = client.cache().snapshotFile(repo, repo.revision(), Pretrained.CONFIG_FILE);
            if (Files.isRegularFile(config)) {
                PretrainedConfig c = PretrainedConfig.read(config);
                System.out.println("architecture " + c.architecture() + ", " + c.numClasses() + " classes, input "
                        + c.inputSize() + " px, " + c.interpolation() + ", crop " + c.cropPct());
            }
            return 0;
        }
    }

    /** {@code jvision weights list}. */
    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the model repositories in the Hugging Face cache (no network).")
    static final class ListCached implements Callable<Integer> {
        @Option(names = "--cache-dir", paramLabel = "DIR", description = "the hub cache (default: HF_HUB_CACHE, else "
                + "HF_HOME/hub, else ~/.cache/huggingface/hub)")
        Path cacheDir;

        @Override
        public Integer call() throws IOException {
            HubCache cache = cacheDir != null ? new HubCache(cacheDir) : HubSettings.fromEnvironment().cache();
            List<HubCache.CachedRepo> repos = cache.list();
            System.out.println("cache: " + cache.root() + (Files.isDirectory(cache.root()) ? "" : " (does not exist)"));
            if (repos.isEmpty()) {
                System.out.println("no model repositories (fill it with `jvision weights pull ORG/NAME`)");
                return 0;
            }
            System.out.printf(Locale.ROOT, "%-48s %-12s %-10s %9s  %s%n", "repository", "revision", "commit", "size",
                    "files");
            for (HubCache.CachedRepo r : repos) {
                boolean first = true;
                for (HubCache.Snapshot s : r.snapshots()) {
                    String refs = String.join(",", r.refs().entrySet().stream()
                            .filter(e -> e.getValue().equals(s.commit())).map(Map.Entry::getKey).toList());
                    boolean loadable = s.files().contains(Pretrained.WEIGHTS_FILE);
                    System.out.printf(Locale.ROOT, "%-48s %-12s %-10s %9s  %s%s%n", first ? r.id() : "",
                            refs.isEmpty() ? "-" : refs, s.commit().substring(0, Math.min(10, s.commit().length())),
                            first ? size(r.bytes()) : "", String.join(" ", s.files()),
                            loadable ? "" : "  (no model.safetensors: not loadable by jvision)");
                    first = false;
                }
                if (r.snapshots().isEmpty()) {
                    System.out.printf(Locale.ROOT, "%-48s %-12s %-10s %9s  %s%n", r.id(), "-", "-", size(r.bytes()),
                            "(no snapshot)");
                }
                if (r.incompleteBytes() > 0) {
                    System.out.printf(Locale.ROOT, "%-48s %s of partial downloads (pull resumes them)%n", "",
                            size(r.incompleteBytes()));
                }
            }
            return 0;
        }
    }

    /** Prints a download failure as one line (no stack trace: the message names the cause) and returns exit code 1. */
    static int failed(IOException e) {
        System.err.println("error: " + e.getMessage());
        return 1;
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
