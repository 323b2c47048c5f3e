package dev.jvision.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The {@code data:} section: where the data set lives and how images are read, as one small record
 * per concern.
 *
 * <p>In YAML the section is flat ({@code data.root}, {@code data.cache_dir}, {@code data.workers},
 * ...): the components marked {@link Flatten} are sections for Java only (see {@link TrainConfig}
 * for the wither style), e.g.
 * {@code DataConfig.defaults().withRoot(Path.of("data/raw")).withLoader(l -> l.withWorkers(4))}.
 *
 * <p>Immutable and thread-safe; values are validated in the constructors.
 *
 * @param root data set root directory (default {@code data/demo})
 * @param layout the competition layout's files, relative to root
 * @param imgSizes {@code img_size}: the square input size in pixels, in [16, 2048], or a progressive-resize
 *     schedule {@code [[epoch, size], ...]} (see {@link SizeSchedule}) (default 224)
 * @param batchFollowsSize with an {@code img_size} schedule, stages whose entry names no batch size train
 *     with {@code train.batch_size x (final size / stage size)^2} images per batch (the same pixels, so
 *     about the same memory, per step); false: {@code train.batch_size} at every stage (default true)
 * @param manifests the manifest layout (instead of the competition layout)
 * @param cache where decoded images are kept
 * @param loader the batch loader
 * @param demo the synthetic demo data set
 */
public record DataConfig(
        Path root,
        @Flatten Layout layout,
        @ConfigKey("img_size") SizeSchedule imgSizes,
        boolean batchFollowsSize,
        @Flatten Manifests manifests,
        @Flatten Cache cache,
        @Flatten Loader loader,
        @Flatten Demo demo) {

    public DataConfig {
        if (root == null) throw Checks.fail("root", null, "a string");
        if (layout == null) layout = Layout.defaults();
        if (imgSizes == null) throw Checks.fail("img_size", null, "a size in [16, 2048] or a list of [epoch, size] pairs");
        imgSizes.check("img_size");
        if (manifests == null) manifests = Manifests.defaults();
        if (cache == null) cache = Cache.defaults();
        if (loader == null) loader = Loader.defaults();
        if (demo == null) demo = Demo.defaults();
    }

    /**
     * The final input size: the plain {@code img_size}, or the last (largest) size of its
     * schedule. Validation, checkpoints, the image cache and inference use it; training uses
     * {@code imgSizes().at(epoch)}.
     */
    public int imgSize() {
        return imgSizes.finalSize();
    }

    /** @return the section with every field at its default */
    public static DataConfig defaults() {
        return new DataConfig(Path.of("data/demo"), null, SizeSchedule.fixed(224), true, null, null, null, null);
    }

    // withers: a copy with one component replaced, validated like the constructor
    public DataConfig withRoot(Path v) {
        return new DataConfig(v, layout, imgSizes, batchFollowsSize, manifests, cache, loader, demo);
    }
    public DataConfig withLayout(UnaryOperator<Layout> f) {
        return new DataConfig(root, f.apply(layout), imgSizes, batchFollowsSize, manifests, cache, loader, demo);
    }
    public DataConfig withImgSizes(SizeSchedule v) {
        return new DataConfig(root, layout, v, batchFollowsSize, manifests, cache, loader, demo);
    }
    public DataConfig withBatchFollowsSize(boolean v) {
        return new DataConfig(root, layout, imgSizes, v, manifests, cache, loader, demo);
    }
    public DataConfig withManifests(UnaryOperator<Manifests> f) {
        return new DataConfig(root, layout, imgSizes, batchFollowsSize, f.apply(manifests), cache, loader, demo);
    }
    public DataConfig withCache(UnaryOperator<Cache> f) {
        return new DataConfig(root, layout, imgSizes, batchFollowsSize, manifests, f.apply(cache), loader, demo);
    }
    public DataConfig withLoader(UnaryOperator<Loader> f) {
        return new DataConfig(root, layout, imgSizes, batchFollowsSize, manifests, cache, f.apply(loader), demo);
    }
    public DataConfig withDemo(UnaryOperator<Demo> f) {
        return new DataConfig(root, layout, imgSizes, batchFollowsSize, manifests, cache, loader, f.apply(demo));
    }

    /** A copy with a fixed input size of {@code size} pixels. */
    public DataConfig withImgSize(int size) {
        return withImgSizes(SizeSchedule.fixed(size));
    }

    /**
     * The competition layout: a labels CSV and image folders under {@code root}.
     *
     * @param trainCsv training labels CSV, relative to root (default {@code train.csv})
     * @param trainDir training image directory, relative to root (default {@code train})
     * @param testDir test image directory, relative to root (default {@code test})
     * @param sampleSubmission sample submission CSV (default {@code sample_submission.csv})
     * @param metaCsv class metadata CSV (default {@code meta.csv})
     * @param testLabels test labels CSV, if any (default {@code test_labels.csv})
     */
    public record Layout(String trainCsv, String trainDir, String testDir, String sampleSubmission, String metaCsv,
                         String testLabels) {
        public Layout {
            Checks.nonNull("train_csv", trainCsv);
            Checks.nonNull("train_dir", trainDir);
            Checks.nonNull("test_dir", testDir);
            Checks.nonNull("sample_submission", sampleSubmission);
            Checks.nonNull("meta_csv", metaCsv);
            Checks.nonNull("test_labels", testLabels);
        }

        /** @return the defaults */
        public static Layout defaults() {
            return new Layout("train.csv", "train", "test", "sample_submission.csv", "meta.csv", "test_labels.csv");
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Layout withTrainCsv(String v) {
            return new Layout(v, trainDir, testDir, sampleSubmission, metaCsv, testLabels);
        }
        public Layout withTrainDir(String v) {
            return new Layout(trainCsv, v, testDir, sampleSubmission, metaCsv, testLabels);
        }
        public Layout withTestDir(String v) {
            return new Layout(trainCsv, trainDir, v, sampleSubmission, metaCsv, testLabels);
        }
        public Layout withSampleSubmission(String v) {
            return new Layout(trainCsv, trainDir, testDir, v, metaCsv, testLabels);
        }
        public Layout withMetaCsv(String v) {
            return new Layout(trainCsv, trainDir, testDir, sampleSubmission, v, testLabels);
        }
        public Layout withTestLabels(String v) {
            return new Layout(trainCsv, trainDir, testDir, sampleSubmission, metaCsv, v);
        }
    }

    /**
     * The manifest layout: CSV lists of images and labels.
     *
     * @param train {@code train_manifest}: {@code image_path,label[,split]} training manifest, relative to root,
     *     nullable (default null = the competition layout's train_csv); rows with split {@code val} are
     *     validation rows
     * @param val {@code val_manifest}: validation manifest of the same format, relative to root, nullable
     * @param test {@code test_manifest}: {@code image_path[,label]} manifest of the images to predict, relative
     *     to root, nullable (default null: the pipeline ends after training and calibration); with labels, test
     *     accuracy / macro-F1 / top-5 are reported
     * @param classFile class names, relative to root, nullable: one name per line (line i = class i) or CSV
     *     {@code index,name}; manifest labels are then names (or ids)
     * @param allowAbsolutePaths accept absolute manifest image paths anywhere (default false)
     * @param roots folders absolute manifest image paths may lie under (default none)
     */
    public record Manifests(@ConfigKey("train_manifest") String train, @ConfigKey("val_manifest") String val,
                            @ConfigKey("test_manifest") String test, String classFile, boolean allowAbsolutePaths,
                            List<String> roots) {
        public Manifests {
            if (roots == null) roots = List.of();
            for (String r : roots) {
                if (r == null || r.isBlank() || !Path.of(r).isAbsolute()) throw Checks.fail("roots", r, "absolute folders");
            }
            roots = List.copyOf(roots);
            if (val != null && train == null) throw Checks.fail("val_manifest", val, "set together with train_manifest");
            if (test != null && train == null) {
                throw Checks.fail("test_manifest", test, "set together with train_manifest (the competition "
                        + "layout predicts sample_submission.csv)");
            }
        }

        /** @return the defaults (no manifests: the competition layout) */
        public static Manifests defaults() {
            return new Manifests(null, null, null, null, false, List.of());
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Manifests withTrain(String v) {
            return new Manifests(v, val, test, classFile, allowAbsolutePaths, roots);
        }
        public Manifests withVal(String v) {
            return new Manifests(train, v, test, classFile, allowAbsolutePaths, roots);
        }
        public Manifests withTest(String v) {
            return new Manifests(train, val, v, classFile, allowAbsolutePaths, roots);
        }
        public Manifests withClassFile(String v) {
            return new Manifests(train, val, test, v, allowAbsolutePaths, roots);
        }
        public Manifests withAllowAbsolutePaths(boolean v) {
            return new Manifests(train, val, test, classFile, v, roots);
        }
        public Manifests withRoots(List<String> v) {
            return new Manifests(train, val, test, classFile, allowAbsolutePaths, v);
        }
    }

    /**
     * Where decoded training images are kept.
     *
     * @param dir {@code cache_dir}: decoded-image cache directory, nullable (default null = no cache)
     * @param memoryMb {@code memory_cache_mb}: without {@code cache_dir}, training images are kept decoded in
     *     memory when they take at most this many MiB, else in a disk cache under {@code <root>/.jvision_cache}
     *     (default 2048)
     */
    public record Cache(@ConfigKey("cache_dir") Path dir, @ConfigKey("memory_cache_mb") int memoryMb) {
        public Cache {
            Checks.atLeast("memory_cache_mb", memoryMb, 0);
        }

        /** @return the defaults */
        public static Cache defaults() {
            return new Cache(null, 2048);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Cache withDir(Path v) { return new Cache(v, memoryMb); }
        public Cache withMemoryMb(int v) { return new Cache(dir, v); }
    }

    /**
     * The batch loader.
     *
     * @param workers decode/resize threads, &gt;= 0; 0 = from the core count, {@code max(1, min(8, cores - 1))}
     *     (default 0)
     * @param prefetch batches prefetched, &gt;= 1 (default 2)
     * @param reducedDecode decode JPEGs at least twice the input size at 1/2, 1/4 or 1/8 scale before resizing
     *     (faster, slightly different pixels; default false)
     * @param onBadImage {@code error} or {@code skip} (default {@code error})
     */
    public record Loader(int workers, int prefetch, boolean reducedDecode, OnBadImage onBadImage) {
        public Loader {
            Checks.atLeast("workers", workers, 0);
            Checks.atLeast("prefetch", prefetch, 1);
            Checks.choice("on_bad_image", onBadImage, OnBadImage.class);
        }

        /** @return the defaults */
        public static Loader defaults() {
            return new Loader(0, 2, false, OnBadImage.ERROR);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Loader withWorkers(int v) { return new Loader(v, prefetch, reducedDecode, onBadImage); }
        public Loader withPrefetch(int v) { return new Loader(workers, v, reducedDecode, onBadImage); }
        public Loader withReducedDecode(boolean v) { return new Loader(workers, prefetch, v, onBadImage); }
        public Loader withOnBadImage(OnBadImage v) { return new Loader(workers, prefetch, reducedDecode, v); }
    }

    /** {@code data.on_bad_image}: what an unreadable image does. */
    public enum OnBadImage {
        /** Fail with the file's name. */
        ERROR,
        /** Leave the image out with a warning. */
        SKIP;

        /** True for {@code skip}. */
        public boolean skips() {
            return this == SKIP;
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The synthetic demo data set.
     *
     * @param generate {@code generate_demo}: generate it under root if missing (default false)
     * @param train {@code demo_train}: training images, &gt;= 17 (default 850)
     * @param test {@code demo_test}: test images, &gt;= 1 (default 340)
     */
    public record Demo(@ConfigKey("generate_demo") boolean generate, @ConfigKey("demo_train") int train,
                       @ConfigKey("demo_test") int test) {
        public Demo {
            Checks.atLeast("demo_train", train, 17);
            Checks.atLeast("demo_test", test, 1);
        }

        /** @return the defaults */
        public static Demo defaults() {
            return new Demo(false, 850, 340);
        }

        // withers: a copy with one component replaced, validated like the constructor
        public Demo withGenerate(boolean v) { return new Demo(v, train, test); }
        public Demo withTrain(int v) { return new Demo(generate, v, test); }
        public Demo withTest(int v) { return new Demo(generate, train, v); }
    }
}
