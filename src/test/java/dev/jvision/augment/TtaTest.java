package dev.jvision.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TtaTest {
    private static final List<String> DIHEDRAL = Tta.DEFAULT_VIEWS.subList(0, 8);

    @BeforeAll
    static void natives() {
        NativeRuntime.init();
    }

    private static byte[] randomImage(int n, int h, int w, long seed) {
        byte[] b = new byte[n * h * w * 3];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void parse_numAugmentsPicksFirstViews() {
        List<Tta.View> v = Tta.parse(Tta.DEFAULT_VIEWS, 3);
        assertEquals(List.of("identity", "hflip", "vflip"), v.stream().map(Tta.View::name).toList());
        assertEquals(Tta.DEFAULT_VIEWS.size(), Tta.parse(Tta.DEFAULT_VIEWS, 0).size());
        assertTrue(v.get(0).isIdentity());
        assertEquals(0.9, Tta.parse("scale0.9").scale(), 1e-12);
        assertEquals(List.of("identity", "hflip", "vflip", "rot90", "rot180", "rot270", "transpose", "rot90+vflip",
                "scale0.9", "scale1.1"), dev.jvision.config.InferConfig.DEFAULT_TTA_VIEWS, "config default in step with Tta");
    }

    @Test
    void parse_badViewNamesItAndListsSteps() {
        var e = assertThrows(IllegalArgumentException.class, () -> Tta.parse("rot45"));
        assertTrue(e.getMessage().contains("'rot45'") && e.getMessage().contains("hflip"), e.getMessage());
        var n = assertThrows(IllegalArgumentException.class, () -> Tta.parse(List.of("identity"), 2));
        assertTrue(n.getMessage().startsWith("tta_num_augments: 2"), n.getMessage());
    }

    @Test
    void everyGeometricView_isExactlyInvertible_onPixelsAndFloats() {
        try (PointerScope scope = new PointerScope()) {
            byte[] img = randomImage(2, 5, 7, 1);
            Tensor x = Tensors.fromBytes(img, 2, 5, 7, 3);
            Tensor f = torch.randn(2, 3, 5, 7);
            for (String name : DIHEDRAL) {
                Tta.View v = Tta.parse(name);
                Tensor back = Tta.applyPixels(Tta.applyPixels(x, v), v.inverse());
                assertArrayEquals(img, bytes(back), name);
                Tensor fb = Tta.applyFloat(Tta.applyFloat(f, v), v.inverse());
                assertArrayEquals(Tensors.toFloats(f), Tensors.toFloats(fb), 0f, name);
            }
        }
    }

    @Test
    void pixelAndFloatViews_agree() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Tensors.fromBytes(randomImage(1, 4, 6, 2), 1, 4, 6, 3);
            for (String name : DIHEDRAL) {
                Tta.View v = Tta.parse(name);
                Tensor viaPixels = Tta.applyPixels(x, v).permute(0, 3, 1, 2).to(torch.ScalarType.Float);
                Tensor viaFloats = Tta.applyFloat(x.permute(0, 3, 1, 2).to(torch.ScalarType.Float), v);
                assertArrayEquals(Tensors.toFloats(viaPixels), Tensors.toFloats(viaFloats), 0f, name);
            }
        }
    }

    @Test
    void dihedralViews_areDistinct_andTheirAverageIsInvariantToTurnsAndOrder() {
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Tensors.fromBytes(randomImage(1, 6, 6, 3), 1, 6, 6, 3).to(torch.ScalarType.Float);
            Tensor probe = torch.randn(1, 6, 6, 3); // a fixed, orientation-sensitive "model"
            Set<String> seen = new HashSet<>();
            List<Double> outputs = new ArrayList<>();
            for (String name : DIHEDRAL) {
                Tensor y = Tta.applyPixels(x, Tta.parse(name));
                seen.add(java.util.Arrays.toString(Tensors.toFloats(y)));
                outputs.add((double) Tensors.toFloats(y.mul(probe).sum())[0]);
            }
            assertEquals(8, seen.size(), "the eight dihedral views are distinct");
            double mean = outputs.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            List<Double> shuffled = new ArrayList<>(outputs);
            Collections.shuffle(shuffled, new Random(5));
            assertEquals(mean, shuffled.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), 1e-6);
            // the TTA average of a turned/flipped input equals that of the input: views form a group
            for (String pre : List.of("rot90", "hflip", "rot90+vflip")) {
                Tensor xt = Tta.applyPixels(x, Tta.parse(pre));
                double m = 0;
                for (String name : DIHEDRAL) {
                    m += Tensors.toFloats(Tta.applyPixels(xt, Tta.parse(name)).mul(probe).sum())[0];
                }
                assertEquals(mean, m / 8, 1e-3 * Math.abs(mean) + 1e-3, pre);
            }
        }
    }

    @Test
    void scaleView_resizesFloatBatch_andIdentityIsUntouched() {
        try (PointerScope scope = new PointerScope()) {
            Tensor f = torch.randn(2, 3, 20, 20);
            Tensor s = Tta.applyScale(f, Tta.parse("scale1.1"));
            assertArrayEquals(new long[] {2, 3, 22, 22}, Tensors.shape(s));
            assertTrue(Tta.applyScale(f, Tta.identity()) == f);
            assertTrue(Tta.applyPixels(f, Tta.identity()) == f);
            assertFalse(Tta.parse("hflip+scale0.9").inverse().steps().stream()
                    .anyMatch(st -> st.kind() == Tta.Kind.SCALE));
        }
    }

    private static byte[] bytes(Tensor t) {
        float[] f = Tensors.toFloats(t);
        byte[] b = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            b[i] = (byte) (int) f[i];
        }
        return b;
    }
}
