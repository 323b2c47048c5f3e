package dev.jvision.cli;

import dev.jvision.config.DataConfig;
import dev.jvision.config.Experiment;
import dev.jvision.data.ClassNames;
import dev.jvision.data.DataValidator;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jvision validate-data}: counts, class distribution, image sizes and bad files. */
@Command(name = "validate-data", mixinStandardHelpOptions = true,
        description = "Check a dataset: counts, class distribution, image size histogram, bad files.")
final class ValidateDataCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--data", paramLabel = "DIR", description = "data folder (default: data.root of the config)")
    Path data;

    @Option(names = "--remove-corrupt", description = "move bad files to <data>/_corrupt and rewrite the CSVs (a .bak copy is kept)")
    boolean removeCorrupt;

    @Override
    public Integer call() throws Exception {
        DataConfig d = data == null && java.nio.file.Files.exists(options.config) ? options.load().data()
                : DataConfig.defaults();
        Path root = data != null ? data : Path.of(d.root());
        DataValidator.Report r = DataValidator.validate(root, d.trainCsv(), d.trainDir(), d.testDir(), d.sampleSubmission());
        int n = r.classCounts().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<String> names = ClassNames.read(root.resolve(d.metaCsv()), Math.max(n, 1));
        System.out.println(r.format(names));
        if (removeCorrupt && !r.ok()) {
            List<String> moved = DataValidator.removeCorrupt(root, r, d.trainCsv(), d.trainDir(), d.testDir(), d.sampleSubmission());
            System.out.println("removed " + moved.size() + " bad rows/files:");
            moved.forEach(m -> System.out.println("  " + m));
            return 0;
        }
        return r.ok() ? 0 : Main.BAD_INPUT;
    }
}
