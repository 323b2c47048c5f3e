package dev.jvision.config;

/**
 * The {@code data:} section: where the data set lives and how images are read.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param root data set root directory (default {@code data/demo})
 * @param trainCsv training labels CSV, relative to root (default {@code train.csv})
 * @param trainDir training image directory, relative to root (default {@code train})
 * @param testDir test image directory, relative to root (default {@code test})
 * @param sampleSubmission sample submission CSV (default {@code sample_submission.csv})
 * @param metaCsv class metadata CSV (default {@code meta.csv})
 * @param testLabels test labels CSV, if any (default {@code test_labels.csv})
 * @param imgSizes {@code img_size}: the square input size in pixels, in [16, 2048], or a progressive-resize
 *     schedule {@code [[epoch, size], ...]} (see {@link SizeSchedule}) (default 224)
 * @param cacheDir decoded-image cache directory, nullable (default null = no cache)
 * @param onBadImage {@code error} or {@code skip} (default {@code error})
 * @param generateDemo generate the synthetic demo data set if missing (default false)
 * @param demoTrain demo training images, &gt;= 17 (default 850)
 * @param demoTest demo test images, &gt;= 1 (default 340)
 * @param prefetch batches prefetched by the loader, &gt;= 1 (default 2)
 * @param trainManifest {@code image_path,label[,split]} training manifest, relative to root,
 *        nullable (default null = the competition layout's train_csv); rows with split
 *        {@code val} are validation rows
 * @param valManifest validation manifest of the same format, relative to root, nullable
 * @param classFile class names, relative to root, nullable: one name per line (line i = class
 *        i) or CSV {@code index,name}; manifest labels are then names (or ids)
 * @param allowAbsolutePaths accept absolute manifest image paths anywhere (default false)
 * @param roots folders absolute manifest image paths may lie under (default none)
 * @param workers decode/resize threads of the batch loader, &gt;= 0; 0 = from the core count,
 *     {@code max(1, min(8, cores - 1))} (default 0)
 * @param memoryCacheMb without {@code cache_dir}, training images are kept decoded in memory when
 *     they take at most this many MiB, else in a disk cache under {@code <root>/.jvision_cache}
 *     (default 2048)
 * @param reducedDecode decode JPEGs at least twice the input size at 1/2, 1/4 or 1/8 scale before
 *     resizing (faster, slightly different pixels; default false)
 * @param testManifest {@code image_path[,label]} manifest of the images to predict in manifest
 *        mode, relative to root, nullable (default null: the pipeline ends after training and
 *        calibration); with labels, test accuracy / macro-F1 / top-5 are reported
 * @param batchFollowsSize with an {@code img_size} schedule, stages whose entry names no batch
 *        size train with {@code train.batch_size x (final size / stage size)^2} images per batch
 *        (the same pixels, so about the same memory, per step); false: {@code train.batch_size}
 *        at every stage (default true)
 */
public record DataConfig(
        String root,
        String trainCsv,
        String trainDir,
        String testDir,
        String sampleSubmission,
        String metaCsv,
        String testLabels,
        @ConfigKey("img_size") SizeSchedule imgSizes,
        String cacheDir,
        String onBadImage,
        boolean generateDemo,
        int demoTrain,
        int demoTest,
        int prefetch,
        String trainManifest,
        String valManifest,
        String classFile,
        boolean allowAbsolutePaths,
        java.util.List<String> roots,
        int workers,
        int memoryCacheMb,
        boolean reducedDecode,
        String testManifest,
        boolean batchFollowsSize) {

    public DataConfig {
        Checks.nonNull("root", root);
        Checks.nonNull("train_csv", trainCsv);
        Checks.nonNull("train_dir", trainDir);
        Checks.nonNull("test_dir", testDir);
        Checks.nonNull("sample_submission", sampleSubmission);
        Checks.nonNull("meta_csv", metaCsv);
        Checks.nonNull("test_labels", testLabels);
        if (imgSizes == null) throw Checks.fail("img_size", null, "a size in [16, 2048] or a list of [epoch, size] pairs");
        imgSizes.check("img_size");
        Checks.oneOf("on_bad_image", onBadImage, "error", "skip");
        Checks.atLeast("demo_train", demoTrain, 17);
        Checks.atLeast("demo_test", demoTest, 1);
        Checks.atLeast("prefetch", prefetch, 1);
        if (roots == null) roots = java.util.List.of();
        for (String r : roots) {
            if (r == null || r.isBlank() || !java.nio.file.Path.of(r).isAbsolute()) {
                throw Checks.fail("roots", r, "absolute folders");
            }
        }
        roots = java.util.List.copyOf(roots);
        if (valManifest != null && trainManifest == null) {
            throw Checks.fail("val_manifest", valManifest, "set together with train_manifest");
        }
        Checks.atLeast("workers", workers, 0);
        Checks.atLeast("memory_cache_mb", memoryCacheMb, 0);
        if (testManifest != null && trainManifest == null) {
            throw Checks.fail("test_manifest", testManifest, "set together with train_manifest (the competition "
                    + "layout predicts sample_submission.csv)");
        }
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
        return new DataConfig("data/demo", "train.csv", "train", "test", "sample_submission.csv",
                "meta.csv", "test_labels.csv", SizeSchedule.fixed(224), null, "error", false, 850, 340, 2,
                null, null, null, false, java.util.List.of(), 0, 2048, false, null, true);
    }
}
