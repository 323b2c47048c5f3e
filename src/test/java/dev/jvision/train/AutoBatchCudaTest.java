package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.memprof.MemoryPlanner;
import dev.jvision.runtime.Device;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code train.auto_batch_size} on CUDA with the memprof planner: the prediction, then trial
 * steps that confirm it. Tagged {@code gpu}; skipped without CUDA (run with
 * -Pcuda -Dsurefire.excludedGroups= -Dgroups=gpu).
 */
@Tag("gpu")
class AutoBatchCudaTest {
    @BeforeEach
    void needCuda() {
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
    }

    private static Experiment exp(String model, String budget) {
        List<String> o = new java.util.ArrayList<>(List.of("experiment.device=cuda", "model.name=" + model,
                "model.num_classes=1000", "model.channels_last=true", "data.img_size=224", "train.amp=bf16",
                "train.batch_size=32", "train.auto_batch_size=true"));
        if (budget != null) o.add("train.memory_budget=" + budget);
        return Configs.fromYaml("{}", "cuda-auto.yaml", o);
    }

    private static AutoBatch.Decision find(Experiment e) {
        Device gpu = Device.cuda(0);
        String arch = e.model().name();
        return AutoBatch.find(ModelFactory.of(e.model(), arch, e.model().numClasses(), gpu), arch, e, e.train(), gpu,
                MemoryPlanner.forTraining());
    }

    @Test
    void find_resnet50With8GbBudget_predictionConfirmedByProbes() {
        AutoBatch.Decision d = find(exp("resnet50", "8GB"));
        System.out.println(d.describe());
        assertEquals("planner+probes", d.method());
        assertTrue(d.predicted() > 8, "bf16 resnet50 at 224 px: more than 8 images in 8 GB: " + d);
        assertEquals(d.predicted(), d.probes().get(0).batch(), "the first probe is the prediction");
        assertTrue(d.largestFit() <= d.predicted(), "an explicit budget is never probed above the prediction");
        assertTrue(d.probes().size() <= 8, d.probes().toString());
        assertEquals(AutoBatch.headroom(d.largestFit()), d.chosen());
    }

    @Test
    void find_convnextTinyWholeDevice_probesAroundThePrediction() {
        AutoBatch.Decision d = find(exp("convnext_tiny", null));
        System.out.println(d.describe());
        assertEquals("device total", d.budget());
        assertTrue(d.probes().size() <= 8, "guided search: " + d.probes());
        if (d.predicted() < AutoBatch.MAX) {
            double ratio = (double) d.largestFit() / d.predicted();
            assertTrue(Math.abs(ratio - 1) <= 0.3, "largest fitting batch " + d.largestFit() + " vs predicted "
                    + d.predicted() + ": " + d.probes());
        }
    }
}
