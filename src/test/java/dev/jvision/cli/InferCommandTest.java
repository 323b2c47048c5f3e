package dev.jvision.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvision infer} on bad weights files: exit 2, one line naming the file, no stack trace. */
class InferCommandTest {
    @TempDir
    Path dir;

    private Path images() throws IOException {
        Path d = Files.createDirectories(dir.resolve("images"));
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "png", d.resolve("a.png").toFile());
        return d;
    }

    private static void assertOneLineNaming(MainTest.Result r, Path file, String what) {
        assertEquals(2, r.code(), r.err());
        r.assertNoStackTrace();
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains(file.toString()) && r.err().contains(what), r.err());
    }

    @Test
    void weights_garbageFile_exitsTwoWithOneLine() throws IOException {
        byte[] noise = new byte[2048];
        new Random(4).nextBytes(noise);
        Path w = Files.write(dir.resolve("garbage.safetensors"), noise);
        MainTest.Result r = MainTest.run("infer", "--model", "resnet18", "--weights", w.toString(), "--num-classes", "3",
                "--images", images().toString(), "--save-logits", dir.resolve("out.csv").toString(), "--device", "cpu");
        assertOneLineNaming(r, w, "not a safetensors file");
    }

    @Test
    void weights_truncatedFile_exitsTwoWithOneLine() throws IOException {
        // a valid header promising 4000 bytes of data, cut after 100
        String header = "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1000],\"data_offsets\":[0,4000]}}";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + h.length + 100).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path w = Files.write(dir.resolve("truncated.safetensors"), b.array());
        MainTest.Result r = MainTest.run("infer", "--model", "resnet18", "--weights", w.toString(), "--num-classes", "3",
                "--images", images().toString(), "--save-logits", dir.resolve("out.csv").toString(), "--device", "cpu");
        assertOneLineNaming(r, w, "data_offsets");
    }

    @Test
    void benchmark_truncatedCheckpoint_exitsTwoWithOneLine() throws IOException {
        Path w = Files.write(dir.resolve("best.safetensors"), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve("best.json"), "{\"model\": \"resnet18\", \"numClasses\": 3, \"imgSize\": 32, "
                + "\"mean\": [0.5, 0.5, 0.5], \"std\": [0.5, 0.5, 0.5]}");
        MainTest.Result r = MainTest.run("infer", "--benchmark", "--checkpoint", w.toString(), "--iterations", "1",
                "--warmup", "0", "--device", "cpu");
        assertOneLineNaming(r, w, "not a safetensors file");
    }
}
