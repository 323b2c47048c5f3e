package dev.jvision.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Helpers writing tiny test images and CSVs. */
final class TestImages {
    private TestImages() {}

    /** Solid-colour RGB PNG. */
    static Path rgbPng(Path file, int w, int h, int r, int g, int b) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, (r << 16) | (g << 8) | b);
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no png writer");
        return file;
    }

    /** RGB JPEG whose pixels depend on {@code seed} (a gradient plus noise). */
    static Path jpeg(Path file, int w, int h, long seed) throws IOException {
        Random r = new Random(seed);
        int base = r.nextInt(1 << 24);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) img.setRGB(x, y, (base + x * 0x050301 + y * 0x010305 + r.nextInt(16)) & 0xffffff);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        if (!ImageIO.write(img, "jpg", file.toFile())) throw new IOException("no jpeg writer");
        return file;
    }

    static Path randomBytes(Path file, int n, long seed) throws IOException {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, b);
    }

    static Path csv(Path file, String... lines) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, String.join("\n", lines) + "\n");
    }
}
