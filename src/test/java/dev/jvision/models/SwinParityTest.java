package dev.jvision.models;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Numeric parity of {@link SwinTransformer} with timm 1.0.29 on tiny randomised models (fixtures
 * from src/test/python/make_swin_fixtures.py, committed under src/test/resources/models/swin/).
 */
class SwinParityTest {
    static final double TOLERANCE = 1e-4;

    /** timm's SwinTransformer(img_size, patch_size=4, window_size=4, embed_dim=16, depths=(2,2), num_heads=(1,2), num_classes=5). */
    static SwinTransformer.Config tiny(int imgSize) {
        return new SwinTransformer.Config(imgSize, 4, 4, 16, new int[] {2, 2}, new int[] {1, 2}, 5, 4.0, 0, 0);
    }

    static Path resource(String name) {
        try {
            var url = SwinParityTest.class.getResource("/models/swin/" + name);
            assertNotNull(url, "missing fixture " + name + " (run src/test/python/make_swin_fixtures.py)");
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static float parityDiff(int builtSize, String io) throws IOException {
        try (SwinTransformer m = SwinTransformer.create(tiny(builtSize));
             SafeTensors.Contents data = SafeTensors.read(resource(io))) {
            Weights.LoadReport r = Weights.load(m, resource("tiny" + builtSize + ".safetensors"), false);
            assertEquals(m.stateDict().size(), r.loaded());
            m.train(false);
            float[] expected = Tensors.toFloats(data.tensors().get("logits"));
            float[] actual;
            try (var s = Memory.step()) {
                actual = Tensors.toFloats(m.forward(data.tensors().get("x")));
            }
            float diff = ModelFixtures.maxAbsDiff(expected, actual);
            float scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(scale > 0.3f, "fixture logits too small to test anything: " + scale);
            System.out.println("swin tiny built at " + builtSize + ", " + io + ": max abs diff " + diff + " (max |logit| " + scale + ")");
            return diff;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64})
    void tinyEvalLogits_matchTimm(int size) throws IOException {
        float diff = parityDiff(size, "tiny" + size + "_io.safetensors");
        assertTrue(diff <= TOLERANCE, "max abs diff " + diff + " (expected: <= " + TOLERANCE + ")");
    }

    @Test
    void otherInputSize_matchesTimmNonStrict_withPaddingAndOddMerging() throws IOException {
        float diff = parityDiff(32, "tiny32_at36_io.safetensors");
        assertTrue(diff <= TOLERANCE, "max abs diff " + diff + " (expected: <= " + TOLERANCE + ")");
    }

    /** Full-size swin_tiny at 224 (fixture ~115 MB, not committed): skipped unless JVISION_PARITY_DIR is set. */
    @Test
    void swinTiny224_evalLogits_matchTimm() throws IOException {
        String env = System.getenv("JVISION_PARITY_DIR");
        Assumptions.assumeTrue(env != null && !env.isBlank(), "JVISION_PARITY_DIR not set");
        Path d = Path.of(env);
        Path weights = d.resolve("swin_tiny_patch4_window7_224.safetensors");
        Assumptions.assumeTrue(Files.isRegularFile(weights), "no " + weights + " (make_swin_fixtures.py --full-parity DIR)");
        try (ImageModel m = Models.create("swin_tiny_patch4_window7_224", ModelOptions.of(5));
             SafeTensors.Contents data = SafeTensors.read(d.resolve("swin_tiny_io.safetensors"))) {
            Weights.load(m, weights, false);
            m.train(false);
            float[] actual;
            try (var s = Memory.step()) {
                actual = Tensors.toFloats(m.forward(data.tensors().get("x")));
            }
            float diff = ModelFixtures.maxAbsDiff(Tensors.toFloats(data.tensors().get("logits")), actual);
            System.out.println("swin_tiny_patch4_window7_224 at 224: max abs diff " + diff);
            assertTrue(diff <= TOLERANCE, "max abs diff " + diff + " (expected: <= " + TOLERANCE + ")");
        }
    }

    @Test
    void windowAndShift_followTimmRules() {
        try (SwinTransformer m32 = SwinTransformer.create(tiny(32));
             SwinTransformer m64 = SwinTransformer.create(tiny(64))) {
            // 32: stage 0 map 8x8 > window 4 (odd block shifted by 2); stage 1 map 4x4 = window: no shift
            assertArrayEquals(new int[] {4, 0}, m32.windowAndShift(0, 0));
            assertArrayEquals(new int[] {4, 2}, m32.windowAndShift(0, 1));
            assertArrayEquals(new int[] {4, 0}, m32.windowAndShift(1, 1));
            assertArrayEquals(new int[] {4, 2}, m64.windowAndShift(1, 1));
        }
        SwinTransformer.Config small = new SwinTransformer.Config(24, 4, 7, 16, new int[] {2, 2}, new int[] {1, 2}, 5, 4.0, 0, 0);
        try (SwinTransformer m = SwinTransformer.create(small)) {
            // 6x6 then 3x3 maps, smaller than the window 7: the window shrinks to the map, unshifted
            assertArrayEquals(new int[] {6, 0}, m.windowAndShift(0, 1));
            assertArrayEquals(new int[] {3, 0}, m.windowAndShift(1, 1));
            assertArrayEquals(new long[] {25, 2}, Tensors.shape(m.stateDict().get("layers.1.blocks.1.attn.relative_position_bias_table")));
        }
    }

    @Test
    void shiftMask_separatesRegionsAsTimm() {
        // 4x4 map, window 2, shift 1: 4 windows; the last window mixes 4 regions
        float[] m = SwinTransformer.shiftMask(4, 4, 2, 2, 1, 1);
        assertEquals(4 * 4 * 4, m.length);
        for (int i = 0; i < 16; i++) {
            assertEquals(0f, m[i], "window 0 is one region");
        }
        int last = 3 * 16;
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(i == j ? 0f : -100f, m[last + i * 4 + j], "window 3 (" + i + "," + j + ")");
            }
        }
    }
}
