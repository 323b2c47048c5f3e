package dev.jvision.cli;

import dev.jvision.data.demo.DemoData;
import dev.jvision.data.demo.ScaleData;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision demo-data}: render the synthetic document dataset or a large synthetic manifest data set. */
@Command(name = "demo-data", mixinStandardHelpOptions = true,
        description = {"Render a synthetic data set.",
                "--kind docs (default): 17-class documents in the competition layout (train.csv, train/, test/, ...).",
                "--kind scale: N JPEGs of --size px in K classes with a train.csv manifest (image_path,label as "
                        + "class names) and classes.txt, for loader and validation benchmarks."})
final class DemoDataCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--kind", defaultValue = "docs", paramLabel = "docs|scale",
            description = "which data set (default: ${DEFAULT-VALUE})")
    String kind;

    @Option(names = "--train", defaultValue = "850", description = "docs: training images (default: ${DEFAULT-VALUE})")
    int train;

    @Option(names = "--test", defaultValue = "340", description = "docs: test images (default: ${DEFAULT-VALUE})")
    int test;

    @Option(names = "--images", defaultValue = "10000", description = "scale: training images (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--val", defaultValue = "0", description = "scale: validation images in val.csv (default: ${DEFAULT-VALUE})")
    int val;

    @Option(names = "--classes", defaultValue = "100", description = "scale: classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--size", defaultValue = "384", description = "scale: image side in pixels (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--threads", defaultValue = "0", description = "scale: writer threads, 0 = one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        switch (kind) {
            case "docs" -> {
                DemoData.Summary s = DemoData.generate(out, train, test, seed);
                System.out.printf("wrote %d train + %d test images (%d classes) to %s in %.1f s%n", s.numTrain(),
                        s.numTest(), s.numClasses(), s.root(), (System.nanoTime() - t0) / 1e9);
            }
            case "scale" -> {
                int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
                ScaleData.Summary s = ScaleData.generate(out, images, val, classes, size, seed, n);
                System.out.printf("wrote %d images (%d classes, %d px) to %s in %.1f s (%.0f images/s, %d threads): "
                                + "%s%s, %s%n", s.images(), s.numClasses(), size, s.root(), s.seconds(),
                        s.imagesPerSecond(), n, s.trainCsv().getFileName(),
                        s.valCsv() == null ? "" : ", " + s.valCsv().getFileName(), s.classFile().getFileName());
            }
            default -> throw new IllegalArgumentException("--kind: " + kind + " (expected: docs or scale)");
        }
        return 0;
    }
}
