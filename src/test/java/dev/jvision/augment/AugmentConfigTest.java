package dev.jvision.augment;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.config.AugmentConfig;
import dev.jvision.config.ConfigException;
import dev.jvision.config.Configs;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The nested {@code augment:} sections: full fixture coverage, error locations, quickstart. */
class AugmentConfigTest {
    @Test
    void fullFixture_setsEveryNestedFieldAwayFromItsDefault() throws Exception {
        String yaml;
        try (InputStream in = getClass().getResourceAsStream("/config/full.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        AugmentConfig got = Configs.fromYaml(yaml, "full.yaml", List.of()).augment();
        AugmentConfig def = AugmentConfig.defaults();
        for (var field : AugmentConfig.class.getRecordComponents()) {
            Object g = field.getAccessor().invoke(got);
            Object d = field.getAccessor().invoke(def);
            if (g instanceof Record) {
                for (var sub : field.getType().getRecordComponents()) {
                    assertNotEquals(sub.getAccessor().invoke(d), sub.getAccessor().invoke(g), field.getName() + "." + sub.getName());
                }
            }
        }
    }

    @Test
    void nestedErrors_nameFileLineAndKeyPath() {
        ConfigException e = assertThrows(ConfigException.class, () -> Configs.fromYaml(
                "augment:\n  mixup:\n    enabled: true\n    prob: 1.5\n", "m.yaml", List.of()));
        assertEquals("m.yaml:4 augment.mixup.prob: 1.5 (expected: in [0.0, 1.0])", e.getMessage());
        e = assertThrows(ConfigException.class, () -> Configs.fromYaml(
                "augment:\n  hard_augmentation: {progression: exp}\n", "h.yaml", List.of()));
        assertTrue(e.getMessage().startsWith("h.yaml:2 augment.hard_augmentation.progression: 'exp' (expected: one of linear, cosine)"),
                e.getMessage());
        e = assertThrows(ConfigException.class, () -> Configs.fromYaml(
                "augment:\n  advanced:\n    motion_blur_size: 8\n", "a.yaml", List.of()));
        assertEquals("a.yaml:3 augment.advanced.motion_blur_size: 8 (expected: an odd number)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> Configs.fromYaml(
                "augment:\n  policy: fancy\n", "p.yaml", List.of()));
        assertTrue(e.getMessage().contains("basic, advanced, randaugment, trivialaugment"), e.getMessage());
    }

    @Test
    void quickstartConfig_stillLoads() {
        AugmentConfig a = Configs.load(java.nio.file.Path.of("configs/quickstart.yaml"), List.of()).augment();
        assertEquals("basic", a.policy());
        assertEquals(0.75, a.rot90());
    }
}
