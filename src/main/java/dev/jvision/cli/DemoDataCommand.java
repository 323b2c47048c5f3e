package dev.jvision.cli;

import dev.jvision.data.demo.DemoData;
import dev.jvision.data.demo.DetectionDemoData;
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
                        + "class names) and classes.txt, for loader and validation benchmarks.",
                "--kind detection: --images training photos of objects on a tray in --classes classes, --size px, "
                        + "plus val and test (--val/--test, default images/10 each): COCO JSON under annotations/, "
                        + "YOLO labels under labels/, classes.txt."})
final class DemoDataCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--kind", defaultValue = "docs", paramLabel = "docs|scale|detection",
            description = "which data set (default: ${DEFAULT-VALUE})")
    String kind;

    @Option(names = "--train", defaultValue = "850", description = "docs: training images (default: ${DEFAULT-VALUE})")
    int train;

    @Option(names = "--test", defaultValue = "340", description = "docs, detection: test images (default: ${DEFAULT-VALUE})")
    int test;

    @Option(names = "--images", defaultValue = "10000", description = "scale, detection: training images (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--val", defaultValue = "0", description = "scale: validation images in val.csv; detection: validation images (default: ${DEFAULT-VALUE})")
    int val;

    @Option(names = "--classes", defaultValue = "100", description = "scale, detection: classes (default: ${DEFAULT-VALUE})")
    int classes;

    @Option(names = "--size", defaultValue = "384", description = "scale, detection: image side in pixels (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--threads", defaultValue = "0", description = "scale: writer threads, 0 = one per core (default: ${DEFAULT-VALUE})")
    int threads;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

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
            case "detection" -> {
                var parsed = spec.commandLine().getParseResult();
                int nVal = parsed.hasMatchedOption("--val") ? val : Math.max(1, images / 10);
                int nTest = parsed.hasMatchedOption("--test") ? test : Math.max(1, images / 10);
                int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
                DetectionDemoData.Summary s = DetectionDemoData.generate(out, images, nVal, nTest, classes, size, seed, n);
                System.out.printf("wrote %d train + %d val + %d test images (%d + %d + %d objects, %d classes, %d px) to "
                                + "%s in %.1f s (%d threads)%n", s.images()[0], s.images()[1], s.images()[2],
                        s.objects()[0], s.objects()[1], s.objects()[2], s.numClasses(), size, s.root(), s.seconds(), n);
            }
            default -> throw new IllegalArgumentException("--kind: " + kind + " (expected: docs, scale or detection)");
        }
        return 0;
    }
}
