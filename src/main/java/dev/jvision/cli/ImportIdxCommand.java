package dev.jvision.cli;

import dev.jvision.data.IdxImport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision import-idx}: MNIST-style IDX files (e.g. Fashion-MNIST) into the competition layout. */
@Command(name = "import-idx", mixinStandardHelpOptions = true,
        description = {"Convert MNIST-style IDX files (train-/t10k-images-idx3-ubyte[.gz], -labels-idx1-ubyte[.gz]) "
                + "into jvision's layout: train.csv, train/, test/, sample_submission.csv, test_labels.csv, meta.csv.",
                "Fashion-MNIST: apt-get install dataset-fashion-mnist, then",
                "  jvision import-idx --from /usr/share/datasets/fashion-mnist --out data/fashion-mnist --names fashion"})
final class ImportIdxCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, paramLabel = "DIR", description = "folder with the IDX files")
    Path from;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--names", defaultValue = "none", paramLabel = "fashion|none",
            description = "class names for meta.csv: fashion (Fashion-MNIST's) or none (class_<k>) (default: ${DEFAULT-VALUE})")
    String names;

    @Option(names = "--threads", defaultValue = "2", description = "PNG writer threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        var classNames = switch (names) {
            case "fashion" -> IdxImport.FASHION_CLASSES;
            case "none" -> (java.util.List<String>) null;
            default -> throw new IllegalArgumentException("--names: " + names + " (expected: fashion or none)");
        };
        IdxImport.Summary s = IdxImport.convert(from, out, classNames, threads);
        System.out.printf("wrote %d train + %d test images (%dx%d, %d classes) to %s in %.1f s%n", s.train(), s.test(),
                s.width(), s.height(), s.classes(), s.root(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
