package dev.jvision.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jvision} command. Exit codes: 0 success, 2 bad input (config, data, arguments:
 * a one-line message, no stack trace), 1 anything else.
 */
@Command(name = "jvision", mixinStandardHelpOptions = true, version = "jvision 0.1.0",
        description = "Train and serve image models from Java over libtorch.",
        subcommands = {PipelineCommand.class, TrainCommand.class, InferCommand.class, DemoDataCommand.class,
                ValidateDataCommand.class, ValidateSubmissionCommand.class, ModelsCommand.class, AugmentPreviewCommand.class, SelfCheckCommand.class, TuneCommand.class,
                MemprofCommand.class, ReportCommand.class,
                WeightsCommand.class,
                DetectEvalCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit code for bad input. */
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (isBadInput(ex)) {
                cmd.getErr().println("error: " + message(ex));
                return BAD_INPUT;
            }
            if (unwrap(ex) instanceof dev.jvision.runtime.dist.DistributedException) {
                cmd.getErr().println("error: " + message(ex)); // a lost rank: one line, resume from the checkpoint
                return 1;
            }
            cmd.getErr().println("error: " + message(ex));
            ex.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }

    static boolean isBadInput(Throwable ex) {
        Throwable t = unwrap(ex);
        return t instanceof IllegalArgumentException || t instanceof FileSystemException
                || t instanceof UnsupportedOperationException;
    }

    static Throwable unwrap(Throwable ex) {
        Throwable t = ex;
        while ((t instanceof UncheckedIOException || t instanceof CommandLine.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static String message(Throwable ex) {
        Throwable t = unwrap(ex);
        if (t instanceof java.nio.file.NoSuchFileException n) {
            return n.getFile() + ": file not found" + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
        }
        if (t instanceof IOException && t.getMessage() == null) {
            return t.getClass().getSimpleName();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
