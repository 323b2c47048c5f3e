package dev.jvision.data;

import dev.jvision.config.DataConfig;
import dev.jvision.data.demo.DemoData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data under {@code data.root}: train manifest, class names, test manifest (from
 * sample_submission.csv) and, for the demo data, test labels. Two layouts: the competition
 * layout ({@code train.csv} = {@code ID,target}, images in {@code train/}; generates the demo
 * data first when the folder is missing and {@code data.generate_demo} is set), and image
 * manifests when {@code data.train_manifest} is set ({@code image_path,label[,split]}, labels
 * mapped through {@code data.class_file}; validation rows from {@code data.val_manifest} or
 * the rows with split {@code val}). Immutable after opening; thread-safe.
 */
public final class CompetitionData {
    private static final Logger LOG = LoggerFactory.getLogger(CompetitionData.class);
    private final DataConfig cfg;
    private final Path root;
    private final Manifest train;
    private final List<String> classNames;
    private final Manifest validation;

    private CompetitionData(DataConfig cfg, Path root, Manifest train, List<String> classNames, Manifest validation) {
        this.cfg = cfg;
        this.root = root;
        this.train = train;
        this.classNames = classNames;
        this.validation = validation;
    }

    /**
     * Opens {@code cfg.root()}, generating demo data there (seeded by {@code seed}) when it is
     * missing and allowed.
     *
     * @throws DataException listing every bad row (unless {@code on_bad_image: skip})
     */
    public static CompetitionData open(DataConfig cfg, long seed) throws IOException {
        Path root = cfg.root();
        if (cfg.manifests().train() != null) return openManifests(cfg, root);
        Path trainCsv = root.resolve(cfg.layout().trainCsv());
        if (!Files.exists(trainCsv)) {
            if (cfg.demo().generate()) {
                LOG.info("{} not found: generating demo data ({} train, {} test images, seed {})", trainCsv,
                        cfg.demo().train(), cfg.demo().test(), seed);
                DemoData.generate(root, cfg.demo().train(), cfg.demo().test(), seed);
            } else {
                throw new IllegalArgumentException("data.root: " + trainCsv + " not found (expected: the competition "
                        + "layout train.csv, train/, test/, sample_submission.csv; or set data.generate_demo: true, "
                        + "or run `jvision demo-data --out " + root + "`)");
            }
        }
        boolean skip = cfg.loader().onBadImage().skips();
        Manifest train = Manifest.read(trainCsv, root.resolve(cfg.layout().trainDir()), true, skip);
        if (!train.skipped().isEmpty()) {
            LOG.warn("skipped {} bad rows of {} (data.on_bad_image: skip): {}", train.skipped().size(), trainCsv,
                    String.join("; ", train.skipped().subList(0, Math.min(5, train.skipped().size()))));
        }
        List<String> names = ClassNames.read(root.resolve(cfg.layout().metaCsv()), train.numClasses());
        return new CompetitionData(cfg, root, train, names, null);
    }

    /** Manifest mode: {@code data.train_manifest} (+ {@code val_manifest}, {@code class_file}). */
    private static CompetitionData openManifests(DataConfig cfg, Path root) throws IOException {
        Path trainCsv = root.resolve(cfg.manifests().train());
        if (!Files.isRegularFile(trainCsv)) {
            throw new IllegalArgumentException("data.train_manifest: " + trainCsv + " not found (expected: a CSV "
                    + "image_path,label[,split], relative to data.root; `jvision demo-data --kind scale` writes one)");
        }
        List<String> names = null;
        if (cfg.manifests().classFile() != null) {
            Path cf = root.resolve(cfg.manifests().classFile());
            if (!Files.isRegularFile(cf)) {
                throw new IllegalArgumentException("data.class_file: " + cf + " not found (expected: one class name "
                        + "per line, or index,name rows, relative to data.root)");
            }
            names = ClassNames.readClassFile(cf);
        }
        boolean skip = cfg.loader().onBadImage().skips();
        ImagePaths paths = ImagePaths.of(trainCsv.toAbsolutePath().getParent(), cfg);
        Manifest train = Manifest.readImages(trainCsv, paths, names, "train", "train", skip);
        Manifest val;
        if (cfg.manifests().val() != null) {
            Path valCsv = root.resolve(cfg.manifests().val());
            if (!Files.isRegularFile(valCsv)) {
                throw new IllegalArgumentException("data.val_manifest: " + valCsv + " not found (expected: a CSV "
                        + "image_path,label[,split], relative to data.root)");
            }
            val = Manifest.readImages(valCsv, ImagePaths.of(valCsv.toAbsolutePath().getParent(), cfg), names, "val",
                    "val", skip);
        } else {
            val = Manifest.readImages(trainCsv, paths, names, "train", "val", skip);
        }
        for (Manifest m : List.of(train, val)) {
            if (!m.skipped().isEmpty()) {
                LOG.warn("skipped {} bad rows of {} (data.on_bad_image: skip): {}", m.skipped().size(), m.csv(),
                        String.join("; ", m.skipped().subList(0, Math.min(5, m.skipped().size()))));
            }
        }
        if (names == null) names = ClassNames.read(null, Math.max(train.numClasses(), val.numClasses()));
        LOG.info("{}: {} train rows, {} validation rows, {} classes", trainCsv, train.samples().size(),
                val.samples().size(), names.size());
        return new CompetitionData(cfg, root, train, names, val.samples().isEmpty() ? null : val);
    }

    /**
     * The fixed validation rows of manifest mode ({@code data.val_manifest}, or the train
     * manifest's rows with split {@code val}); empty in the competition layout (folds are used).
     */
    public Optional<Manifest> validation() {
        return Optional.ofNullable(validation);
    }

    /** Whether the data comes from image manifests ({@code data.train_manifest}) rather than the competition layout. */
    public boolean manifestMode() {
        return cfg.manifests().train() != null;
    }

    /**
     * The images to predict in manifest mode: {@code data.test_manifest} ({@code image_path[,label]};
     * with a label column every row needs a label, named through the class file like the train
     * manifest's), or empty when it is not set. Bad rows follow {@code data.on_bad_image}.
     *
     * @throws DataException listing bad rows (unless {@code on_bad_image: skip})
     */
    public Optional<Manifest> testManifest() throws IOException {
        if (cfg.manifests().test() == null) {
            return Optional.empty();
        }
        Path csv = root.resolve(cfg.manifests().test());
        if (!Files.isRegularFile(csv)) {
            throw new IllegalArgumentException("data.test_manifest: " + csv + " not found (expected: a CSV "
                    + "image_path[,label], relative to data.root)");
        }
        boolean labelled;
        try (var in = Files.newBufferedReader(csv)) {
            String header = in.readLine();
            labelled = header != null && Manifest.column(List.of(header.split(",", -1)), "label") >= 0;
        }
        List<String> names = cfg.manifests().classFile() == null ? null : classNames;
        Manifest m = Manifest.readImages(csv, ImagePaths.of(csv.toAbsolutePath().getParent(), cfg), names, "test", "test",
                cfg.loader().onBadImage().skips(), labelled);
        if (!m.skipped().isEmpty()) {
            LOG.warn("skipped {} bad rows of {} (data.on_bad_image: skip): {}", m.skipped().size(), csv,
                    String.join("; ", m.skipped().subList(0, Math.min(5, m.skipped().size()))));
        }
        return Optional.of(m);
    }

    /** The data folder. */
    public Path root() {
        return root;
    }

    /** The labelled training rows. */
    public Manifest train() {
        return train;
    }

    /** Class names by id (from meta.csv, else class_N). */
    public List<String> classNames() {
        return classNames;
    }

    /** The test rows in sample_submission order (labels -1); the competition layout only. */
    public Manifest test() throws IOException {
        if (manifestMode()) {
            throw new IllegalStateException("manifest mode (data.train_manifest) has no sample_submission: use testManifest()");
        }
        Path csv = root.resolve(cfg.layout().sampleSubmission());
        if (!Files.exists(csv)) {
            throw new IllegalArgumentException("data.sample_submission: " + csv + " not found (expected: ID,target "
                    + "CSV listing the test images)");
        }
        return Manifest.read(csv, root.resolve(cfg.layout().testDir()), false, cfg.loader().onBadImage().skips());
    }

    /** Test labels by ID when {@code test_labels.csv} exists (demo data), for scoring. */
    public Optional<Map<String, Integer>> testLabels() throws IOException {
        Path csv = root.resolve(cfg.layout().testLabels());
        if (!Files.exists(csv)) {
            return Optional.empty();
        }
        Manifest m = Manifest.read(csv, root.resolve(cfg.layout().testDir()), true, true);
        Map<String, Integer> out = new HashMap<>();
        for (Sample s : m.samples()) {
            out.put(s.id(), s.label());
        }
        return Optional.of(out);
    }

    /**
     * Drops samples whose images failed to load: with {@code on_bad_image: error} throws a
     * {@link DataException} listing every failure, else logs them and returns the rest.
     */
    public static List<Sample> applyBadImagePolicy(List<Sample> samples, List<String> failures, String policy,
                                                   String what) {
        if (failures.isEmpty()) {
            return samples;
        }
        if (!"skip".equals(policy)) {
            throw new DataException(what + ": " + failures.size() + " images could not be loaded "
                    + "(set data.on_bad_image: skip to leave them out)", failures);
        }
        LOG.warn("{}: skipping {} images that could not be loaded", what, failures.size());
        java.util.Set<String> bad = new java.util.HashSet<>();
        for (String f : failures) {
            for (Sample s : samples) {
                if (f.startsWith(s.where())) {
                    bad.add(s.id());
                }
            }
        }
        return samples.stream().filter(s -> !bad.contains(s.id())).toList();
    }
}
