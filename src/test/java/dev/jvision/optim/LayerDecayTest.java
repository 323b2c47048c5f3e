package dev.jvision.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layer-wise LR decay and LR multipliers against timm 1.0.29: the fixture
 * ({@code src/test/resources/layer_decay/<model>.csv}, written by
 * {@code src/test/python/layer_decay_fixture.py}) holds timm's layer id, lr scale and weight
 * decay of every parameter for {@code param_groups_layer_decay(layer_decay=0.75, weight_decay=0.05)}.
 */
class LayerDecayTest {

    @BeforeAll
    static void init() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    /** One fixture row. */
    record Row(int layer, double scale, double weightDecay) {}

    static Map<String, Row> fixture(String model) throws IOException {
        try (InputStream in = LayerDecayTest.class.getResourceAsStream("/layer_decay/" + model + ".csv")) {
            assertNotNull(in, model);
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertEquals("name,layer_id,lr_scale,weight_decay", lines.get(0));
            Map<String, Row> out = new LinkedHashMap<>();
            for (String l : lines.subList(1, lines.size())) {
                String[] f = l.split(",");
                out.put(f[0], new Row(Integer.parseInt(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])));
            }
            return out;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"convnext_atto", "swin_tiny_patch4_window7_224", "resnet18", "efficientnetv2_rw_t"})
    void groups_matchTimmLayerIdsScalesAndWeightDecay(String name) throws IOException {
        Map<String, Row> timm = fixture(name);
        try (ImageModel model = Models.create(name, ModelOptions.of(10))) {
            assertEquals(new TreeSet<>(timm.keySet()), new TreeSet<>(model.namedParameters().keySet()),
                    "jvision and timm parameter names");
            LayerDecay ld = LayerDecay.of(model.spec().family(), 0.75);
            Map<String, Integer> ids = ld.layerIds(model.namedParameters().keySet());
            List<ParamGroup> groups = ParamGroups.of(model, model.classifierName(), 0.05, 1.0, ld, LrMultipliers.none(),
                    name);
            Map<String, ParamGroup> groupOf = new HashMap<>();
            for (ParamGroup g : groups) {
                for (String n : g.names()) {
                    groupOf.put(n, g);
                }
            }
            for (Map.Entry<String, Row> e : timm.entrySet()) {
                String n = e.getKey();
                Row r = e.getValue();
                assertEquals(r.layer(), ids.get(n), n + " layer id");
                ParamGroup g = groupOf.get(n);
                assertEquals(r.scale(), g.lrScale(), 1e-9 * r.scale(), n + " lr scale (group " + g.name() + ")");
                assertEquals(r.weightDecay(), g.weightDecay(), 0.0, n + " weight decay");
            }
            // the head is the last layer at 1.0, the stem the smallest scale
            String head = model.classifierName() + ".weight";
            assertEquals(1.0, groupOf.get(head).lrScale());
            double min = groups.stream().mapToDouble(ParamGroup::lrScale).min().orElseThrow();
            assertEquals(min, groupOf.get(timm.keySet().iterator().next()).lrScale(), 0.0);
        }
    }

    @Test
    void multipliers_firstMatchWinsAndCombineWithHeadScaleAndLayerDecay() {
        try (ImageModel model = Models.create("resnet18", ModelOptions.of(10))) {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("layer1.0.*", 0.1);
            m.put("layer1.*", 0.5);
            m.put("fc.*", 10.0);
            List<ParamGroup> groups = ParamGroups.of(model, "fc", 0.05, 2.0, null, LrMultipliers.of(m), "resnet18");
            Map<String, ParamGroup> groupOf = new HashMap<>();
            groups.forEach(g -> g.names().forEach(n -> groupOf.put(n, g)));
            assertEquals(0.1, groupOf.get("layer1.0.conv1.weight").lrScale(), 1e-12);
            assertEquals(0.5, groupOf.get("layer1.1.conv1.weight").lrScale(), 1e-12);
            assertEquals(20.0, groupOf.get("fc.weight").lrScale(), 1e-12, "head_lr_scale x multiplier");
            assertEquals(1.0, groupOf.get("layer2.0.conv1.weight").lrScale(), 0.0, "unmatched");
            assertEquals(0.0, groupOf.get("layer1.0.bn1.weight").weightDecay(), "1-d stays undecayed");
            assertEquals(0.05, groupOf.get("layer1.0.conv1.weight").weightDecay());
            assertEquals(model.namedParameters().size(), groupOf.size(), "every parameter in exactly one group");

            List<ParamGroup> both = ParamGroups.of(model, "fc", 0.05, 1.0, LayerDecay.of("resnet", 0.5),
                    LrMultipliers.of(Map.of("layer4.*", 3.0)), "resnet18");
            Map<String, ParamGroup> b = new HashMap<>();
            both.forEach(g -> g.names().forEach(n -> b.put(n, g)));
            // resnet18: stem 0, layer1.0..layer4.1 = 1..8, fc 9
            assertEquals(Math.pow(0.5, 1) * 3.0, b.get("layer4.1.conv2.weight").lrScale(), 1e-12);
            assertEquals(Math.pow(0.5, 9), b.get("conv1.weight").lrScale(), 1e-15);
            assertEquals(1.0, b.get("fc.bias").lrScale(), 0.0);
        }
    }

    @Test
    void multipliers_globMatchingNothingIsAnError() {
        try (ImageModel model = Models.create("resnet18", ModelOptions.of(10))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParamGroups.of(model, "fc",
                    0.05, 1.0, null, LrMultipliers.of(Map.of("stages.0.*", 0.1)), "resnet18"));
            assertTrue(e.getMessage().startsWith("train.lr_multipliers: 'stages.0.*' matches no parameter of resnet18"),
                    e.getMessage());
        }
    }

    @Test
    void layerDecay_rejectsUnknownFamilyAndBadFactor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerDecay.of("custom", 0.75));
        assertEquals("train.layer_decay: 0.75 (expected: 0 for model family 'custom'; layer-wise decay is defined for "
                + "the families [convnext, efficientnetv2, resnet, swin])", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerDecay.of("resnet", 1.5));
    }

    @Test
    void globs_matchWholeNamesWithStarAcrossDots() {
        LrMultipliers m = LrMultipliers.of(Map.of("head.*", 10.0));
        assertEquals(10.0, m.factor("head.fc.weight"));
        assertEquals(1.0, m.factor("pre_head.fc.weight"));
        assertEquals(1.0, m.factor("head"));
        assertEquals(2.0, LrMultipliers.of(Map.of("stages.?.blocks.*", 2.0)).factor("stages.3.blocks.0.conv_dw.weight"));
    }
}
