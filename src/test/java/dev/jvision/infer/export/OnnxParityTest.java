package dev.jvision.infer.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.infer.onnx.OnnxModel;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.SeededModels;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered model, exported with seeded non-trivial weights (layer scales, BatchNorm
 * statistics, biases and relative position tables away from their initial values), gives in
 * ONNX Runtime the logits libtorch gives, at batch 1 and batch 8, float32, 2 threads each.
 *
 * <p>Input sizes: the model's default, except the largest models, exported at a reduced size
 * to keep the test within CI time on 2 cores ({@link #REDUCED}); the Swin models at a reduced
 * size still run shifted windows in their first stages and are zero-padded in their last, as
 * the model itself computes at that size.
 */
class OnnxParityTest {
    /**
     * Models exported at a reduced size in this test (name -> pixels; default size in brackets),
     * the ones above ~8 GMACs per image or ~50M parameters; all others run at their default size.
     * {@code -Djvision.onnx.fullSize=true} runs these at their default size too.
     */
    static final Map<String, Integer> REDUCED = Map.ofEntries(
            Map.entry("resnet101", 160),                       // [224]
            Map.entry("convnext_small", 128),                  // [224]
            Map.entry("convnext_base", 128),                   // [224]
            Map.entry("convnext_large", 96),                   // [224]
            Map.entry("swin_small_patch4_window7_224", 112),   // [224]: last stage 4x4 zero-padded to 7x7
            Map.entry("swin_base_patch4_window7_224", 112),    // [224]
            Map.entry("swin_base_patch4_window12_384", 192),   // [384]: last stage 6x6 zero-padded to 12x12
            Map.entry("tf_efficientnetv2_s", 192),             // [300]
            Map.entry("tf_efficientnetv2_m", 160),             // [384]
            Map.entry("efficientnetv2_rw_s", 192));            // [288]
    static final double TOLERANCE = 1e-4;

    @TempDir
    static Path dir;

    @BeforeAll
    static void threads() {
        TorchSettings.setThreads(2);
    }

    /** All registered models ({@code -Djvision.onnx.models=GLOB} narrows it when debugging). */
    static Stream<String> models() {
        return Models.list(System.getProperty("jvision.onnx.models", "*")).stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void registeredModel_onnxRuntimeLogits_matchLibtorch_atBatch1And8(String name) throws Exception {
        ModelSpec spec = Models.spec(name);
        int size = Boolean.getBoolean("jvision.onnx.fullSize") ? spec.inputSize()
                : REDUCED.getOrDefault(name, spec.inputSize());
        long t0 = System.nanoTime();
        Path file = dir.resolve(name + ".onnx");
        float[] input = SeededModels.images(spec, size, 8);
        float[][] expected8;
        float[][] expected1;
        try (ImageModel m = Models.create(name, ModelOptions.of(17))) {
            SeededModels.fill(m, bnVarLog2(name));
            m.train(false);
            expected8 = forward(m, input, 8, size);
            expected1 = forward(m, java.util.Arrays.copyOf(input, 3 * size * size), 1, size);
            OnnxExporter.write(OnnxExporter.build(List.of(OnnxExporter.Member.of(m)), List.of(),
                    OnnxExporter.Options.of(size)), file);
        }
        long t1 = System.nanoTime();
        float[][] got8;
        float[][] got1;
        try (OnnxModel onnx = OnnxModel.open(file, 2)) {
            got8 = onnx.logits(input, 8);
            got1 = onnx.logits(java.util.Arrays.copyOf(input, 3 * size * size), 1);
        }
        long t2 = System.nanoTime();
        String keep = System.getProperty("jvision.onnx.keep"); // scripts/check_onnx.py checks the files kept here
        if (keep != null && !keep.isBlank()) {
            java.nio.file.Files.createDirectories(Path.of(keep));
            java.nio.file.Files.move(file, Path.of(keep).resolve(file.getFileName()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            java.nio.file.Files.delete(file);
        }
        double d8 = maxAbsDiff(expected8, got8);
        double d1 = maxAbsDiff(expected1, got1);
        System.out.printf("%s %d px: max |diff| batch 8 %.2e, batch 1 %.2e, max |logit| %.2f (libtorch+export %.1f s, ort %.1f s)%n",
                name, size, d8, d1, maxAbs(expected8), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        assertEquals(8, got8.length);
        assertTrue(d8 <= TOLERANCE, name + ": batch 8 max |diff| " + d8 + " (expected: <= " + TOLERANCE + ")");
        assertTrue(d1 <= TOLERANCE, name + ": batch 1 max |diff| " + d1 + " (expected: <= " + TOLERANCE + ")");
    }

    /**
     * The seed rule's BatchNorm calibration of {@code name} (empty for models without BatchNorm),
     * made by scripts/make_onnx_bn_calibration.py with timm on the rule's images.
     */
    static Map<String, Integer> bnVarLog2(String name) throws java.io.IOException {
        try (var in = OnnxParityTest.class.getResourceAsStream("/onnx/bn_var_log2.json")) {
            Map<String, Map<String, Integer>> all = new com.fasterxml.jackson.databind.ObjectMapper().readValue(in,
                    new com.fasterxml.jackson.core.type.TypeReference<Map<String, Map<String, Integer>>>() {});
            return all.getOrDefault(name, Map.of());
        }
    }

    static float[] input(int n, int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * 3 * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static float[][] forward(ImageModel m, float[] x, int n, int size) {
        try (NoGradGuard ng = new NoGradGuard(); var scope = Memory.step()) {
            float[] flat = Tensors.toFloats(m.forward(Tensors.fromFloats(x, n, 3, size, size)));
            int c = flat.length / n;
            float[][] out = new float[n][c];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * c, out[i], 0, c);
            }
            return out;
        }
    }

    static double maxAbsDiff(float[][] a, float[][] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                d = Math.max(d, Math.abs(a[i][j] - b[i][j]));
            }
        }
        return d;
    }

    static double maxAbs(float[][] a) {
        double d = 0;
        for (float[] r : a) {
            for (float v : r) {
                d = Math.max(d, Math.abs(v));
            }
        }
        return d;
    }
}
