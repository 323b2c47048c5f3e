package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jvision.runtime.dist.Launcher;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker command line and the launch options' checks. */
class TrainCommandLaunchTest {
    @Test
    void workerArgs_dropTheLaunchOptionsInBothForms() {
        assertEquals(List.of("train", "-c", "x.yaml", "--set", "train.epochs=1"), TrainCommand.workerArgs(List.of(
                "train", "--nproc-per-node", "2", "-c", "x.yaml", "--nnodes=1", "--set", "train.epochs=1",
                "--master", "h:1")));
    }

    @Test
    void badLaunchOptions_areBadInput() {
        assertEquals("--node-rank: 2 (expected: 0..1)", assertThrows(IllegalArgumentException.class,
                () -> new Launcher(2, 2, 2, "h:29500", Duration.ZERO)).getMessage());
        assertEquals("--master: unset (expected: host:port of node 0 when --nnodes > 1)",
                assertThrows(IllegalArgumentException.class, () -> new Launcher(2, 2, 0, null, Duration.ZERO))
                        .getMessage());
        assertEquals("--master: 'node0' (expected: host:port, port 1..65535)", assertThrows(
                IllegalArgumentException.class, () -> new Launcher(2, 2, 0, "node0", Duration.ZERO)).getMessage());
    }
}
