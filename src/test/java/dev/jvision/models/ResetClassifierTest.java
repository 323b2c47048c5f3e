package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ImageModel#resetClassifier} puts the new head where the rest of the model is: one
 * (small) variant per family, after converting the model to another dtype on the CPU (and, on a
 * CUDA machine, after moving it to the GPU), every parameter and buffer keeps the model's device
 * and floating-point dtype.
 */
class ResetClassifierTest {
    /** The smallest registered variant of each family. */
    static final List<String> FAMILIES = List.of("resnet18", "tf_efficientnetv2_b0", "convnext_atto", "swin_tiny_patch4_window7_224",
            "quicknet_s");

    static Stream<Arguments> familiesAndDtypes() {
        return FAMILIES.stream().flatMap(n -> Stream.of(Arguments.of(n, torch.ScalarType.Double), Arguments.of(n, torch.ScalarType.BFloat16)));
    }

    @Test
    void families_coverEveryRegisteredFamily() {
        for (String name : Models.list("*")) {
            String family = name.replaceFirst("^tf_", "").split("[_0-9]")[0];
            assertTrue(FAMILIES.stream().anyMatch(f -> f.replaceFirst("^tf_", "").startsWith(family)),
                    name + ": a family without a resetClassifier test");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("familiesAndDtypes")
    void resetClassifier_keepsEveryTensorsDtype(String name, torch.ScalarType dtype) {
        try (ImageModel m = Models.create(name, ModelOptions.of(5))) {
            convert(m, dtype);
            m.resetClassifier(3);
            assertEquals(3, m.numClasses());
            assertPlaced(m, Device.CPU, dtype);
            if (dtype.value == torch.ScalarType.Double.value) {
                m.train(false);
                try (var s = Memory.step()) {
                    Tensor x = ModelFixtures.images(1, 32, 1).to(torch.ScalarType.Double);
                    assertArrayEquals(new long[] {1, 3}, Tensors.shape(m.forward(x)));
                }
            }
        }
    }

    @Tag("gpu")
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jvision.models.ResetClassifierTest#families")
    void resetClassifier_onCuda_keepsEveryTensorOnTheDevice(String name) {
        Assumptions.assumeTrue(Device.cudaCount() > 0, "no CUDA device (CPU build or no GPU)");
        Device cuda = Device.parse("cuda");
        try (ImageModel m = Models.create(name, ModelOptions.of(5))) {
            m.to(cuda);
            m.resetClassifier(3);
            assertPlaced(m, cuda, torch.ScalarType.Float);
        }
    }

    static Stream<String> families() {
        return FAMILIES.stream();
    }

    /** Converts every floating-point parameter and buffer to {@code dtype}, in place. */
    private static void convert(ImageModel m, torch.ScalarType dtype) {
        for (Tensor t : m.stateDict().values()) {
            if (t.is_floating_point()) {
                try (Tensor c = t.to(dtype)) {
                    t.set_data(c);
                }
            }
        }
    }

    private static void assertPlaced(ImageModel m, Device device, torch.ScalarType dtype) {
        for (Map.Entry<String, Tensor> e : m.stateDict().entrySet()) {
            Tensor t = e.getValue();
            assertEquals(device, Device.of(t.device()), e.getKey() + " device");
            if (t.is_floating_point()) {
                assertEquals(dtype.intern(), t.scalar_type().intern(), e.getKey() + " dtype");
            }
        }
    }
}
