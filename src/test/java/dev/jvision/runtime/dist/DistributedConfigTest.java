package dev.jvision.runtime.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.ConfigException;
import dev.jvision.config.Configs;
import dev.jvision.config.DistributedSection;
import dev.jvision.config.Experiment;
import dev.jvision.runtime.Device;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code experiment.distributed} (backend, sync_bn, overlap, bucket_mb): defaults, parsing,
 * located errors, and how the backend resolves per device.
 */
class DistributedConfigTest {
    @Test
    void defaultsAreAutoOverlappedPerRankBatchNormAndDdpBuckets() {
        Experiment e = Configs.fromYaml("experiment: {name: x}\n", "t.yaml", List.of());
        assertEquals(DistributedSection.defaults(), e.experiment().distributed());
        assertEquals("auto", e.experiment().distributed().backend());
        assertTrue(e.experiment().distributed().overlap());
        assertFalse(e.experiment().distributed().syncBn());
        assertEquals(25, e.experiment().distributed().bucketMb());
    }

    @Test
    void parsesAndRoundTripsTheSection() {
        Experiment e = Configs.fromYaml("""
                experiment:
                  device: cpu
                  distributed: {backend: gloo, sync_bn: true, overlap: false, bucket_mb: 4}
                """, "t.yaml", List.of("experiment.distributed.bucket_mb=8"));
        assertEquals(new DistributedSection("gloo", true, false, 8), e.experiment().distributed());
        assertEquals(e, Configs.fromYaml(Configs.toYaml(e), "round-trip", List.of()));
    }

    @Test
    void ncclOnACpuDeviceIsAConfigError() {
        ConfigException ex = assertThrows(ConfigException.class, () -> Configs.fromYaml("""
                experiment:
                  device: cpu
                  distributed: {backend: nccl}
                """, "t.yaml", List.of()));
        assertTrue(ex.getMessage().startsWith("t.yaml:"), ex.getMessage());
        assertTrue(ex.getMessage().contains("experiment.distributed.backend: 'nccl' (expected: auto or gloo with "
                + "experiment.device: cpu; NCCL needs CUDA)"), ex.getMessage());
    }

    @Test
    void anUnknownBackendNamesTheChoices() {
        ConfigException ex = assertThrows(ConfigException.class, () -> Configs.fromYaml(
                "experiment: {distributed: {backend: mpi}}\n", "t.yaml", List.of()));
        assertTrue(ex.getMessage().contains("experiment.distributed.backend: 'mpi' (expected: auto, gloo or nccl)"),
                ex.getMessage());
    }

    @Test
    void autoIsGlooOnCpuAndNcclOnCuda_ncclOnCpuIsRefused() {
        assertEquals(ProcessGroup.Kind.GLOO, ProcessGroup.Kind.AUTO.on(Device.CPU));
        assertEquals(ProcessGroup.Kind.GLOO, ProcessGroup.Kind.GLOO.on(Device.CPU));
        assertEquals(ProcessGroup.Kind.NCCL, ProcessGroup.Kind.AUTO.on(Device.cuda(0)));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ProcessGroup.Kind.NCCL.on(Device.CPU));
        assertTrue(ex.getMessage().startsWith("experiment.distributed.backend: nccl (expected: auto or gloo"),
                ex.getMessage());
    }
}
