package dev.jvision.cli;

import dev.jvision.data.demo.DemoData;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvision demo-data}: render the synthetic document dataset. */
@Command(name = "demo-data", mixinStandardHelpOptions = true,
        description = "Render a synthetic 17-class document dataset in the competition layout.")
final class DemoDataCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--train", defaultValue = "850", description = "training images (default: ${DEFAULT-VALUE})")
    int train;

    @Option(names = "--test", defaultValue = "340", description = "test images (default: ${DEFAULT-VALUE})")
    int test;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        DemoData.Summary s = DemoData.generate(out, train, test, seed);
        System.out.printf("wrote %d train + %d test images (%d classes) to %s in %.1f s%n", s.numTrain(), s.numTest(),
                s.numClasses(), s.root(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
