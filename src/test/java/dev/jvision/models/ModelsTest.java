package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelsTest {
    private static final int FIXTURE_CLASSES = 17; // as in src/test/python/make_resnet_fixtures.py

    static Stream<String> registered() {
        return Models.list("*").stream();
    }

    @ParameterizedTest
    @MethodSource("registered")
    void forwardBackward_everyRegisteredModel(String name) {
        TorchSettings.seed(1);
        int classes = 7;
        try (ImageModel m = Models.create(name, ModelOptions.of(classes))) {
            assertEquals(classes, m.numClasses());
            assertEquals(name, m.spec().name());
            m.train(true);
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(2, 32, 3);
                Tensor logits = m.forward(x);
                assertArrayEquals(new long[] {2, classes}, Tensors.shape(logits));
                Tensor loss = torch.cross_entropy_loss(logits, Tensors.fromLongs(new long[] {1, 5}, 2));
                float l = loss.item_float();
                assertTrue(Float.isFinite(l), name + ": loss " + l);
                loss.backward();
                List<String> noGrad = new ArrayList<>();
                for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                    Tensor g = e.getValue().grad();
                    if (!g.defined()) {
                        noGrad.add(e.getKey());
                    } else if (!torch.isfinite(g).all().item_bool()) {
                        fail(name + ": non-finite gradient in " + e.getKey());
                    }
                }
                assertEquals(List.of(), noGrad, name + ": parameters without a gradient");
                m.zeroGrad();
                assertFalse(m.namedParameters().values().iterator().next().grad().defined());
            }
            m.train(false);
            try (var s = Memory.step()) {
                Tensor x = ModelFixtures.images(2, 32, 4);
                float[] a = Tensors.toFloats(m.forward(x));
                float[] b = Tensors.toFloats(m.forward(x));
                assertArrayEquals(a, b, name + ": eval mode is not deterministic");
                for (float v : a) {
                    assertTrue(Float.isFinite(v));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("registered")
    void stateDict_matchesTimmKeysShapesAndDtypes(String name) throws IOException {
        List<String> expected = fixture(name);
        List<String> actual = new ArrayList<>();
        try (ImageModel m = Models.create(name, ModelOptions.of(FIXTURE_CLASSES))) {
            for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
                Tensor t = e.getValue();
                StringBuilder shape = new StringBuilder("[");
                long[] sh = Tensors.shape(t);
                for (int i = 0; i < sh.length; i++) {
                    shape.append(i == 0 ? "" : ",").append(sh[i]);
                }
                actual.add(e.getKey() + " " + SafeTensors.dtypeName(t.scalar_type()) + " " + shape.append(']'));
            }
        }
        // same set first (readable diff), then the same order as timm's state_dict
        assertEquals(expected.stream().sorted().toList(), actual.stream().sorted().toList(), name);
        assertEquals(expected, actual, name + ": order differs from timm's state_dict");
        if (name.startsWith("resnet")) {
            assertTrue(actual.contains("bn1.num_batches_tracked I64 []"));
        }
    }

    private static List<String> fixture(String name) throws IOException {
        try (InputStream in = ModelsTest.class.getResourceAsStream("/models/" + name + ".keys.txt")) {
            assertNotNull(in, "no timm fixture for " + name + " (run src/test/python/make_resnet_fixtures.py)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        }
    }

    @Test
    void everyRegisteredModel_hasATimmFixture() {
        for (String name : Models.list("*")) {
            assertNotNull(ModelsTest.class.getResource("/models/" + name + ".keys.txt"), name);
        }
    }

    @Test
    void create_unknownName_suggestsCloseMatches() {
        var e = assertThrows(IllegalArgumentException.class, () -> Models.create("resnet51", ModelOptions.of(3)));
        assertTrue(e.getMessage().contains("'resnet51'"), e.getMessage());
        assertTrue(e.getMessage().contains("'resnet50'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Models.spec("vit_tiny"));
    }

    @Test
    void list_byGlob() {
        assertEquals(List.of("resnet101", "resnet18", "resnet18_cifar"), Models.list("resnet1*"));
        assertTrue(Models.list("*").containsAll(List.of("resnet101", "resnet18", "resnet26", "resnet34", "resnet50")),
                Models.list("*").toString());
        assertEquals(Models.list("resnet*").size(), 8);
        assertEquals(List.of("quicknet_l", "quicknet_m", "quicknet_s"), Models.list("quicknet*"));
        assertEquals(Models.list("*"), Models.list(null));
        assertEquals(List.of(), Models.list("vit*"));
        assertEquals(List.of("resnet50"), Models.list("resnet50"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void options_rejectBadClassCount(int n) {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelOptions.of(n));
        assertTrue(e.getMessage().contains("num_classes"), e.getMessage());
    }

    @Test
    void resetClassifier_changesClassCountAndOutputShape() {
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(10))) {
            m.train(false);
            m.resetClassifier(3);
            assertEquals(3, m.numClasses());
            assertEquals("fc", m.classifierName());
            assertArrayEquals(new long[] {3, 512}, Tensors.shape(m.stateDict().get("fc.weight")));
            assertFalse(m.isTraining());
            assertFalse(m.children().get("fc").isTraining(), "new head must follow the model's mode");
            try (var s = Memory.step()) {
                assertArrayEquals(new long[] {2, 3}, Tensors.shape(m.forward(ModelFixtures.images(2, 32, 1))));
            }
            List<String> keys = new ArrayList<>(m.stateDict().keySet());
            assertEquals(List.of("fc.weight", "fc.bias"), keys.subList(keys.size() - 2, keys.size()),
                    "fc keeps its place at the end of the state dict");
        }
    }

    @Test
    void closedModel_throwsIllegalState_andCloseIsIdempotent() {
        ImageModel m = Models.create("resnet18", ModelOptions.of(2));
        m.close();
        m.close();
        var e = assertThrows(IllegalStateException.class, m::stateDict);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        try (var s = Memory.step()) {
            assertThrows(IllegalStateException.class, () -> m.forward(ModelFixtures.images(1, 32, 1)));
        }
        assertThrows(IllegalStateException.class, () -> m.train(false));
    }

    @Test
    void freezeBackbone_onlyClassifierGetsGradients() {
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(3))) {
            m.freezeBackbone(true);
            m.train(true);
            try (var s = Memory.step()) {
                Tensor loss = torch.cross_entropy_loss(m.forward(ModelFixtures.images(2, 32, 5)),
                        Tensors.fromLongs(new long[] {0, 2}, 2));
                loss.backward();
                for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) {
                    boolean head = e.getKey().startsWith("fc.");
                    assertEquals(head, e.getValue().grad().defined(), e.getKey());
                }
            }
            m.freezeBackbone(false);
            assertTrue(m.namedParameters().get("conv1.weight").requires_grad());
        }
    }
}
