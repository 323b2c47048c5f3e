package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Child-JVM study workers ({@link TuneWorkerMain}) and the checks the multi-process tests share. */
final class StudyWorkers {
    private StudyWorkers() {}

    static Process start(String storage, String study, int nTrials, long sleepMs, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), TuneWorkerMain.class.getName(), storage, study,
                String.valueOf(nTrials), String.valueOf(sleepMs));
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    static void await(Process p, Path log) throws Exception {
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "worker did not finish; log:\n" + read(log));
        assertEquals(0, p.exitValue(), "worker failed; log:\n" + read(log));
    }

    static String read(Path log) throws IOException {
        return java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "";
    }

    /** Two workers ran {@code n} trials together: numbers 0..n-1 once each, all complete, both workers used. */
    static void assertTwoWorkersShared(List<FrozenTrial> trials, int n) {
        assertEquals(n, trials.size(), "trials: " + trials);
        Set<Integer> numbers = new HashSet<>();
        Set<String> workers = new HashSet<>();
        for (FrozenTrial t : trials) {
            assertEquals(TrialState.COMPLETE, t.state(), "trial " + t.number());
            assertTrue(numbers.add(t.number()), "trial number " + t.number() + " twice");
            workers.add(t.worker());
            double x = (Double) t.param("x");
            int k = (Integer) t.param("k");
            assertEquals(x * x + k, t.value(), 1e-12);
        }
        assertEquals(n, numbers.size());
        assertEquals(2, workers.size(), "both workers should have run trials: " + workers);
    }

    /**
     * After a worker was killed mid-trial and another re-ran the study with re-queueing: the
     * killed trial is FAIL, its parameters ran again to completion, and {@code n} trials completed.
     */
    static void assertKilledTrialRequeued(List<FrozenTrial> trials, int killedNumber, int n) {
        FrozenTrial killed = trials.stream().filter(t -> t.number() == killedNumber).findFirst().orElseThrow();
        assertEquals(TrialState.FAIL, killed.state(), "killed trial");
        long complete = trials.stream().filter(t -> t.state() == TrialState.COMPLETE).count();
        assertEquals(n, complete, "complete trials: " + trials);
        assertEquals(n + 1, trials.size(), "n complete + the failed one");
        Map<String, Object> params = killed.externalParams();
        assertTrue(!params.isEmpty(), "the killed trial had suggested its parameters");
        assertTrue(trials.stream().anyMatch(t -> t.state() == TrialState.COMPLETE && t.number() > killedNumber
                && t.externalParams().equals(params)), "re-queued copy of " + params + " completed");
        Set<Integer> numbers = new HashSet<>();
        trials.forEach(t -> assertTrue(numbers.add(t.number())));
    }
}
