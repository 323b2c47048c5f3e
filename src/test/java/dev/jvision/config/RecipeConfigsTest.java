package dev.jvision.config;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every shipped recipe under configs/recipes loads, and the small-image ones carry their budget and tricks. */
class RecipeConfigsTest {
    @Test
    void recipes_loadAndHaveTheirBudgets() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of("configs/recipes"))) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 4, files.toString());
        for (String budget : List.of("5m", "10m", "15m")) {
            Experiment e = Experiment.load(Path.of("configs/recipes/fmnist_quicknet_" + budget + ".yaml"));
            assertEquals(budget, e.train().maxTime());
            assertTrue(e.model().name().startsWith("quicknet_"), e.model().name());
            assertEquals(TrainConfig.Schedule.ONECYCLE, e.train().schedule());
            assertTrue(e.train().lookahead().enabled() && e.train().whitening().enabled());
            assertTrue(e.augment().alternateFlip());
            assertEquals(2, e.augment().translate());
            assertTrue(e.infer().ttaViews().contains("right1+down1"));
            assertEquals(1, e.train().nFolds(), "tuning on a hold-out of the training set");
        }
        for (Path f : files) {
            assertDoesNotThrow(() -> Experiment.load(f), f.toString());
        }
    }

    @Test
    void quickstartDefaults_untouchedByTheNewKeys() {
        Experiment q = Experiment.load(Path.of("configs/quickstart.yaml"));
        assertEquals("random", q.augment().flipMode());
        assertEquals(0, q.augment().translate());
        assertEquals(TrainConfig.Schedule.COSINE, q.train().schedule());
        assertFalse(q.train().lookahead().enabled());
        assertFalse(q.train().whitening().enabled());
        assertFalse(q.train().batchNorm().changesModel());
        assertEquals(1.0, q.train().batchNorm().biasLrScale());
    }
}
