package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/** Stage outputs at strides 8/16/32 and their channel counts, for the detector's neck. */
class PyramidFeaturesTest {
    private static void check(ImageModel m, int[] channels) {
        assertArrayEquals(channels, m.pyramidChannels());
        try (var step = Memory.step()) {
            m.train(false);
            Tensor[] maps = m.forwardPyramid(torch.rand(1, 3, 64, 96));
            for (int i = 0; i < 3; i++) {
                int stride = 8 << i;
                assertArrayEquals(new long[] {1, channels[i], 64 / stride, 96 / stride}, Tensors.shape(maps[i]),
                        m.spec().name() + " level " + i);
            }
        }
    }

    @Test
    void resnet18And50() {
        try (ImageModel a = Models.create("resnet18", ModelOptions.of(2)); ImageModel b = Models.create("resnet50", ModelOptions.of(2))) {
            check(a, new int[] {128, 256, 512});
            check(b, new int[] {512, 1024, 2048});
        }
    }

    @Test
    void convnext() {
        try (ConvNeXt m = ConvNeXt.create(ConvNeXt.Config.of(new int[] {1, 1, 1, 1}, new int[] {16, 32, 48, 64}, false),
                ModelOptions.of(2))) {
            check(m, new int[] {32, 48, 64});
        }
    }

    @Test
    void efficientNetV2B0() {
        try (ImageModel m = Models.create("tf_efficientnetv2_b0", ModelOptions.of(2))) {
            check(m, new int[] {48, 112, 192});
        }
    }

    @Test
    void swin_doesNotExposeStages() {
        try (ImageModel m = Models.create(Models.list("swin*").get(0), ModelOptions.of(2))) {
            assertThrows(UnsupportedOperationException.class, m::pyramidChannels);
        }
    }
}
