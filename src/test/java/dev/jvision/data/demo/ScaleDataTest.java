package dev.jvision.data.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.data.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleDataTest {
    @TempDir Path tmp;

    @Test
    void generate_writesManifestClassFileAndDecodableImagesOfTheAskedSize() throws IOException {
        ScaleData.Summary s = ScaleData.generate(tmp.resolve("a"), 30, 6, 12, 64, 7L, 2);
        assertEquals(36, s.images());
        List<String> classes = Files.readAllLines(s.classFile());
        assertEquals(12, classes.size());
        assertEquals("class_00", classes.get(0));
        assertEquals(12, new HashSet<>(classes).size());

        List<String> train = Files.readAllLines(s.trainCsv());
        List<String> val = Files.readAllLines(s.valCsv());
        assertEquals("image_path,label", train.get(0));
        assertEquals("image_path,label", val.get(0));
        assertEquals(31, train.size());
        assertEquals(7, val.size());
        Map<String, Integer> perClass = new HashMap<>();
        Set<String> paths = new HashSet<>();
        for (String line : train.subList(1, train.size())) {
            String[] f = line.split(",");
            assertEquals(2, f.length, line);
            assertTrue(classes.contains(f[1]), line);
            assertTrue(paths.add(f[0]), "duplicate " + line);
            perClass.merge(f[1], 1, Integer::sum);
            Images.Rgb img = Images.decode(s.root().resolve(f[0]));
            assertEquals(64, img.w());
            assertEquals(64, img.h());
        }
        assertEquals(12, perClass.size(), "36 balanced labels over 12 classes: each class in train");
    }

    @Test
    void generate_isDeterministicForASeedWhateverTheThreadCount() throws IOException {
        ScaleData.Summary a = ScaleData.generate(tmp.resolve("a"), 20, 0, 5, 48, 3L, 1);
        ScaleData.Summary b = ScaleData.generate(tmp.resolve("b"), 20, 0, 5, 48, 3L, 2);
        ScaleData.Summary c = ScaleData.generate(tmp.resolve("c"), 20, 0, 5, 48, 4L, 2);
        assertNull(a.valCsv());
        assertArrayEquals(Files.readAllBytes(a.trainCsv()), Files.readAllBytes(b.trainCsv()));
        boolean anyDiffers = false;
        for (String line : Files.readAllLines(a.trainCsv()).subList(1, 21)) {
            String p = line.split(",")[0];
            assertArrayEquals(Images.decode(a.root().resolve(p)).pixels(), Images.decode(b.root().resolve(p)).pixels(), p);
            anyDiffers |= !java.util.Arrays.equals(Images.decode(a.root().resolve(p)).pixels(),
                    Images.decode(c.root().resolve(p)).pixels());
        }
        assertTrue(anyDiffers, "another seed gives other images");
        assertFalse(Files.readString(a.trainCsv()).equals(Files.readString(c.trainCsv())), "another seed, other labels");
    }

    @Test
    void generate_rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScaleData.generate(tmp, 10, 0, 11, 64, 1L, 1));
        assertEquals("classes: 11 (expected: 1..10)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ScaleData.generate(tmp, 10, 0, 2, 8, 1L, 1));
    }

    @Test
    void className_isZeroPaddedToTheClassCount() {
        assertEquals("class_0042", ScaleData.className(42, 4523));
        assertEquals("class_7", ScaleData.className(7, 10));
    }
}
