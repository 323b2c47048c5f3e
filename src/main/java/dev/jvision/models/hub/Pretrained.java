package dev.jvision.models.hub;

import dev.jvision.models.ImageModel;
import dev.jvision.models.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code model.pretrained}: timm weights by hub repository id, offline first. The cache is read
 * first (a revision's ref and snapshot, as {@code timm}/{@code huggingface_hub} left them), so a
 * checkpoint already on disk is used without any network call; only a missing
 * {@code model.safetensors} is downloaded (never with {@code HF_HUB_OFFLINE}). The repository's
 * {@code config.json} sets the model's preprocessing; a head of another class count is
 * re-initialised, as {@code model.weights} does. Stateless and thread-safe; the model is not.
 */
public final class Pretrained {
    /** The weights file jvision reads from a repository. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** timm's configuration file. */
    public static final String CONFIG_FILE = "config.json";
    private static final Logger LOG = LoggerFactory.getLogger(Pretrained.class);

    private Pretrained() {}

    /**
     * A checkpoint found in (or brought into) the cache.
     *
     * @param repo the repository and revision asked for
     * @param commit the commit the files are from
     * @param weights the snapshot pointer of {@code model.safetensors}
     * @param config the preprocessing of {@code config.json} ({@link PretrainedConfig#empty()} without one)
     */
    public record Checkpoint(RepoId repo, String commit, Path weights, PretrainedConfig config) {}

    /** What {@link #load} did: the checkpoint and the weights' load report. */
    public record LoadReport(Checkpoint checkpoint, Weights.LoadReport weights) {}

    /**
     * Finds {@code repo}'s {@code model.safetensors} and {@code config.json} in the cache, else
     * downloads them (unless offline).
     *
     * @throws IllegalArgumentException for a bad config.json
     * @throws HubException for HTTP errors, a wrong checksum, or offline mode without the files (naming the path)
     * @throws IOException when the hub cannot be reached
     */
    public static Checkpoint resolve(RepoId repo, HubSettings settings) throws IOException {
        HubCache cache = settings.cache();
        Optional<String> commit = cache.commit(repo);
        if (commit.isPresent()) {
            Path weights = cache.snapshotFile(repo, commit.get(), WEIGHTS_FILE);
            if (Files.isRegularFile(weights)) {
                Path config = cache.snapshotFile(repo, commit.get(), CONFIG_FILE);
                LOG.debug("{}: using the cached {}", repo, weights);
                return new Checkpoint(repo, commit.get(), weights, configOf(config, repo));
            }
        }
        HubClient client = new HubClient(settings);
        Path weights;
        try {
            weights = client.download(repo, WEIGHTS_FILE);
        } catch (HubException e) {
            if (e.status() == 404) {
                throw new HubException(404, e.getMessage() + " (jvision reads safetensors weights only; timm "
                        + "repositories on the hub carry model.safetensors)");
            }
            throw e;
        }
        String at = weights.getParent().getFileName().toString();
        Path config = cache.snapshotFile(repo, at, CONFIG_FILE);
        if (!Files.isRegularFile(config) && !settings.offline() && !cache.knownMissing(repo, at, CONFIG_FILE)) {
            try {
                config = client.download(repo.at(at), CONFIG_FILE);
            } catch (HubException e) {
                if (e.status() != 404) {
                    throw e;
                }
                LOG.info("{}: no {} in the repository; the registry's preprocessing is kept", repo, CONFIG_FILE);
            }
        }
        return new Checkpoint(repo, at, weights, configOf(config, repo));
    }

    /** {@link #resolve(RepoId, HubSettings)} of {@code ORG/NAME[@REVISION]}. */
    public static Checkpoint resolve(String ref, HubSettings settings) throws IOException {
        RepoId repo;
        try {
            repo = RepoId.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model.pretrained: " + e.getMessage());
        }
        return resolve(repo, settings);
    }

    /**
     * Loads {@code ref}'s checkpoint into {@code model}: checks that {@code config.json}'s
     * architecture is the model's, sets the model's preprocessing from it, then loads the weights
     * (strictly, except a classifier of another class count, which keeps its fresh initialisation).
     *
     * @throws IllegalArgumentException for another architecture, weights that do not fit, or a
     *     {@linkplain HubException#isClientError() client error} of the hub (unknown repository, no
     *     access, offline without the files)
     */
    public static LoadReport load(ImageModel model, String ref, HubSettings settings) throws IOException {
        Checkpoint c;
        try {
            c = resolve(ref, settings);
        } catch (HubException e) {
            if (e.isClientError()) {
                throw new IllegalArgumentException("model.pretrained: " + e.getMessage(), e);
            }
            throw e;
        }
        String arch = c.config().architecture();
        if (arch != null && !arch.equals(model.spec().name())) {
            throw new IllegalArgumentException("model.pretrained '" + ref + "': the checkpoint is a '" + arch
                    + "' (config.json architecture) (expected: '" + model.spec().name() + "', the model.name; set "
                    + "model.name: " + arch + ")");
        }
        model.usePreprocessing(c.config().applyTo(model.spec()));
        Weights.LoadReport w = Weights.load(model, c.weights(), true);
        return new LoadReport(c, w);
    }

    private static PretrainedConfig configOf(Path config, RepoId repo) throws IOException {
        if (Files.isRegularFile(config)) {
            return PretrainedConfig.read(config);
        }
        LOG.info("{}: no {} in the cache; the registry's preprocessing is kept", repo, CONFIG_FILE);
        return PretrainedConfig.empty();
    }
}
