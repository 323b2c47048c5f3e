package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM terminated (SIGTERM) in the middle of a step exits only once the step has reached the
 * next safe point: the step finishes, the next one never starts, and the exit code is the
 * signal's (143), not a crash.
 */
class ShutdownGateTest {
    /** The child: steps of 600 ms between safe points, printing "start k" and "end k". */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (ShutdownGate.Entered gate = ShutdownGate.enter()) {
                for (int k = 0; ; k++) {
                    ShutdownGate.safePoint();
                    System.out.println("start " + k);
                    System.out.flush();
                    long until = System.nanoTime() + 600_000_000L;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait(); // "native work": nothing here looks at the gate
                    }
                    System.out.println("end " + k);
                    System.out.flush();
                }
            }
        }
    }

    @Test
    void sigterm_duringAStep_theStepEnds_noneStarts_exitCode143() throws Exception {
        Process p = new ProcessBuilder(ChildJvm.command(List.of("-Xmx64m"), Child.class)).redirectErrorStream(true)
                .start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (line.equals("start 1")) {
                    // SIGTERM in the middle of step 1 (Process.destroy would also close this stream)
                    new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
                }
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(List.of("start 0", "end 0", "start 1", "end 1"), lines, "step 1 completes; step 2 never starts");
        assertEquals(143, p.exitValue());
    }
}
