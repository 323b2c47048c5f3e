package dev.jvision.cli;

import dev.jvision.track.report.RunReport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jvision report RUN_DIR}: the run's report.html and PNG charts;
 * {@code jvision report --compare RUN_A RUN_B ...}: runs side by side in compare.html.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Write RUN_DIR/report.html and RUN_DIR/plots/*.png: learning curves per fold, out-of-fold "
                + "confusion matrix, per-class F1, reliability diagram before/after temperature scaling, TTA/calibration "
                + "table, images/s and memory per epoch. Self-contained HTML (charts embedded, no network).",
                "With --compare: several runs side by side (config differences highlighted, curves overlaid)."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "run folder(s) made by `jvision pipeline` or `jvision train`")
    List<Path> runs;

    @Option(names = "--compare", description = "compare the given runs (2 or more) instead of reporting one")
    boolean compare;

    @Option(names = "--out", paramLabel = "DIR",
            description = "with --compare: output folder (default: runs/compare-<date-time>)")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (compare) {
            Path dir = out != null ? out : RunReport.defaultCompareDir();
            System.out.println("wrote " + RunReport.compare(runs, dir));
            return 0;
        }
        if (runs.size() != 1) {
            throw new IllegalArgumentException("report: " + runs.size() + " run folders (expected: one, or --compare "
                    + "with two or more)");
        }
        if (out != null) {
            throw new IllegalArgumentException("--out: only with --compare (a run's report goes into its run folder)");
        }
        System.out.println("wrote " + RunReport.write(runs.get(0)));
        return 0;
    }
}
