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
            assertEquals(dev.jvision.config.Durations.parse("max_time", budget), e.train().stopping().maxTime());
            assertTrue(e.model().name().startsWith("quicknet_"), e.model().name());
            assertEquals(TrainConfig.Schedule.Kind.ONECYCLE, e.train().schedule().kind());
            assertTrue(e.train().optimizer().lookahead().enabled() && e.train().modelSetup().whitening().enabled());
            assertTrue(e.augment().alternateFlip());
            assertEquals(2, e.augment().translate());
            assertTrue(e.infer().ttaViews().contains("right1+down1"));
            assertEquals(1, e.train().cv().nFolds(), "tuning on a hold-out of the training set");
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
        assertEquals(TrainConfig.Schedule.Kind.COSINE, q.train().schedule().kind());
        assertFalse(q.train().optimizer().lookahead().enabled());
        assertFalse(q.train().modelSetup().whitening().enabled());
        assertFalse(q.train().modelSetup().batchNorm().changesModel());
        assertEquals(1.0, q.train().modelSetup().batchNorm().biasLrScale());
    }
}
