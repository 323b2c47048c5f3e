package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageHeaderTest {
    @TempDir Path tmp;

    private Path write(String format, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Path f = tmp.resolve("img." + format);
        if (!ImageIO.write(img, format, f.toFile())) throw new IOException("no writer for " + format);
        return f;
    }

    @Test
    void dimensions_readFromTheHeaderOfEachFormat() throws IOException {
        for (String format : List.of("jpg", "png", "gif", "bmp")) {
            assertArrayEquals(new int[] {70, 50}, ImageHeader.dimensions(write(format, 70, 50)), format);
        }
    }

    @Test
    void truncatedJpegAndPng_missingAndEmptyFiles_areReported() throws IOException {
        for (String format : List.of("jpg", "png")) {
            Path f = write(format, 64, 64);
            byte[] b = Files.readAllBytes(f);
            Files.write(f, Arrays.copyOf(b, b.length - 20));
            IOException e = assertThrows(IOException.class, () -> ImageHeader.dimensions(f));
            assertTrue(e.getMessage().contains("cannot decode image (truncated"), e.getMessage());
        }
        assertThrows(NoSuchFileException.class, () -> ImageHeader.dimensions(tmp.resolve("none.jpg")));
        Path empty = Files.write(tmp.resolve("empty.jpg"), new byte[0]);
        IOException e = assertThrows(IOException.class, () -> ImageHeader.dimensions(empty));
        assertTrue(e.getMessage().endsWith(Manifest.EMPTY), e.getMessage());
        Path junk = TestImages.randomBytes(tmp.resolve("junk.jpg"), 100, 3);
        assertThrows(IOException.class, () -> ImageHeader.dimensions(junk));
    }
}
