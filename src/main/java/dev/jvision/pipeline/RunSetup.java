package dev.jvision.pipeline;

import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.ImageCache;
import dev.jvision.runtime.dist.ProcessGroup;
import dev.jvision.data.Sample;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.CrossValidation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every stage starts with: the process-wide runtime settings of an experiment and its
 * decoded training images. Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class RunSetup {
    private static final Logger LOG = LoggerFactory.getLogger(RunSetup.class);

    private RunSetup() {}

    /** Applies the experiment's runtime settings (natives, threads, seed, determinism) and returns the device. */
    public static Device apply(Experiment exp) {
        NativeRuntime.init();
        int threads = TorchSettings.setThreads(exp.experiment().threads());
        TorchSettings.seed(exp.experiment().seed());
        TorchSettings.deterministic(exp.experiment().deterministic());
        Device device = Device.parse(exp.experiment().device());
        dev.jvision.data.BatchLoader.setDefaultWorkers(exp.data().workers());
        LOG.info("jvision: device {}, {} torch threads, seed {}, deterministic {}", device, threads,
                exp.experiment().seed(), exp.experiment().deterministic());
        return device;
    }

    /** The experiment's image cache folder ({@code data.cache_dir}), or null for memory only. */
    static Path cacheDir(Experiment exp) {
        return exp.data().cacheDir() == null ? null : Path.of(exp.data().cacheDir());
    }

    /**
     * The image cache for {@code images} images at {@code size} px: {@code data.cache_dir} when
     * set, else memory up to {@code data.memory_cache_mb}, else disk under
     * {@code <data.root>/.jvision_cache}.
     */
    static ImageCache cache(Experiment exp, int size, int images) {
        return ImageCache.forImages(size, images, cacheDir(exp), Path.of(exp.data().root(), ".jvision_cache"),
                (long) exp.data().memoryCacheMb() << 20, exp.data().workers(), exp.data().reducedDecode());
    }

    /**
     * {@link #cache} for a data-parallel run: when the images go to a disk cache, each rank first
     * decodes only its share ({@code samples} i with {@code i % ranks == rank}) into the folder, and
     * after a barrier every rank opens the cache anew and finds all of them: the ranks build one
     * cache together in 1/ranks of the time, instead of each decoding every image (ranks whose
     * cache folders are not shared decode the rest in their own preload afterwards, as before).
     * Memory caches are per process: each rank fills its own. Without a group (or one rank) this is
     * {@link #cache}.
     */
    static ImageCache cache(Experiment exp, int size, List<Sample> samples, ProcessGroup group) {
        ImageCache cache = cache(exp, size, samples.size());
        if (group == null || group.worldSize() < 2 || !cache.onDisk()) {
            return cache;
        }
        int rank = group.rank();
        int world = group.worldSize();
        List<Sample> share = new java.util.ArrayList<>();
        for (int i = rank; i < samples.size(); i += world) {
            share.add(samples.get(i));
        }
        try {
            // failures are reported by the full preload that follows, with every rank's view
            cache.preload(share, "decode (rank " + rank + "'s share)");
        } finally {
            cache.close();
        }
        group.barrier();
        return cache(exp, size, samples.size());
    }

    /** The labelled training rows whose images decode (by {@code data.on_bad_image}), preloaded into {@code cache}. */
    static List<Sample> trainSamples(CompetitionData data, ImageCache cache, Experiment exp) {
        return CompetitionData.applyBadImagePolicy(data.train().samples(),
                cache.preload(data.train().samples(), "decode train"), exp.data().onBadImage(), "train images");
    }

    /**
     * The fixed validation rows whose images decode, preloaded into {@code cache}, when the data
     * has them (image manifests: {@code data.val_manifest} or split {@code val} rows): training is
     * then one hold-out fit and {@code train.n_folds} / {@code train.folds} are ignored (logged).
     * Empty in the competition layout (K-fold cross-validation).
     */
    static Optional<List<Sample>> validationSamples(CompetitionData data, ImageCache cache, Experiment exp) {
        if (data.validation().isEmpty()) {
            return Optional.empty();
        }
        List<Sample> val = data.validation().get().samples();
        LOG.info("validation rows from {} ({}): hold-out training of one model (fold {}); train.n_folds ({}){} not used",
                exp.data().valManifest() != null ? "data.val_manifest" : "split 'val' of data.train_manifest", val.size(),
                CrossValidation.HOLDOUT_FOLD, exp.train().nFolds(),
                exp.train().folds() != null ? " and train.folds " + exp.train().folds() : "");
        return Optional.of(CompetitionData.applyBadImagePolicy(val, cache.preload(val, "decode validation"),
                exp.data().onBadImage(), "validation images"));
    }

    /**
     * Whether {@code exp} trains one hold-out model rather than K folds: its data are image
     * manifests with validation rows (reads the train manifest when it has no val_manifest).
     */
    static boolean holdout(Experiment exp) throws IOException {
        if (exp.data().trainManifest() == null) {
            return false;
        }
        return exp.data().valManifest() != null || data(exp).validation().isPresent();
    }

    /** The folds a run of {@code exp} trains: {@code [0]} for a hold-out fit, else {@code train.folds}. */
    static List<Integer> folds(Experiment exp) throws IOException {
        return holdout(exp) ? List.of(CrossValidation.HOLDOUT_FOLD) : CrossValidation.selectedFolds(exp);
    }

    static String f4(double v) {
        return String.format("%.4f", v);
    }

    /** Opens the competition data of {@code exp} (generating the demo data when configured). */
    static CompetitionData data(Experiment exp) throws IOException {
        return CompetitionData.open(exp.data(), exp.experiment().seed());
    }
}
