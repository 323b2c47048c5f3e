package dev.jvision.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Configs;
import dev.jvision.config.Experiment;
import dev.jvision.models.Models;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link DefaultSearchSpaces#forModel}: one space per family, every value of it accepted by the config. */
class DefaultSearchSpaceTest {

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "tf_efficientnetv2_b0", "convnext_atto", "swin_tiny_patch4_window7_224"})
    void defaultSpace_everyExtremeIsAValidConfig(String model) {
        SearchSpace space = DefaultSearchSpaces.forModel(model);
        assertTrue(space.params().stream().anyMatch(p -> p.key().equals("train.lr")), "searches the learning rate");
        assertTrue(space.params().stream().noneMatch(p -> p.key().equals("model.name")), "keeps the config's model");
        for (SearchSpace.Param p : space.params()) {
            for (SearchSpace.Variant v : p.variants()) {
                for (Object value : extremes(v.distribution())) {
                    Experiment e = Configs.fromYaml("model:\n  name: " + model + "\n", "base.yaml",
                            SearchSpace.overrides(Map.of(p.key(), value)));
                    assertEquals(model, e.model().name());
                }
            }
        }
    }

    @Test
    void everyRegisteredModel_hasADefaultSpace() {
        for (String name : Models.list("*")) {
            DefaultSearchSpaces.forModel(name);
        }
    }

    @Test
    void unknownModel_isAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> DefaultSearchSpaces.forModel("vit_tiny"));
        assertTrue(e.getMessage().contains("vit_tiny"), e.getMessage());
    }

    private static List<Object> extremes(Distribution d) {
        if (d instanceof Distribution.Categorical c) {
            return c.choices();
        }
        if (d instanceof Distribution.FloatRange f) {
            return List.of(f.low(), f.high());
        }
        Distribution.IntRange r = (Distribution.IntRange) d;
        return List.of(r.low(), r.high());
    }
}
