package dev.jvision.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.runtime.HostMemory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.train.AutoBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train.auto_batch_size} with {@code train.memory_budget} on the CPU, end to end: the
 * memprof planner predicts the batch, the run trains with 90% of it and records it.
 */
class AutoBatchPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void train_cpuWithMemoryBudget_plannerChoosesBatch_recordedInConfigAndAutoBatchJson() throws Exception {
        // the CPU budget covers the whole process: leave ~0.5 GiB above what the test JVM uses with libtorch loaded.
        // Read the resident set as the planner does (after a collection and malloc_trim): earlier tests in this JVM
        // leave freed heap that glibc has not returned yet (measured: 2.1 GB resident before the trim, 0.7 after)
        NativeRuntime.init();
        for (int i = 0; i < 2; i++) {
            System.gc();
            org.bytedeco.javacpp.Pointer.deallocateReferences();
        }
        HostMemory.trim();
        long budgetMb = (HostMemory.residentBytes() >> 20) + 512;
        String yaml = """
                experiment: {name: autobatch, seed: 3, output_dir: '%s', threads: 2}
                data: {root: '%s', generate_demo: true, demo_train: 40, demo_test: 8, img_size: 64}
                model: {name: resnet18, num_classes: 17}
                train: {epochs: 1, batch_size: 4, n_folds: 2, folds: [0], auto_batch_size: true, memory_budget: %dMB}
                """.formatted(tmp.resolve("runs"), tmp.resolve("data"), budgetMb);
        Experiment exp = Configs.fromYaml(yaml, "autobatch.yaml", List.of());
        TrainStage.Outcome o = TrainStage.train(exp);
        Path run = o.runDir();

        JsonNode j = new ObjectMapper().readTree(run.resolve(AutoBatch.FILE).toFile());
        JsonNode d = j.get("models").get(0);
        assertEquals("planner", d.get("method").asText());
        int predicted = d.get("predicted").asInt();
        int chosen = j.get("batch_size").asInt();
        // resnet18 at 64 px holds ~2.5 MiB per image: 0.5 GiB less ~180 MiB of weights and AdamW state is > 16 images
        assertTrue(predicted > 16 && predicted < 400, "predicted " + predicted + ": " + d);
        assertEquals(Math.max(1, (int) (predicted * 0.9)), chosen);
        assertEquals(4, j.get("requested_batch_size").asInt());
        assertTrue(d.get("planner").asText().contains("probes at batch 4 and "), d.toString());
        assertEquals((long) budgetMb << 20, d.get("budget_bytes").asLong());

        TrainConfig recorded = Configs.load(run.resolve("config.yaml"), List.of()).train();
        assertEquals(chosen, recorded.batch().size(), "config.yaml holds the chosen size: a resume trains with it");
        assertFalse(recorded.batch().auto());
        assertEquals(budgetMb + "MB", recorded.batch().memoryBudget().toString());
        assertEquals(2, Files.readAllLines(run.resolve("metrics.csv")).size(), "header + one epoch");
        assertTrue(Files.isRegularFile(run.resolve("fold0/best.safetensors")));
    }
}
