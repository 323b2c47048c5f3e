package dev.jvision.infer.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.infer.onnx.OnnxDetector;
import dev.jvision.infer.onnx.OnnxModel;
import dev.jvision.models.detect.DetectionDecoder;
import dev.jvision.models.detect.Detections;
import dev.jvision.models.detect.Detector;
import dev.jvision.models.detect.DetectorOptions;
import dev.jvision.models.detect.DetectorOutput;
import dev.jvision.models.detect.Detectors;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered detector, with seeded weights and BatchNorm statistics calibrated on the
 * input ({@link DetectorFixtures}), exported at 64 px gives in ONNX Runtime what libtorch's
 * {@code forwardDetect} gives, at batch 4 and batch 1, float32, 2 threads: the raw packed
 * logits and the sigmoid scores within 1e-4 absolute, the boxes within 1e-4 of the input size
 * (they are pixel coordinates up to {@code reg_max x 32} px) - or, where ONNX Runtime disagrees
 * with itself by more (the same file with its extended fusions on and off: these deep random
 * SiLU networks amplify float32 rounding, up to ~5e-4 on logits for det_medium and
 * det_resnet50), within twice that disagreement. A wrong layer gives errors orders of magnitude
 * above both. Also: the graph with preprocessing and BatchNorm kept as nodes, the detections
 * after jvision's NMS, the metadata, and bad sizes.
 */
class DetectorOnnxParityTest {
    static final int SIZE = 64;
    static final int CLASSES = 3;
    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;

    @BeforeAll
    static void threads() {
        TorchSettings.setThreads(2);
    }

    static Stream<String> detectors() {
        return Detectors.list(System.getProperty("jvision.onnx.detectors", "*")).stream();
    }

    /** Libtorch's outputs {boxes, scores, packed} of {@code x} as flat arrays. */
    static float[][] libtorch(Detector d, float[] x, int n) {
        try (NoGradGuard ng = new NoGradGuard(); var scope = Memory.step()) {
            DetectorOutput o = d.forwardDetect(Tensors.fromFloats(x, n, 3, SIZE, SIZE));
            return new float[][] {Tensors.toFloats(o.boxes().contiguous()), Tensors.toFloats(o.scores().contiguous()),
                    Tensors.toFloats(o.packed().contiguous())};
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "output sizes");
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * Asserts ORT's outputs {@code got} match libtorch's {@code want} ({boxes, scores, packed}):
     * each within its tolerance (1e-4; boxes 1e-4 of the input size) or, where larger, within
     * twice ONNX Runtime's own disagreement {@code self} (the same graph run with and without its
     * extended fusions), when given.
     */
    static void assertParity(String what, float[][] want, OnnxDetector.Outputs got, OnnxDetector.Outputs self) {
        double db = maxAbsDiff(want[0], got.boxes());
        double ds = maxAbsDiff(want[1], got.scores());
        double dp = maxAbsDiff(want[2], got.predictions());
        double nb = self == null ? 0 : maxAbsDiff(self.boxes(), got.boxes());
        double ns = self == null ? 0 : maxAbsDiff(self.scores(), got.scores());
        double np = self == null ? 0 : maxAbsDiff(self.predictions(), got.predictions());
        System.out.printf("%s: max |diff| boxes %.2e px (max %.1f), scores %.2e, logits %.2e (max |logit| %.2f); "
                + "ORT all vs basic optimisation: boxes %.2e, scores %.2e, logits %.2e%n", what, db, maxAbs(want[0]), ds, dp,
                maxAbs(want[2]), nb, ns, np);
        double tp = Math.max(TOLERANCE, 2 * np);
        double ts = Math.max(TOLERANCE, 2 * ns);
        double tb = Math.max(TOLERANCE * SIZE, 2 * nb);
        assertTrue(dp <= tp, what + ": logits max |diff| " + dp + " (expected: <= " + tp + ")");
        assertTrue(ds <= ts, what + ": scores max |diff| " + ds + " (expected: <= " + ts + ")");
        assertTrue(db <= tb, what + ": boxes max |diff| " + db + " px (expected: <= " + tb + ")");
    }

    @ParameterizedTest
    @MethodSource("detectors")
    void registeredDetector_onnxRuntimeOutputs_matchLibtorch_atBatch4And1(String name) throws Exception {
        Path file = dir.resolve(name + ".onnx");
        float[] x = DetectorFixtures.images(4, SIZE, name.hashCode());
        float[] x1 = Arrays.copyOf(x, 3 * SIZE * SIZE);
        float[][] want4;
        float[][] want1;
        long t0 = System.nanoTime();
        try (Detector d = Detectors.create(name, DetectorOptions.of(CLASSES))) {
            DetectorFixtures.seed(d, x, 4, SIZE);
            want4 = libtorch(d, x, 4);
            want1 = libtorch(d, x1, 1);
            OnnxExporter.write(OnnxExporter.buildDetector(d, OnnxExporter.DetectionInfo.defaults(),
                    OnnxExporter.Options.of(SIZE)), file);
        }
        long t1 = System.nanoTime();
        OnnxDetector.Outputs got4;
        OnnxDetector.Outputs got1;
        OnnxDetector.Outputs basic4;
        OnnxDetector.Outputs basic1;
        try (OnnxDetector onnx = OnnxDetector.open(file, 2)) {
            assertEquals(64 + 16 + 4, onnx.anchors());
            assertEquals(CLASSES, onnx.numClasses());
            got4 = onnx.run(x, 4, true);
            got1 = onnx.run(x1, 1, true);
        }
        try (OnnxDetector onnx = OnnxDetector.open(file, 2, OrtSession.SessionOptions.OptLevel.BASIC_OPT)) {
            basic4 = onnx.run(x, 4, true);
            basic1 = onnx.run(x1, 1, true);
        }
        System.out.printf("%s: libtorch + export %.1f s, ORT %.1f s%n", name, (t1 - t0) / 1e9,
                (System.nanoTime() - t1) / 1e9);
        String keep = System.getProperty("jvision.onnx.keep"); // scripts/check_onnx.py checks the files kept here
        if (keep != null && !keep.isBlank()) {
            Files.createDirectories(Path.of(keep));
            Files.move(file, Path.of(keep).resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(file);
        }
        assertParity(name + " batch 4", want4, got4, basic4);
        assertParity(name + " batch 1", want1, got1, basic1);
    }

    @Test
    void preprocessingAndKeptBatchNorm_matchLibtorch_andNmsGivesTheLibtorchDetections() throws Exception {
        Path file = dir.resolve("det_pre.onnx");
        byte[] px = new byte[2 * SIZE * SIZE * 3];
        new java.util.Random(5).nextBytes(px);
        float[] x = new float[2 * 3 * SIZE * SIZE];
        int hw = SIZE * SIZE;
        for (int i = 0; i < 2; i++) {
            for (int p = 0; p < hw; p++) {
                for (int c = 0; c < 3; c++) {
                    x[(i * 3 + c) * hw + p] = (px[(i * hw + p) * 3 + c] & 0xFF) / 255f;
                }
            }
        }
        DetectionDecoder.Options opts = new DetectionDecoder.Options(0.2, 0.5, 50, 3000, false);
        float[][] want;
        List<List<Detections.Box>> wantBoxes;
        try (Detector d = Detectors.create("det_resnet18", DetectorOptions.of(CLASSES))) {
            DetectorFixtures.seed(d, x, 2, SIZE);
            want = libtorch(d, x, 2);
            try (var scope = Memory.step()) {
                wantBoxes = d.predict(Tensors.fromFloats(x, 2, 3, SIZE, SIZE), opts).toLists();
            }
            OnnxExporter.write(OnnxExporter.buildDetector(d, new OnnxExporter.DetectionInfo(List.of("a", "b", "c"),
                    new long[] {3, 5, 9}, 0.2, 0.5, 50), OnnxExporter.Options.of(SIZE).withPreprocessing(true)
                    .withFoldBatchNorm(false)), file);
        }
        try (OnnxDetector onnx = OnnxDetector.open(file, 2)) {
            assertTrue(onnx.takesPixels());
            assertEquals(List.of("a", "b", "c"), onnx.classNames());
            assertEquals(List.of(3L, 5L, 9L), Arrays.stream(onnx.categoryIds()).boxed().toList());
            assertEquals(opts, onnx.decoderOptions());
            assertEquals("detection", onnx.metadata().get("jvision.task"));
            OnnxDetector.Outputs basic;
            try (OnnxDetector b = OnnxDetector.open(file, 2, OrtSession.SessionOptions.OptLevel.BASIC_OPT)) {
                basic = b.runPixels(px, 2, true);
            }
            assertParity("det_resnet18 uint8 input, BatchNormalization nodes", want, onnx.runPixels(px, 2, true), basic);
            List<List<Detections.Box>> got = onnx.detect(px, 2, onnx.decoderOptions());
            assertTrue(wantBoxes.stream().mapToInt(List::size).sum() > 0, "the seeded detector finds boxes at conf 0.2");
            assertEquals(wantBoxes.size(), got.size());
            for (int i = 0; i < got.size(); i++) {
                assertEquals(wantBoxes.get(i).size(), got.get(i).size(), "boxes of image " + i);
                for (int j = 0; j < got.get(i).size(); j++) {
                    Detections.Box a = wantBoxes.get(i).get(j);
                    Detections.Box b = got.get(i).get(j);
                    assertEquals(a.classId(), b.classId());
                    assertEquals(a.score(), b.score(), TOLERANCE);
                    assertEquals(a.x1(), b.x1(), TOLERANCE * SIZE);
                    assertEquals(a.y2(), b.y2(), TOLERANCE * SIZE);
                }
            }
        }
        IllegalArgumentException notClassifier = assertThrows(IllegalArgumentException.class,
                () -> OnnxModel.open(file, 1));
        assertTrue(notClassifier.getMessage().contains("detect"), notClassifier.getMessage());
        assertTrue(OnnxDetector.isDetection(file));
    }

    @Test
    void sizeNotAMultipleOf32_isRejected() {
        try (Detector d = Detectors.create("det_tiny", DetectorOptions.of(CLASSES))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.buildDetector(d,
                    OnnxExporter.DetectionInfo.defaults(), OnnxExporter.Options.of(70)));
            assertTrue(e.getMessage().contains("70") && e.getMessage().contains("32"), e.getMessage());
        }
    }
}
