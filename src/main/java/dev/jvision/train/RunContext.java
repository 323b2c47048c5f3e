package dev.jvision.train;

import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.Folds;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.dist.ProcessGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every consumer of a run's training data shares: the experiment, the device, the process
 * group of a data-parallel run, the labelled rows whose images decode (and the fixed validation
 * rows when the data has them), the image cache they are decoded into, the class names and the
 * fold split. The pipeline's training stage, {@link CrossValidation} and the tune objective all
 * start from one ({@link #load}), so the data set-up and the split exist once. The cache and the
 * group are shared, not owned (they live as long as the run). Immutable and thread-safe (the
 * lists are unmodifiable).
 */
public final class RunContext {
    private static final Logger LOG = LoggerFactory.getLogger(RunContext.class);
    /** The fold number (and {@code fold<k>/} folder) of a hold-out fit. */
    public static final int HOLDOUT_FOLD = 0;

    private final Experiment exp;
    private final Device device;
    private final ProcessGroup group;
    private final List<Sample> samples;
    private final List<Sample> validation;
    private final ImageCache cache;
    private final List<String> classNames;

    /**
     * @param group      the data-parallel process group, or null for one process
     * @param validation fixed validation rows (hold-out training), or null for K folds of {@code samples}
     */
    public RunContext(Experiment exp, Device device, ProcessGroup group, List<Sample> samples, List<Sample> validation,
                      ImageCache cache, List<String> classNames) {
        this.exp = Objects.requireNonNull(exp, "exp");
        this.device = Objects.requireNonNull(device, "device");
        this.group = group;
        this.samples = List.copyOf(samples);
        this.validation = validation == null ? null : List.copyOf(validation);
        this.cache = Objects.requireNonNull(cache, "cache");
        this.classNames = classNames == null ? null : List.copyOf(classNames);
    }

    /**
     * Opens the experiment's data (generating the demo data when configured), builds its image
     * cache at {@code data.img_size} (a data-parallel run's ranks decode their shares of a disk
     * cache together) and preloads the training rows and the fixed validation rows, dropping
     * images that do not decode as {@code data.on_bad_image} says. The runtime settings
     * (threads, seed) are the caller's.
     *
     * @param group the process group, or null
     */
    public static RunContext load(Experiment exp, Device device, ProcessGroup group) throws IOException {
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        // hold-out: the validation images share the cache with the train images
        List<Sample> all = new ArrayList<>(data.train().samples());
        data.validation().ifPresent(m -> all.addAll(m.samples()));
        ImageCache cache = cache(exp, exp.data().imgSize(), all, group);
        return new RunContext(exp, device, group, trainRows(data, cache, exp), validationRows(data, cache, exp), cache,
                data.classNames());
    }

    /** The labelled training rows of {@code data} whose images decode (by {@code data.on_bad_image}), preloaded into {@code cache}. */
    public static List<Sample> trainRows(CompetitionData data, ImageCache cache, Experiment exp) {
        return CompetitionData.applyBadImagePolicy(data.train().samples(),
                cache.preload(data.train().samples(), "decode train"), exp.data().loader().onBadImage().toString(), "train images");
    }

    /**
     * The fixed validation rows of {@code data} whose images decode, preloaded into {@code cache},
     * or null when the data has none (image manifests with {@code data.val_manifest} or split
     * {@code val} rows have them: training is then one hold-out fit and {@code train.n_folds} /
     * {@code train.folds} are ignored, which is logged).
     */
    public static List<Sample> validationRows(CompetitionData data, ImageCache cache, Experiment exp) {
        if (data.validation().isEmpty()) {
            return null;
        }
        List<Sample> v = data.validation().get().samples();
        LOG.info("validation rows from {} ({}): hold-out training of one model (fold {}); train.n_folds ({}){} not used",
                exp.data().manifests().val() != null ? "data.val_manifest" : "split 'val' of data.train_manifest",
                v.size(), HOLDOUT_FOLD, exp.train().cv().nFolds(),
                exp.train().cv().folds() != null ? " and train.folds " + exp.train().cv().folds() : "");
        return CompetitionData.applyBadImagePolicy(v, cache.preload(v, "decode validation"), exp.data().loader().onBadImage().toString(),
                "validation images");
    }

    /**
     * The image cache for {@code images} images at {@code size} px: {@code data.cache_dir} when
     * set, else memory up to {@code data.memory_cache_mb}, else disk under
     * {@code <data.root>/.jvision_cache}.
     */
    public static ImageCache cache(Experiment exp, int size, int images) {
        return ImageCache.forImages(size, images, exp.data().cache().dir() == null ? null : exp.data().cache().dir(),
                exp.data().root().resolve(".jvision_cache"), (long) exp.data().cache().memoryMb() << 20,
                exp.data().loader().workers(), exp.data().loader().reducedDecode());
    }

    /**
     * {@link #cache(Experiment, int, int)} for a data-parallel run: when the images go to a disk
     * cache, each rank first decodes only its share ({@code samples} i with {@code i % ranks ==
     * rank}) into the folder, and after a barrier every rank opens the cache anew and finds all of
     * them. Memory caches are per process: each rank fills its own. Without a group (or one rank)
     * this is the plain cache.
     */
    static ImageCache cache(Experiment exp, int size, List<Sample> samples, ProcessGroup group) {
        ImageCache cache = cache(exp, size, samples.size());
        if (group == null || group.worldSize() < 2 || !cache.onDisk()) {
            return cache;
        }
        int rank = group.rank();
        int world = group.worldSize();
        List<Sample> share = new ArrayList<>();
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

    /** The same data and set-up for another experiment (e.g. after {@code train.auto_batch_size} chose a batch size). */
    public RunContext with(Experiment other) {
        return new RunContext(other, device, group, samples, validation, cache, classNames);
    }

    /** One fit of a run: its fold number, training and validation rows. */
    public record Split(int fold, List<Sample> train, List<Sample> validation) {
        public Split {
            train = List.copyOf(train);
            validation = List.copyOf(validation);
        }
    }

    /** The fits of the run: one hold-out fit with fixed validation rows, else the folds {@code train.folds} selects. */
    public List<Split> splits() {
        return splits(holdout() ? List.of(HOLDOUT_FOLD) : CrossValidation.selectedFolds(exp));
    }

    /** The fits of {@code folds} (hold-out: the one fit, whatever {@code folds} says). */
    public List<Split> splits(List<Integer> folds) {
        return splits(exp, samples, validation, folds);
    }

    /**
     * The split of a run, in one place: with fixed {@code validation} rows one fit (fold
     * {@link #HOLDOUT_FOLD}) of all {@code samples}; else stratified {@code train.n_folds} folds
     * of {@code samples} by {@code experiment.seed}, the fits of {@code folds}.
     */
    public static List<Split> splits(Experiment exp, List<Sample> samples, List<Sample> validation, List<Integer> folds) {
        if (validation != null) {
            return List.of(new Split(HOLDOUT_FOLD, samples, validation));
        }
        int[] labels = samples.stream().mapToInt(Sample::label).toArray();
        int[] fold = Folds.stratified(labels, exp.train().cv().nFolds(), exp.experiment().seed());
        List<Split> out = new ArrayList<>();
        for (int f : folds) {
            List<Sample> tr = new ArrayList<>();
            List<Sample> va = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                (fold[i] == f ? va : tr).add(samples.get(i));
            }
            out.add(new Split(f, tr, va));
        }
        return out;
    }

    /**
     * A trainer builder for fold {@code fold} of this run: the device, fold, class names and, in a
     * data-parallel run, the group with {@code experiment.distributed}'s settings.
     */
    public Trainer.Builder trainer(int fold) {
        Trainer.Builder b = Trainer.builder(exp).device(device).fold(fold).classNames(classNames);
        if (group != null) {
            var d = exp.experiment().distributed();
            b.distributed(group, (long) d.bucketMb() << 20, d.overlap(), d.syncBn());
        }
        return b;
    }

    /** The experiment. */
    public Experiment experiment() {
        return exp;
    }

    /** Where the run trains. */
    public Device device() {
        return device;
    }

    /** The process group of a data-parallel run, or null. */
    public ProcessGroup group() {
        return group;
    }

    /** True when this process writes the run's files (one process, or rank 0). */
    public boolean isMain() {
        return group == null || group.rank() == 0;
    }

    /** The labelled training rows whose images decode. */
    public List<Sample> samples() {
        return samples;
    }

    /** The fixed validation rows, or null when the run trains K folds. */
    public List<Sample> validation() {
        return validation;
    }

    /** True when the run trains one hold-out model on fixed validation rows. */
    public boolean holdout() {
        return validation != null;
    }

    /** The image cache the rows are decoded into (shared). */
    public ImageCache cache() {
        return cache;
    }

    /** Class names by index, or null when the data names none. */
    public List<String> classNames() {
        return classNames;
    }
}
