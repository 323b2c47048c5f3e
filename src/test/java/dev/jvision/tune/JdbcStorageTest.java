package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcStorageTest {
    @TempDir
    Path dir;

    @Test
    void sqlite_storesTrials_andReopeningContinuesTheStudy() {
        Path db = dir.resolve("sub/study.db");
        try (JdbcStorage s = JdbcStorage.open("sqlite:" + db)) {
            assertEquals(JdbcStorage.SCHEMA_VERSION, s.schemaVersion());
            Study study = Study.builder("a").storage(s).sampler(TpeSampler.builder().seed(1).nStartupTrials(3).build())
                    .pruner(new MedianPruner(1, 0, 1)).build();
            study.optimize(t -> {
                double x = t.suggestFloat("x", 1e-3, 1, true);
                String c = t.suggestCategorical("c", List.of("p", "q"));
                Boolean b = t.suggestCategorical("b", java.util.Arrays.asList(true, false, null));
                t.report(x, 0);
                t.report(x / 2, 1);
                return x + (c.equals("p") ? 0 : 1) + (b == null ? 0.5 : 0);
            }, 6);
            s.setStudyAttr(study.id(), "space", "x: log");
        }
        try (JdbcStorage s = JdbcStorage.open("sqlite:" + db)) {
            assertEquals(List.of("a"), s.studyNames());
            assertEquals(Map.of("space", "x: log"), s.studyAttrs(s.studyId("a")));
            Study study = Study.builder("a").storage(s).sampler(new RandomSampler(2)).build();
            List<FrozenTrial> before = study.trials();
            assertEquals(6, before.size());
            FrozenTrial t0 = before.get(0);
            assertEquals(List.of("x", "c", "b"), List.copyOf(t0.params().keySet()));
            assertEquals(Map.of(0, (Double) t0.param("x"), 1, (Double) t0.param("x") / 2), t0.intermediate());
            assertTrue(t0.startMillis() > 1_600_000_000_000L && t0.endMillis() >= t0.startMillis(), "database clock in ms");
            assertEquals(2, study.optimize(t -> t.suggestFloat("x", 1e-3, 1, true), 8));
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), study.trials().stream().map(FrozenTrial::number).toList());
            assertThrows(IllegalArgumentException.class, () -> Study.builder("a").storage(s).direction(Direction.MAXIMIZE).build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.studyId("nope"));
            assertTrue(e.getMessage().contains("[a]"), e.getMessage());
        }
    }

    @Test
    void sqlite_staleTrial_failsAndRequeues_finishOfAFailedTrialIsRefused() {
        try (JdbcStorage s = JdbcStorage.open("sqlite:" + dir.resolve("s.db"))) {
            long id = s.openStudy("h", Direction.MINIMIZE);
            StudyStorage.Claim c = s.claim(id, 2, "w1").orElseThrow();
            s.setParam(c.trialId(), "x", Distribution.FloatRange.uniform(0, 1), 0.25);
            s.setParam(c.trialId(), "m", Distribution.Categorical.of("a", "b"), 1);
            assertEquals(List.of(), s.failStale(id, Duration.ofHours(1), true));
            assertEquals(List.of(0), s.failStale(id, Duration.ofMillis(-1000), true));
            assertFalse(s.finish(c.trialId(), TrialState.COMPLETE, 1.0));
            StudyStorage.Claim again = s.claim(id, 2, "w2").orElseThrow();
            assertEquals(1, again.number());
            assertEquals(Map.of("x", 0.25, "m", "b"), again.fixed());
            assertTrue(s.claim(id, 2, "w2").isPresent());
            assertTrue(s.claim(id, 2, "w2").isEmpty(), "budget of 2 counted trials used");
        }
    }

    @Test
    void sqlite_newerSchema_isRefusedWithAMessage() throws Exception {
        Path db = dir.resolve("new.db");
        JdbcStorage.open("sqlite:" + db).close();
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("UPDATE jvision_schema SET version = 99");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JdbcStorage.open("sqlite:" + db));
        assertTrue(e.getMessage().contains("schema version 99"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JdbcStorage.open("mysql://x/y"));
    }

    @Test
    void sqlite_twoWorkerProcesses_runTenTrials_noneDuplicatedOrLost() throws Exception {
        String spec = "sqlite:" + dir.resolve("shared.db");
        twoWorkersShareTenTrials(spec, dir);
    }

    @Test
    void sqlite_workerKilledMidTrial_trialFailsAfterHeartbeatTimeout_rerunCompletes() throws Exception {
        String spec = "sqlite:" + dir.resolve("kill.db");
        killAndRerun(spec, dir);
    }

    /** Two worker processes run one study of 10 trials together: none duplicated or lost. */
    static void twoWorkersShareTenTrials(String spec, Path dir) throws Exception {
        Path l1 = dir.resolve("w1.log");
        Path l2 = dir.resolve("w2.log");
        Process a = StudyWorkers.start(spec, "two", 10, 300, l1);
        Process b = StudyWorkers.start(spec, "two", 10, 300, l2);
        StudyWorkers.await(a, l1);
        StudyWorkers.await(b, l2);
        try (JdbcStorage s = JdbcStorage.open(spec)) {
            StudyWorkers.assertTwoWorkersShared(s.trials(s.studyId("two")), 10);
        }
    }

    /** Starts a slow worker, SIGKILLs it inside a trial, re-runs a fast one and checks the study. */
    static void killAndRerun(String spec, Path dir) throws Exception {
        Path l1 = dir.resolve("victim.log");
        Process victim = StudyWorkers.start(spec, "kill", 10, 4000, l1);
        int killed = -1;
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        try (JdbcStorage s = JdbcStorage.open(spec)) {
            while (killed < 0 && System.nanoTime() < until) {
                Thread.sleep(200);
                List<String> names = s.studyNames();
                if (names.contains("kill")) {
                    for (FrozenTrial t : s.trials(s.studyId("kill"))) {
                        if (t.state() == TrialState.RUNNING && t.params().size() == 2) {
                            killed = t.number();
                        }
                    }
                }
            }
            assertTrue(killed >= 0, "the worker never started a trial; log:\n" + StudyWorkers.read(l1));
            victim.destroyForcibly().waitFor();  // SIGKILL
            long id = s.studyId("kill");
            int k = killed;
            assertEquals(TrialState.RUNNING, s.trials(id).stream().filter(t -> t.number() == k).findFirst().orElseThrow()
                    .state(), "not failed before the heartbeat timeout");
            Path l2 = dir.resolve("rerun.log");
            Process rerun = StudyWorkers.start(spec, "kill", 10, 20, l2);
            StudyWorkers.await(rerun, l2);
            StudyWorkers.assertKilledTrialRequeued(s.trials(id), killed, 10);
            assertTrue(StudyWorkers.read(l2).contains("failed: no heartbeat"), StudyWorkers.read(l2));
        }
    }
}
