package dev.jvision.cli;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.pipeline.TrainStage;
import dev.jvision.runtime.dist.Distributed;
import dev.jvision.runtime.dist.Launcher;
import dev.jvision.train.FoldResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvision train}: K-fold (or hold-out) training into a new run folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the configured model on every fold (or one hold-out model when image manifests have validation "
                + "rows); checkpoints and metrics go to a new run folder.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--resume", paramLabel = "RUN_DIR",
            description = "continue an interrupted run in RUN_DIR (its config.yaml is used; --set still applies)")
    Path resume;

    @Option(names = "--nproc-per-node", paramLabel = "N", defaultValue = "1",
            description = "data-parallel: start N worker JVMs on this machine (torchrun's contract; default 1)")
    int nprocPerNode;

    @Option(names = "--nnodes", paramLabel = "N", defaultValue = "1",
            description = "data-parallel: number of machines (each runs this command with its --node-rank)")
    int nnodes;

    @Option(names = "--node-rank", paramLabel = "K", defaultValue = "0", description = "this machine's index 0..N-1")
    int nodeRank;

    @Option(names = "--master", paramLabel = "HOST:PORT",
            description = "rank 0's rendezvous address (default: 127.0.0.1 and a free port, one machine only)")
    String master;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if ((nprocPerNode > 1 || nnodes > 1) && System.getenv("WORLD_SIZE") == null) {
            Launcher launcher = new Launcher(nprocPerNode, nnodes, nodeRank, master,
                    Distributed.TIMEOUT.plusSeconds(30));
            return launcher.run(Main.class, workerArgs(spec.commandLine().getParseResult().originalArgs()));
        }
        Experiment exp;
        if (resume != null) {
            Path cfg = resume.resolve("config.yaml");
            if (!Files.isRegularFile(cfg)) {
                throw new IllegalArgumentException("--resume " + resume + ": no config.yaml there (expected: a run "
                        + "folder made by `jvision train`)");
            }
            exp = Configs.load(cfg, options.overrides);
        } else {
            exp = options.load();
        }
        if (exp.isDetection()) {
            var d = dev.jvision.detect.DetectionTraining.train(exp, resume);
            System.out.printf("detection: best epoch %d, val mAP50 %.4f, mAP50-95 %.4f%n", d.fit().best().epoch(),
                    d.fit().best().metric("val_map50"), d.fit().best().metric(dev.jvision.detect.DetectionTask.MONITOR));
            System.out.println("run folder: " + d.runDir());
            return 0;
        }
        TrainStage.Outcome t = TrainStage.train(exp, resume);
        for (FoldResult r : t.cv().folds()) {
            System.out.printf("fold %d: val macro-F1 %.4f (accuracy %.4f, best epoch %d)%n", r.fold(), r.bestF1(),
                    r.bestAcc(), r.bestEpoch());
        }
        printScores(t.cv(), TrainStage.isHoldout(exp));
        System.out.println("run folder: " + t.runDir());
        return 0;
    }

    /** Prints the cross-validation (or hold-out validation) summary line. */
    static void printScores(dev.jvision.train.CrossValidation.Result cv, boolean holdout) {
        if (holdout) {
            System.out.printf("hold-out validation: macro-F1 %.4f, accuracy %.4f%n", cv.oofF1(), cv.oofAcc());
        } else {
            System.out.printf("cross-validation: mean macro-F1 %.4f, out-of-fold macro-F1 %.4f%n", cv.meanF1(), cv.oofF1());
        }
    }

    private static final List<String> LAUNCH_OPTIONS = List.of("--nproc-per-node", "--nnodes", "--node-rank", "--master");

    /** The command line of a worker: {@code train} and the given arguments without the launch options. */
    static List<String> workerArgs(List<String> original) {
        List<String> out = new ArrayList<>();
        out.add("train");
        int start = original.indexOf("train") + 1; // picocli may hand the whole command line
        for (int i = start; i < original.size(); i++) {
            String a = original.get(i);
            if (LAUNCH_OPTIONS.contains(a)) {
                i++;
            } else if (LAUNCH_OPTIONS.stream().noneMatch(o -> a.startsWith(o + "="))) {
                out.add(a);
            }
        }
        return out;
    }
}
