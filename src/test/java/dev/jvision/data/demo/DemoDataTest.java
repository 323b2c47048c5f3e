package dev.jvision.data.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDataTest {
  private static final int TRAIN = 40;
  private static final int TEST = 10;

  @TempDir static Path shared;
  private static Path first;
  private static DemoData.Summary summary;

  @BeforeAll
  static void generateOnce() throws IOException {
    first = shared.resolve("a");
    summary = DemoData.generate(first, TRAIN, TEST, 42L);
  }

  private static List<String[]> rows(Path csv, String header) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    assertEquals(header, lines.get(0), csv + " header");
    List<String[]> out = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      String[] parts = l.split(",", -1);
      assertEquals(2, parts.length, "row '" + l + "' of " + csv);
      out.add(parts);
    }
    return out;
  }

  @Test
  void classNames() {
    assertEquals(17, DemoData.CLASS_NAMES.size());
    assertEquals(17, new HashSet<>(DemoData.CLASS_NAMES).size());
    assertEquals("account_number", DemoData.CLASS_NAMES.get(0));
    assertEquals("vehicle_registration_plate", DemoData.CLASS_NAMES.get(16));
  }

  @Test
  void summaryAndLayout() throws IOException {
    assertEquals(new DemoData.Summary(first, TRAIN, TEST, 17), summary);
    List<String[]> train = rows(first.resolve("train.csv"), "ID,target");
    List<String[]> sub = rows(first.resolve("sample_submission.csv"), "ID,target");
    List<String[]> labels = rows(first.resolve("test_labels.csv"), "ID,target");
    List<String[]> meta = rows(first.resolve("meta.csv"), "target,class_name");
    assertEquals(TRAIN, train.size());
    assertEquals(TEST, sub.size());
    assertEquals(TEST, labels.size());
    assertEquals(17, meta.size());
    for (int i = 0; i < 17; i++) {
      assertEquals(String.valueOf(i), meta.get(i)[0]);
      assertEquals(DemoData.CLASS_NAMES.get(i), meta.get(i)[1]);
    }
    for (int i = 0; i < TEST; i++) {
      assertEquals(labels.get(i)[0], sub.get(i)[0], "same test ID order");
      assertEquals("0", sub.get(i)[1]);
    }
    Set<String> ids = new HashSet<>();
    for (String[] r : train) {
      assertTrue(r[0].matches("[0-9a-f]{16}\\.jpg"), r[0]);
      assertTrue(ids.add(r[0]), "duplicate " + r[0]);
    }
    for (String[] r : labels) {
      assertTrue(r[0].matches("[0-9a-f]{16}\\.jpg"), r[0]);
      assertTrue(ids.add(r[0]), "duplicate " + r[0]);
      int y = Integer.parseInt(r[1]);
      assertTrue(y >= 0 && y < 17);
    }
    try (var s = Files.list(first.resolve("train"))) {
      assertEquals(TRAIN, s.count());
    }
    try (var s = Files.list(first.resolve("test"))) {
      assertEquals(TEST, s.count());
    }
  }

  @Test
  void allClassesPresentAndBalanced() throws IOException {
    int[] counts = new int[17];
    for (String[] r : rows(first.resolve("train.csv"), "ID,target")) {
      counts[Integer.parseInt(r[1])]++;
    }
    for (int c = 0; c < 17; c++) {
      assertTrue(counts[c] >= TRAIN / 17, "class " + c + " count " + counts[c]);
      assertTrue(counts[c] <= TRAIN / 17 + 1, "class " + c + " count " + counts[c]);
    }
  }

  @Test
  void everyImageDecodes() throws IOException {
    for (String[] r : rows(first.resolve("train.csv"), "ID,target")) {
      checkImage(first.resolve("train").resolve(r[0]));
    }
    for (String[] r : rows(first.resolve("test_labels.csv"), "ID,target")) {
      checkImage(first.resolve("test").resolve(r[0]));
    }
  }

  private static void checkImage(Path p) throws IOException {
    assertTrue(Files.isRegularFile(p), p.toString());
    BufferedImage img = ImageIO.read(p.toFile());
    assertNotNull(img, "ImageIO cannot decode " + p);
    int longSide = Math.max(img.getWidth(), img.getHeight());
    assertTrue(longSide >= 150 && longSide <= 520, p + " long side " + longSide);
  }

  @Test
  void sameSeedIsByteIdentical() throws IOException {
    Path second = shared.resolve("b");
    DemoData.generate(second, TRAIN, TEST, 42L);
    for (String csv : List.of("train.csv", "sample_submission.csv", "test_labels.csv", "meta.csv")) {
      assertArrayEquals(Files.readAllBytes(first.resolve(csv)), Files.readAllBytes(second.resolve(csv)), csv);
    }
    List<String[]> train = rows(first.resolve("train.csv"), "ID,target");
    for (String[] r : train) {
      assertArrayEquals(
          Files.readAllBytes(first.resolve("train").resolve(r[0])),
          Files.readAllBytes(second.resolve("train").resolve(r[0])),
          r[0]);
    }
    for (String[] r : rows(first.resolve("test_labels.csv"), "ID,target")) {
      assertArrayEquals(
          Files.readAllBytes(first.resolve("test").resolve(r[0])),
          Files.readAllBytes(second.resolve("test").resolve(r[0])),
          r[0]);
    }
  }

  @Test
  void differentSeedDiffers() throws IOException {
    Path other = shared.resolve("c");
    DemoData.generate(other, TRAIN, TEST, 43L);
    assertFalse(
        Arrays.equals(Files.readAllBytes(first.resolve("train.csv")), Files.readAllBytes(other.resolve("train.csv"))));
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(first.resolve("test_labels.csv")),
            Files.readAllBytes(other.resolve("test_labels.csv"))));
  }

  @Test
  void noTempFilesLeft() throws IOException {
    try (var s = Files.list(first)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
    }
  }

  @Test
  void badArguments() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DemoData.generate(shared.resolve("x"), 5, 10, 1L));
    assertEquals("numTrain: 5 (expected: >= 17)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DemoData.generate(shared.resolve("x"), 17, 0, 1L));
    assertEquals("numTest: 0 (expected: >= 1)", e.getMessage());
    assertFalse(Files.exists(shared.resolve("x")), "nothing created on bad args");
  }
}
