package dev.jvision.infer;

import static org.junit.jupiter.api.Assertions.*;

import dev.jvision.models.ConvNeXt;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.SafeTensors;
import dev.jvision.models.Weights;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logits over an image folder against timm (fixtures from src/test/python/make_convnext_fixtures.py). */
class FolderInferenceTest {
    static final double TOLERANCE = 1e-4;
    static final Device CPU = Device.parse("cpu");

    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(FolderInferenceTest.class.getResource("/models/convnext/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing fixture " + name + " (run src/test/python/make_convnext_fixtures.py)", e);
        }
    }

    static ConvNeXt tiny() throws IOException {
        ConvNeXt m = ConvNeXt.create(ConvNeXt.Config.of(new int[] {1, 1, 2, 1}, new int[] {8, 16, 24, 32}, false),
                ModelOptions.of(5));
        Weights.load(m, fixture("tiny.safetensors"), false);
        return m;
    }

    static float[][] expected() throws IOException {
        try (SafeTensors.Contents c = SafeTensors.read(fixture("folder_logits.safetensors"))) {
            float[] flat = Tensors.toFloats(c.tensors().get("logits"));
            return new float[][] {java.util.Arrays.copyOfRange(flat, 0, 5), java.util.Arrays.copyOfRange(flat, 5, 10)};
        }
    }

    /** Rows of the CSV: name then logits; checks the header. */
    static Map<String, float[]> readCsv(Path csv, int classes, List<String> order) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        StringBuilder header = new StringBuilder("image");
        for (int c = 0; c < classes; c++) {
            header.append(",c").append(c);
        }
        assertEquals(header.toString(), lines.get(0));
        assertEquals(order.size() + 1, lines.size(), lines.toString());
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            assertEquals(order.get(i - 1), f[0], "row order (sorted by file name)");
            float[] v = new float[f.length - 1];
            for (int k = 1; k < f.length; k++) {
                v[k - 1] = Float.parseFloat(f[k]);
            }
            out.put(f[0], v);
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= TOLERANCE,
                    what + " class " + i + ": " + actual[i] + " (expected: " + expected[i] + " within " + TOLERANCE + ")");
        }
    }

    private Path imagesCopy() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        Files.copy(fixture("images/a.png"), dir.resolve("a.png"));
        Files.copy(fixture("images/b.png"), dir.resolve("b.png"));
        return dir;
    }

    @Test
    void noResize_matchesTimmOnUint8Pngs_ignoresOtherFiles() throws IOException {
        Path dir = imagesCopy();
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        Files.createDirectories(dir.resolve("sub.png"));
        Files.copy(fixture("images/a.png"), dir.resolve("C.PNG")); // upper-case extension, sorts first
        Path csv = tmp.resolve("out/logits.csv");
        int n;
        try (ConvNeXt m = tiny()) {
            n = FolderInference.writeLogits(m, dir, csv, null, true, CPU);
        }
        assertEquals(3, n);
        float[][] exp = expected();
        Map<String, float[]> rows = readCsv(csv, 5, List.of("C.PNG", "a.png", "b.png"));
        assertClose(exp[0], rows.get("a.png"), "a.png");
        assertClose(exp[1], rows.get("b.png"), "b.png");
        assertClose(exp[0], rows.get("C.PNG"), "C.PNG");
        double diff = 0;
        for (int i = 0; i < 5; i++) {
            diff = Math.max(diff, Math.max(Math.abs(exp[0][i] - rows.get("a.png")[i]), Math.abs(exp[1][i] - rows.get("b.png")[i])));
        }
        System.out.println("folder inference parity with timm (uint8 PNGs, no resize): max abs diff " + diff);
        assertTrue(Files.list(csv.getParent()).allMatch(p -> p.equals(csv)), "no temp files left behind");
    }

    @Test
    void imgSize_resizesToSquare_andBatchesEqualSizes() throws IOException {
        Path dir = imagesCopy();
        Files.copy(fixture("images/a.png"), dir.resolve("a2.png"));
        Path csv = tmp.resolve("resized.csv");
        try (ConvNeXt m = tiny()) {
            assertEquals(3, FolderInference.writeLogits(m, dir, csv, 64, false, CPU));
        }
        Map<String, float[]> rows = readCsv(csv, 5, List.of("a.png", "a2.png", "b.png"));
        float[][] exp = expected();
        assertClose(exp[0], rows.get("a.png"), "a.png is already 64x64: no resize");
        assertClose(exp[0], rows.get("a2.png"), "a2.png");
        assertEquals(5, rows.get("b.png").length);
        assertFalse(java.util.Arrays.equals(exp[1], rows.get("b.png")), "b.png (80x48) is resized to 64x64");
    }

    @Test
    void grayscalePng_equalsReplicatedRgb() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("gray"));
        BufferedImage g = new BufferedImage(40, 36, BufferedImage.TYPE_BYTE_GRAY);
        BufferedImage c = new BufferedImage(40, 36, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 36; y++) {
            for (int x = 0; x < 40; x++) {
                int v = (x * 7 + y * 13) % 256;
                g.getRaster().setSample(x, y, 0, v);
                c.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        ImageIO.write(g, "png", dir.resolve("g.png").toFile());
        ImageIO.write(c, "png", dir.resolve("rgb.png").toFile());
        Path csv = tmp.resolve("gray.csv");
        try (ConvNeXt m = tiny()) {
            FolderInference.writeLogits(m, dir, csv, null, true, CPU);
        }
        Map<String, float[]> rows = readCsv(csv, 5, List.of("g.png", "rgb.png"));
        assertArrayEquals(rows.get("rgb.png"), rows.get("g.png"));
    }

    @Test
    void byName_loadsRegisteredModelAndWeights() throws IOException {
        TorchSettings.seed(7);
        Path weights = tmp.resolve("atto.safetensors");
        Path csv = tmp.resolve("atto.csv");
        float[] direct;
        try (ImageModel m = Models.create("convnext_atto", ModelOptions.of(3))) {
            Weights.save(m, weights, Map.of());
            FolderInference.writeLogits(m, imagesCopy(), tmp.resolve("direct.csv"), 32, false, CPU);
            direct = readCsv(tmp.resolve("direct.csv"), 3, List.of("a.png", "b.png")).get("b.png");
        }
        assertEquals(2, FolderInference.writeLogits("convnext_atto", weights, 3, tmp.resolve("images"), csv, 32, false, CPU));
        assertArrayEquals(direct, readCsv(csv, 3, List.of("a.png", "b.png")).get("b.png"));
    }

    @Test
    void channelsLast_givesTheSameLogitsAsContiguous() throws IOException {
        TorchSettings.seed(8);
        Path weights = tmp.resolve("atto_cl.safetensors");
        try (ImageModel m = Models.create("convnext_atto", ModelOptions.of(5))) {
            Weights.save(m, weights, Map.of());
        }
        Path plain = tmp.resolve("plain.csv");
        Path cl = tmp.resolve("cl.csv");
        FolderInference.writeLogits("convnext_atto", weights, 5, imagesCopy(), plain, 48, false, CPU, false);
        FolderInference.writeLogits("convnext_atto", weights, 5, tmp.resolve("images"), cl, 48, false, CPU, true);
        List<String> names = List.of("a.png", "b.png");
        Map<String, float[]> a = readCsv(plain, 5, names);
        Map<String, float[]> b = readCsv(cl, 5, names);
        for (String n : names) {
            assertClose(a.get(n), b.get(n), n + " channels-last vs contiguous");
        }
    }

    @Test
    void wrongWeights_giveWeightsMessage_andLeaveExistingCsv() throws IOException {
        Path dir = imagesCopy();
        Path csv = tmp.resolve("keep.csv");
        Files.writeString(csv, "old");
        var e = assertThrows(IllegalArgumentException.class, () -> FolderInference.writeLogits("convnext_atto",
                fixture("tiny.safetensors"), 5, dir, csv, null, false, CPU));
        assertTrue(e.getMessage().contains("tiny.safetensors: weights do not fit model 'convnext_atto'"), e.getMessage());
        assertEquals("old", Files.readString(csv));
        // wrong class count: the head is reported, not silently replaced
        e = assertThrows(IllegalArgumentException.class, () -> FolderInference.writeLogits("convnext_atto",
                fixture("tiny.safetensors"), 7, dir, csv, 64, false, CPU));
        assertTrue(e.getMessage().contains("mis-shaped keys"), e.getMessage());
    }

    @Test
    void badInputs_areReported() throws IOException {
        Path dir = imagesCopy();
        Path csv = tmp.resolve("x.csv");
        Path w = fixture("tiny.safetensors");
        var e = assertThrows(IllegalArgumentException.class,
                () -> FolderInference.writeLogits("convnext_atto", w, 5, dir, csv, 64, true, CPU));
        assertTrue(e.getMessage().contains("img_size: 64 with no_resize"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FolderInference.writeLogits("convnext_atto", w, 5, dir, csv, 0, false, CPU));
        assertTrue(e.getMessage().startsWith("img_size: 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FolderInference.writeLogits("convnext_atoo", w, 5, dir, csv, null, false, CPU));
        assertTrue(e.getMessage().contains("'convnext_atto'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FolderInference.writeLogits("convnext_atto", w, 0, dir, csv, null, false, CPU));
        assertTrue(e.getMessage().startsWith("num_classes: 0"), e.getMessage());
        var nf = assertThrows(NoSuchFileException.class,
                () -> FolderInference.writeLogits("convnext_atto", tmp.resolve("none.safetensors"), 5, dir, csv, null, false, CPU));
        assertTrue(nf.getMessage().contains("none.safetensors"), nf.getMessage());
        nf = assertThrows(NoSuchFileException.class,
                () -> FolderInference.writeLogits("convnext_atto", w, 5, tmp.resolve("nodir"), csv, null, false, CPU));
        assertTrue(nf.getMessage().contains("nodir"), nf.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "x");
        e = assertThrows(IllegalArgumentException.class, () -> FolderInference.listImages(empty));
        assertTrue(e.getMessage().contains("no images") && e.getMessage().contains(".png"), e.getMessage());
        Files.writeString(dir.resolve("broken.png"), "not a png");
        try (ConvNeXt m = tiny()) {
            var io = assertThrows(IOException.class, () -> FolderInference.writeLogits(m, dir, csv, null, true, CPU));
            assertTrue(io.getMessage().contains("broken.png"), io.getMessage());
            io = assertThrows(IOException.class, () -> FolderInference.writeLogits(m, dir, csv, 32, false, CPU));
            assertTrue(io.getMessage().contains("broken.png"), io.getMessage());
        }
        assertFalse(Files.exists(csv));
    }

    @Test
    void csvField_quotesOnlyWhenNeeded() {
        assertEquals("a.png", FolderInference.csvField("a.png"));
        assertEquals("\"a,b.png\"", FolderInference.csvField("a,b.png"));
        assertEquals("\"a\"\"b.png\"", FolderInference.csvField("a\"b.png"));
    }
}
