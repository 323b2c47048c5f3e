package dev.jvision.runtime.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The torchrun environment contract and the sampler's shards. */
class DistEnvTest {
    @Test
    void noWorldSize_isASingleProcess() {
        DistEnv e = DistEnv.fromMap(Map.of("RANK", "3"));
        assertFalse(e.distributed());
        assertTrue(e.isMain());
    }

    @Test
    void torchrunVariables_areRead_localDefaultsToOneNode() {
        DistEnv e = DistEnv.fromMap(Map.of("WORLD_SIZE", "4", "RANK", "2", "MASTER_ADDR", "10.0.0.1",
                "MASTER_PORT", "29501"));
        assertEquals(new DistEnv(2, 2, 4, 4, "10.0.0.1", 29501), e);
        assertEquals(1, e.threadsPerRank(2));
        assertEquals(4, e.threadsPerRank(16));
        DistEnv multi = DistEnv.fromMap(DistEnv.childEnvironment(5, 1, 8, 4, "node0", 29500));
        assertEquals(new DistEnv(5, 1, 8, 4, "node0", 29500), multi);
        assertEquals(2, multi.threadsPerRank(8));
    }

    @Test
    void badVariables_nameVariableValueAndExpectation() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> DistEnv.fromMap(Map.of("WORLD_SIZE", "2", "RANK", "2")));
        assertEquals("env RANK: 2 (expected: 0..1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DistEnv.fromMap(Map.of("WORLD_SIZE", "two")));
        assertEquals("env WORLD_SIZE: 'two' (expected: an integer)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DistEnv.fromMap(Map.of("WORLD_SIZE", "4", "RANK", "1", "LOCAL_WORLD_SIZE", "2")));
        assertEquals("env LOCAL_RANK: unset (expected: an integer; WORLD_SIZE is set)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DistEnv.fromMap(Map.of("WORLD_SIZE", "2", "RANK", "0", "MASTER_PORT", "70000")));
        assertEquals("env MASTER_PORT: 70000 (expected: 1..65535)", e.getMessage());
    }

    @Test
    void shards_areDisjoint_coverEveryIndex_andEachStepIsTheSingleProcessBatch() {
        int[] perm = {9, 4, 7, 0, 2, 8, 1, 6, 3, 5, 11, 10};
        int[] a = DistributedSampler.shard(perm, 0, 2);
        int[] b = DistributedSampler.shard(perm, 1, 2);
        assertArrayEquals(new int[] {9, 7, 2, 1, 3, 11}, a);
        assertArrayEquals(new int[] {4, 0, 8, 6, 5, 10}, b);
        // step 1 with batch 3 per rank = the single process's second batch of 6
        int[] union = new int[6];
        System.arraycopy(DistributedSampler.batch(a, 1, 3), 0, union, 0, 3);
        System.arraycopy(DistributedSampler.batch(b, 1, 3), 0, union, 3, 3);
        Arrays.sort(union);
        int[] single = Arrays.copyOfRange(perm, 6, 12);
        Arrays.sort(single);
        assertArrayEquals(single, union);
    }

    @Test
    void unevenEpochs_arePaddedByWrapping_soRanksRunTheSameSteps() {
        int[] perm = {4, 2, 0, 1, 3};
        assertArrayEquals(new int[] {4, 0, 3}, DistributedSampler.shard(perm, 0, 2));
        assertArrayEquals(new int[] {2, 1, 4}, DistributedSampler.shard(perm, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> DistributedSampler.shard(perm, 2, 2));
    }
}
