package dev.jvision.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code data.img_size} as a size or a schedule; {@code train.layer_decay} and {@code train.lr_multipliers}. */
class ProgressiveConfigTest {

    private static Experiment load(String yaml, String... overrides) {
        return Configs.fromYaml(yaml, "p.yaml", List.of(overrides));
    }

    private static String fails(String yaml, String... overrides) {
        return assertThrows(ConfigException.class, () -> load(yaml, overrides)).getMessage();
    }

    @Test
    void imgSize_plainIntStaysFixed() {
        DataConfig d = load("data:\n  img_size: 96\n").data();
        assertEquals(96, d.imgSize());
        assertTrue(d.imgSizes().isFixed());
        assertEquals(96, d.imgSizes().at(0));
        assertEquals(96, d.imgSizes().at(50));
        assertEquals(224, Experiment.defaults().data().imgSize());
    }

    @Test
    void imgSize_scheduleGivesSizePerEpochAndFinalSize() {
        DataConfig d = load("data:\n  img_size: [[0, 160], [10, 224], [20, 288]]\n").data();
        assertEquals(288, d.imgSize(), "validation/inference/cache size is the final one");
        assertEquals(160, d.imgSizes().at(0));
        assertEquals(160, d.imgSizes().at(9));
        assertEquals(224, d.imgSizes().at(10));
        assertEquals(224, d.imgSizes().at(19));
        assertEquals(288, d.imgSizes().at(20));
        assertEquals(288, d.imgSizes().at(99));
    }

    @Test
    void imgSize_scheduleRoundTripsThroughYamlAndOverrides() {
        Experiment e = load("data:\n  img_size: [[0, 32], [2, 48]]\ntrain:\n  layer_decay: 0.7\n"
                + "  lr_multipliers: {\"head.*\": 10.0, \"stem.*\": 0.1}\n");
        String yaml = Configs.toYaml(e);
        assertTrue(yaml.contains("img_size: [[0, 32], [2, 48]]"), yaml);
        assertEquals(e, Configs.fromYaml(yaml, "again.yaml", List.of()));
        Experiment o = Experiment.defaults().with("data.img_size=[[0, 64], [1, 96]]");
        assertEquals(64, o.data().imgSizes().at(0));
        assertEquals(96, o.data().imgSize());
        assertEquals(80, e.with("data.img_size=80").data().imgSize(), "a plain size replaces the schedule");
        assertTrue(e.with("data.img_size=80").data().imgSizes().isFixed());
    }

    @Test
    void imgSize_tripleNamesTheStagesBatch_roundTrips_batchFollowsSizeDefaultsOn() {
        Experiment e = load("data:\n  img_size: [[0, 160, 96], [10, 224]]\n");
        SizeSchedule s = e.data().imgSizes();
        assertEquals(96, s.batchAt(0));
        assertEquals(96, s.batchAt(9));
        assertEquals(0, s.batchAt(10), "no batch named: train.batch_size (scaled when following)");
        assertTrue(e.data().batchFollowsSize());
        String yaml = Configs.toYaml(e);
        assertTrue(yaml.contains("img_size: [[0, 160, 96], [10, 224]]"), yaml);
        assertEquals(e, Configs.fromYaml(yaml, "again.yaml", List.of()));
        assertTrue(!e.with("data.batch_follows_size=false").data().batchFollowsSize());
        assertTrue(!SizeSchedule.of(List.of(new int[] {0, 160, 96})).equals(SizeSchedule.of(List.of(new int[] {0, 160}))));
    }

    @Test
    void imgSize_badSchedulesNameFileLineKeyValueAndExpectation() {
        assertEquals("p.yaml:2 data.img_size[0]: [1, 160] (expected: the first pair starts at epoch 0, e.g. "
                + "[[0, 160], [10, 224]])", fails("data:\n  img_size: [[1, 160], [10, 224]]\n"));
        assertEquals("p.yaml:4 data.img_size[1]: [0, 224] (expected: epochs increasing, after epoch 0)",
                fails("data:\n  img_size:\n    - [0, 160]\n    - [0, 224]\n"));
        assertEquals("p.yaml:2 data.img_size[1]: [5, 8] (expected: a size in [16, 2048])",
                fails("data:\n  img_size: [[0, 160], [5, 8]]\n"));
        assertEquals("p.yaml:2 data.img_size[1]: [5, 128] (expected: sizes not decreasing, at least 160 (validation "
                + "and inference use the final size))", fails("data:\n  img_size: [[0, 160], [5, 128]]\n"));
        assertTrue(fails("data:\n  img_size: [[0, 160, 3, 4]]\n").startsWith("p.yaml:2 data.img_size[0]: a list of 4 "
                + "(expected: an [epoch, size] pair of integers"));
        assertEquals("p.yaml:2 data.img_size[1]: [4, 224, 0] (expected: a batch size >= 1 as the third number)",
                fails("data:\n  img_size: [[0, 160], [4, 224, 0]]\n"));
        assertTrue(fails("data:\n  img_size: [[0, 160, many]]\n").startsWith("p.yaml:2 data.img_size[0][2]: 'many' "
                + "(expected: a batch size, an integer >= 0)"));
        assertTrue(fails("data:\n  img_size: [[0, big]]\n").startsWith("p.yaml:2 data.img_size[0][1]: 'big' "
                + "(expected: a size, an integer >= 0)"));
        assertTrue(fails("data:\n  img_size: large\n").startsWith("p.yaml:2 data.img_size: 'large' (expected: a size "
                + "such as 224, or a list of [epoch, size] pairs"));
        assertEquals("p.yaml:2 data.img_size: 8 (expected: in [16, 2048])", fails("data:\n  img_size: 8\n"));
        assertEquals("override data.img_size=[[1, 64]]: data.img_size[0]: [1, 64] (expected: the first pair starts at "
                + "epoch 0, e.g. [[0, 160], [10, 224]])", fails("", "data.img_size=[[1, 64]]"));
        assertEquals("p.yaml:2 data.img_size: [] (expected: a size, or a non-empty list of [epoch, size] pairs)",
                fails("data:\n  img_size: []\n"));
    }

    @Test
    void layerDecayAndMultipliers_parseKeepOrderAndValidate() {
        TrainConfig t = load("train:\n  layer_decay: 0.75\n  lr_multipliers:\n    \"stages.0.*\": 0.1\n"
                + "    \"head.*\": 10\n").train();
        assertEquals(0.75, t.optimizer().scaling().layerDecay());
        assertEquals(List.of("stages.0.*", "head.*"), List.copyOf(t.optimizer().scaling().lrMultipliers().keySet()), "order kept");
        assertEquals(Map.of("stages.0.*", 0.1, "head.*", 10.0), t.optimizer().scaling().lrMultipliers());
        assertEquals(0.0, TrainConfig.defaults().optimizer().scaling().layerDecay(), "off by default");
        assertNull(TrainConfig.defaults().optimizer().scaling().lrMultipliers());
        assertEquals("p.yaml:2 train.layer_decay: 1.5 (expected: in [0.0, 1.0])", fails("train:\n  layer_decay: 1.5\n"));
        assertEquals("p.yaml:2 train.lr_multipliers: 'head.*: 0.0' (expected: factors > 0, e.g. {\"head.*\": 10.0})",
                fails("train:\n  lr_multipliers: {\"head.*\": 0}\n"));
        assertTrue(fails("train:\n  lr_multipliers: [1, 2]\n").startsWith("p.yaml:2 train.lr_multipliers: a list "
                + "(expected: a mapping of string to number"));
        assertTrue(fails("train:\n  lr_multipliers: {\"head.*\": fast}\n")
                .startsWith("p.yaml:2 train.lr_multipliers.head.*: 'fast' (expected: number)"));
    }
}
