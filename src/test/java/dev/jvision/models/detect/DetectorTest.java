package dev.jvision.models.detect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DetectorTest {
    @BeforeAll
    static void threads() {
        TorchSettings.setThreads(2);
    }

    static Stream<String> names() {
        return Detectors.list("*").stream();
    }

    /** Every registered detector: shapes, a finite loss, gradients reaching backbone and head. */
    @ParameterizedTest
    @MethodSource("names")
    void registered_forwardLossBackward(String name) {
        TorchSettings.seed(1);
        try (Detector d = Detectors.create(name, DetectorOptions.of(3)); var step = Memory.step()) {
            d.train(true);
            Tensor x = torch.rand(2, 3, 64, 96);
            DetectorOutput out = d.forwardDetect(x);
            long anchors = 8 * 12 + 4 * 6 + 2 * 3;
            assertArrayEquals(new long[] {2, anchors, 64}, Tensors.shape(out.boxLogits()));
            assertArrayEquals(new long[] {2, anchors, 3}, Tensors.shape(out.classLogits()));
            assertArrayEquals(new long[] {anchors, 2}, Tensors.shape(out.anchors().points()));
            Tensor gtBoxes = Tensors.fromFloats(new float[] {10, 10, 40, 30, 50, 20, 90, 60, 0, 0, 0, 0, 0, 0, 0, 0}, 2, 2, 4);
            Tensor gtClasses = Tensors.fromLongs(new long[] {0, 2, -1, -1}, 2, 2);
            DetectionLoss.Parts loss = new DetectionLoss(DetectionLoss.Options.defaults()).compute(out, gtBoxes, gtClasses);
            double total = loss.total().item_double();
            assertTrue(Double.isFinite(total) && total > 0, name + " loss " + total);
            assertTrue(loss.foreground().item_long() > 0, "no foreground anchors");
            loss.total().backward();
            Map<String, Tensor> p = d.namedParameters();
            assertGrad(p, "head.cls.0.2.weight");
            assertGrad(p, "head.box.2.2.weight");
            String firstBackbone = p.keySet().stream().filter(k -> k.startsWith("backbone.")).findFirst().orElseThrow();
            assertGrad(p, firstBackbone);
        }
    }

    private static void assertGrad(Map<String, Tensor> p, String key) {
        Tensor t = p.get(key);
        assertTrue(t != null, "no parameter " + key + " in " + p.keySet().stream().limit(8).toList());
        assertTrue(t.grad().defined() && Double.isFinite(t.grad().abs().sum().item_double()), "no gradient for " + key);
    }

    @Test
    void parameterNames_readableAndStable() {
        try (Detector tiny = Detectors.create("det_tiny", DetectorOptions.of(2));
             Detector r18 = Detectors.create("det_resnet18", DetectorOptions.of(2))) {
            var keys = tiny.stateDict().keySet();
            for (String k : new String[] {"backbone.stem.conv.weight", "backbone.stages.3.1.blocks.0.cv2.bn.running_var",
                    "backbone.sppf.cv2.conv.weight", "neck.out3.cv2.bn.weight", "neck.down4.conv.weight",
                    "head.cls.0.2.bias", "head.box.1.0.bn.running_mean"}) {
                assertTrue(keys.contains(k), "missing " + k);
            }
            assertTrue(r18.stateDict().containsKey("backbone.layer1.0.conv1.weight"));
            assertTrue(r18.stateDict().containsKey("input_mean"));
            assertEquals(16, tiny.regMax());
        }
    }

    @Test
    void packedForward_unpacksToSameOutput() {
        try (Detector d = Detectors.create("det_tiny", DetectorOptions.of(2)); var step = Memory.step()) {
            d.train(false);
            Tensor x = torch.rand(1, 3, 96, 64);
            DetectorOutput direct = d.forwardDetect(x);
            DetectorOutput back = d.unpack(d.forward(x), 96, 64);
            assertTrue(torch.allclose(direct.classLogits(), back.classLogits(), 1e-5, 1e-6, false));
            assertTrue(torch.equal(direct.anchors().points(), back.anchors().points()));
            assertThrows(IllegalArgumentException.class, () -> d.forwardDetect(torch.rand(1, 3, 50, 64)));
        }
    }

    @Test
    void unknownName_listsRegistered() {
        var e = assertThrows(IllegalArgumentException.class, () -> Detectors.create("det_huge", DetectorOptions.of(1)));
        assertTrue(e.getMessage().contains("det_tiny"), e.getMessage());
    }
}
