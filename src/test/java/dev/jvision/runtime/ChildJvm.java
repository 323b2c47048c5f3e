package dev.jvision.runtime;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that starts a child JVM from a test, with this JVM's {@code java} and class
 * path. A child that crashes writes its {@code hs_err_pid*.log} (and any JIT replay file) where
 * this JVM would write its own, which surefire puts under the build folder, so {@code .ci/run}
 * finds and prints it and nothing lands in the work tree; core dumps are off. Stateless and
 * thread-safe.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** {@code java}, the crash-report options, then {@code jvmArgs}, {@code -cp <this class path>}, {@code main} and {@code args}. */
    public static List<String> command(List<String> jvmArgs, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(crashOptions(crashDir()));
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Options that send a crashing JVM's reports to {@code dir} and turn core dumps off. */
    public static List<String> crashOptions(Path dir) {
        return List.of("-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"),
                "-XX:ReplayDataFile=" + dir.resolve("replay_pid%p.log"), "-XX:-CreateCoredumpOnCrash");
    }

    /** The folder of this JVM's {@code -XX:ErrorFile}, else {@code target/} under the working directory. */
    static Path crashDir() {
        try {
            String f = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("ErrorFile")
                    .getValue();
            if (f != null && !f.isEmpty() && Path.of(f).getParent() != null) {
                return Path.of(f).toAbsolutePath().getParent();
            }
        } catch (RuntimeException e) {
            // not HotSpot: fall through
        }
        return Path.of(System.getProperty("user.dir"), "target").toAbsolutePath();
    }
}
