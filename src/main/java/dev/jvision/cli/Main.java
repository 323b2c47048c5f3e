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
                MemprofCommand.class, ReportCommand.class, ServeCommand.class,
                DetectEvalCommand.class, WeightsCommand.class, ImportIdxCommand.class, ExportCommand.class, CropDataCommand.class,
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
                cmd.getErr().println("error: " + message(ex, args));
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

    /** As {@link #message(Throwable)}; a config error in an override the user typed names {@code --set}. */
    static String message(Throwable ex, String... args) {
        if (unwrap(ex) instanceof dev.jvision.config.ConfigException ce) {
            return ce.messageNaming("--set", setValues(args));
        }
        return message(ex);
    }

    /** The values of {@code --set} options in {@code args} ({@code --set k=v} and {@code --set=k=v}). */
    static java.util.List<String> setValues(String... args) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--set") && i + 1 < args.length) {
                out.add(args[++i]);
            } else if (args[i].startsWith("--set=")) {
                out.add(args[i].substring("--set=".length()));
            }
        }
        return out;
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
