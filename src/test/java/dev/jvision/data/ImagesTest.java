package dev.jvision.data;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    @TempDir Path dir;

    private static void assertAllPixels(byte[] px, int r, int g, int b, int tol) {
        assertEquals(0, px.length % 3);
        for (int i = 0; i < px.length; i += 3) {
            assertEquals(r, px[i] & 0xff, tol, "R at " + i / 3);
            assertEquals(g, px[i + 1] & 0xff, tol, "G at " + i / 3);
            assertEquals(b, px[i + 2] & 0xff, tol, "B at " + i / 3);
        }
    }

    @Test
    void rgbPng_decodesInRgbOrder_andResizes() throws Exception {
        Path f = TestImages.rgbPng(dir.resolve("red.png"), 10, 6, 200, 30, 10);
        byte[] px = Images.loadResized(f, 4);
        assertEquals(4 * 4 * 3, px.length);
        assertAllPixels(px, 200, 30, 10, 0);
        byte[] up = Images.loadResized(f, 16);
        assertEquals(16 * 16 * 3, up.length);
        assertAllPixels(up, 200, 30, 10, 0);
        assertArrayEquals(new int[] {10, 6}, Images.probeSize(f));
    }

    @Test
    void grayscalePng_becomesThreeEqualChannels() throws Exception {
        BufferedImage img = new BufferedImage(5, 5, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < 5; y++) for (int x = 0; x < 5; x++) r.setSample(x, y, 0, 77);
        Path f = dir.resolve("gray.png");
        ImageIO.write(img, "png", f.toFile());
        assertAllPixels(Images.loadResized(f, 5), 77, 77, 77, 0);
    }

    @Test
    void gray16Png_scaledTo8Bit() throws Exception {
        BufferedImage img = new BufferedImage(3, 3, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) r.setSample(x, y, 0, 65535);
        Path f = dir.resolve("g16.png");
        ImageIO.write(img, "png", f.toFile());
        assertAllPixels(Images.loadResized(f, 3), 255, 255, 255, 0);
    }

    @Test
    void rgbaPng_compositedOnWhite_inRgbOrder() throws Exception {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                // left half: opaque pure red; right half: fully transparent blue
                img.setRGB(x, y, x < 2 ? 0xFFFF0000 : 0x000000FF);
            }
        }
        Path f = dir.resolve("rgba.png");
        ImageIO.write(img, "png", f.toFile());
        byte[] px = Images.loadResized(f, 4);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int i = (y * 4 + x) * 3;
                int[] want = x < 2 ? new int[] {255, 0, 0} : new int[] {255, 255, 255};
                assertArrayEquals(want, new int[] {px[i] & 0xff, px[i + 1] & 0xff, px[i + 2] & 0xff}, "pixel " + x + "," + y);
            }
        }
        // half-transparent black over white -> mid gray
        BufferedImage half = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) half.setRGB(x, y, 0x80000000);
        Path h = dir.resolve("half.png");
        ImageIO.write(half, "png", h.toFile());
        assertAllPixels(Images.loadResized(h, 2), 127, 127, 127, 1);
    }

    @Test
    void corruptFile_throwsWithFileName() throws Exception {
        Path f = TestImages.randomBytes(dir.resolve("bad.jpg"), 500, 1);
        IOException e = assertThrows(IOException.class, () -> Images.loadResized(f, 8));
        assertTrue(e.getMessage().contains("bad.jpg") && e.getMessage().contains("cannot decode"), e.getMessage());
    }

    @Test
    void missingAndEmptyFile_throwWithFileName() throws Exception {
        IOException e = assertThrows(IOException.class, () -> Images.loadResized(dir.resolve("nope.png"), 8));
        assertTrue(e.getMessage().contains("nope.png"), e.getMessage());
        Path empty = Files.write(dir.resolve("empty.png"), new byte[0]);
        IOException e2 = assertThrows(IOException.class, () -> Images.loadResized(empty, 8));
        assertTrue(e2.getMessage().contains("empty.png") && e2.getMessage().contains("empty"), e2.getMessage());
    }
}
