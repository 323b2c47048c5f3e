package dev.jvision.data.demo;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Synthetic document-image dataset in the layout of the "document type classification"
 * competition: 17 document classes (cards, forms, receipts, a dashboard, licence plates), clean-ish
 * train images and test images carrying the competition's corruptions (rotations, flips, blur,
 * noise, brightness/contrast, JPEG artefacts).
 *
 * <p>Output of {@link #generate}:
 *
 * <pre>
 * train.csv              ID,target
 * train/&lt;ID&gt;            JPEG images
 * test/&lt;ID&gt;             JPEG images (corrupted)
 * sample_submission.csv  ID,target   (target 0 everywhere)
 * test_labels.csv        ID,target   (true test labels, for scoring)
 * meta.csv               target,class_name
 * </pre>
 *
 * <p>Rendering is pure Java2D + ImageIO (headless), and fully deterministic: the same arguments
 * give byte-identical files on the same JVM/platform.
 *
 * <p>Thread-safety: this class is stateless; {@link #generate} may be called concurrently from
 * several threads as long as they write to different output folders.
 */
public final class DemoData {
  /** Class names, index = target id. Exactly 17. */
  public static final List<String> CLASS_NAMES =
      List.of(
          "account_number",
          "application_for_payment_of_pregnancy_medical_expenses",
          "car_dashboard",
          "confirmation_of_admission_and_discharge",
          "diagnosis",
          "driver_license",
          "medical_bill_receipts",
          "medical_outpatient_certificate",
          "national_id_card",
          "passport",
          "payment_confirmation",
          "pharmaceutical_receipt",
          "prescription",
          "resume",
          "statement_of_opinion",
          "vehicle_registration_certificate",
          "vehicle_registration_plate");

  private static final float JPEG_QUALITY = 0.9f;
  private static final double GRAY_FRACTION = 0.02;
  private static final int MAX_THREADS = 4;

  private DemoData() {}

  /**
   * What {@link #generate} wrote.
   *
   * @param root the output folder
   * @param numTrain number of train images
   * @param numTest number of test images
   * @param numClasses number of classes (17)
   */
  public record Summary(Path root, int numTrain, int numTest, int numClasses) {}

  /**
   * Renders the dataset into outDir (created). Deterministic by seed: same args -> byte-identical
   * files. Existing files of the same names are replaced; other files in outDir are left alone.
   *
   * @param outDir output folder, created with parents if missing
   * @param numTrain train images, at least 17 (every class gets at least numTrain/17)
   * @param numTest test images, at least 1
   * @param seed random seed
   * @return what was written
   * @throws IllegalArgumentException on a bad count
   * @throws IOException if writing fails
   */
  public static Summary generate(Path outDir, int numTrain, int numTest, long seed)
      throws IOException {
    if (outDir == null) {
      throw new IllegalArgumentException("outDir: null");
    }
    int k = CLASS_NAMES.size();
    if (numTrain < k) {
      throw new IllegalArgumentException("numTrain: " + numTrain + " (expected: >= " + k + ")");
    }
    if (numTest < 1) {
      throw new IllegalArgumentException("numTest: " + numTest + " (expected: >= 1)");
    }
    Path trainDir = outDir.resolve("train");
    Path testDir = outDir.resolve("test");
    Files.createDirectories(trainDir);
    Files.createDirectories(testDir);

    // IDs: unique random hex names from the seed.
    Random idRng = new Random(mix(seed, 103));
    Set<String> seen = new HashSet<>();
    List<String> trainIds = new ArrayList<>(numTrain);
    List<String> testIds = new ArrayList<>(numTest);
    while (trainIds.size() < numTrain) {
      String id = String.format("%016x.jpg", idRng.nextLong());
      if (seen.add(id)) {
        trainIds.add(id);
      }
    }
    while (testIds.size() < numTest) {
      String id = String.format("%016x.jpg", idRng.nextLong());
      if (seen.add(id)) {
        testIds.add(id);
      }
    }
    // Labels: round robin, then shuffled.
    int[] trainY = balancedLabels(numTrain, k, new Random(mix(seed, 104)));
    int[] testY = balancedLabels(numTest, k, new Random(mix(seed, 105)));

    int threads = Math.max(1, Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()));
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            runnable -> {
              Thread t = new Thread(runnable, "demo-data-render");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> jobs = new ArrayList<>(numTrain + numTest);
      for (int i = 0; i < numTrain; i++) {
        final int idx = i;
        jobs.add(pool.submit(() -> writeImage(trainDir.resolve(trainIds.get(idx)), trainY[idx], mix(mix(seed, 101), idx), false)));
      }
      for (int i = 0; i < numTest; i++) {
        final int idx = i;
        jobs.add(pool.submit(() -> writeImage(testDir.resolve(testIds.get(idx)), testY[idx], mix(mix(seed, 102), idx), true)));
      }
      for (Future<?> f : jobs) {
        await(f);
      }
    } finally {
      pool.shutdownNow();
    }

    StringBuilder train = new StringBuilder("ID,target\n");
    for (int i = 0; i < numTrain; i++) {
      train.append(trainIds.get(i)).append(',').append(trainY[i]).append('\n');
    }
    StringBuilder sub = new StringBuilder("ID,target\n");
    StringBuilder labels = new StringBuilder("ID,target\n");
    for (int i = 0; i < numTest; i++) {
      sub.append(testIds.get(i)).append(",0\n");
      labels.append(testIds.get(i)).append(',').append(testY[i]).append('\n');
    }
    StringBuilder meta = new StringBuilder("target,class_name\n");
    for (int c = 0; c < k; c++) {
      meta.append(c).append(',').append(CLASS_NAMES.get(c)).append('\n');
    }
    writeAtomically(outDir.resolve("train.csv"), train.toString());
    writeAtomically(outDir.resolve("sample_submission.csv"), sub.toString());
    writeAtomically(outDir.resolve("test_labels.csv"), labels.toString());
    writeAtomically(outDir.resolve("meta.csv"), meta.toString());
    return new Summary(outDir, numTrain, numTest, k);
  }

  private static Void writeImage(Path file, int cls, long imageSeed, boolean test) throws IOException {
    Random r = new Random(imageSeed);
    BufferedImage img = DocRenderer.render(cls, r);
    if (test) {
      img = Degrade.corrupt(img, r);
    } else {
      img = Degrade.mild(img, r);
      if (r.nextDouble() < GRAY_FRACTION) {
        img = Degrade.gray(img);
      }
    }
    Files.write(file, ImageFiles.encodeJpeg(img, JPEG_QUALITY));
    return null;
  }

  private static void await(Future<?> f) throws IOException {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while rendering", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException(c);
    }
  }

  static int[] balancedLabels(int n, int k, Random r) {
    List<Integer> ys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ys.add(i % k);
    }
    Collections.shuffle(ys, r);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = ys.get(i);
    }
    return out;
  }

  /** SplitMix64-style mixing of a seed with a stream/index value. */
  static long mix(long seed, long v) {
    long z = seed + 0x9E3779B97F4A7C15L * (v + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static void writeAtomically(Path target, String content) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
    try {
      Files.write(tmp, content.getBytes(StandardCharsets.UTF_8));
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
