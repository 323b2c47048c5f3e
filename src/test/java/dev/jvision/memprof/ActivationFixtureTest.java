package dev.jvision.memprof;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.TorchSettings;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * memprof's "activations kept for backward" against what PyTorch's autograd saves for the same
 * timm model and input (src/test/python/make_memprof_fixture.py: saved_tensors_hooks, distinct
 * storages, parameters and input excluded): within 10% on the CPU, batch 8, 224 px, training.
 */
class ActivationFixtureTest {
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "convnext_tiny"})
    void activations_cpuBatch8At224_withinTenPercentOfAutogradSavedTensors(String model) throws Exception {
        JsonNode fixture;
        try (InputStream in = getClass().getResourceAsStream("/memprof/saved_tensors.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
        int batch = fixture.get("batch").asInt();
        int size = fixture.get("img_size").asInt();
        long expected = fixture.get("models").get(model).get("bytes").asLong();
        TorchSettings.setThreads(2);
        MemoryProfile p = MemoryProfiler.profile(MemoryProfiler.Options.train(model, size, batch, Device.CPU).withSteps(1, 1));
        double ratio = (double) p.activations() / expected;
        System.out.printf("%s: memprof %.1f MiB, autograd saved %.1f MiB (ratio %.3f)%n%s", model,
                p.activations() / 1048576.0, expected / 1048576.0, ratio, p.table());
        assertTrue(Math.abs(ratio - 1) <= 0.10, model + ": memprof activations " + p.activations()
                + " B vs autograd saved tensors " + expected + " B (ratio " + ratio + ", expected: within 10%)");
    }
}
