package dev.jvision.infer;

import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A small real checkpoint (resnet18, 4 named classes, 32 px) and synthetic request images for
 * serving tests (also used by {@code dev.jvision.serve}). Stateless and thread-safe.
 */
public final class ServingFixtures {
    public static final List<String> NAMES = List.of("cat", "dog", "bird", "fish");
    public static final int SIZE = 32;

    private ServingFixtures() {}

    /**
     * Saves a seeded resnet18 with 4 classes as {@code dir/fold0/best.safetensors} with its
     * sidecar, as training would; returns the weights file.
     */
    public static Path checkpoint(Path dir, long seed) throws IOException {
        NativeRuntime.init();
        TorchSettings.setThreads(2);
        TorchSettings.seed(seed);
        Path file = Files.createDirectories(dir.resolve("fold0")).resolve("best.safetensors");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(NAMES.size()));
             NoGradGuard ng = new NoGradGuard()) {
            // a confident head, as after training: answers differ clearly between images
            m.stateDict().get(m.classifierName() + ".weight").mul_(new Scalar(10.0));
            Weights.save(m, file, Map.of("format", "test"));
            ModelSpec s = m.spec();
            new CheckpointInfo("resnet18", NAMES.size(), SIZE, s.mean(), s.std(), 0, 1, 0.5, 0.5, 1.0, NAMES,
                    "2025-01-01T00:00:00Z").write(CheckpointInfo.sidecarOf(file));
        }
        return file;
    }

    /** A seeded picture: a coloured background with a few shapes, {@code w x h}, of the given type. */
    public static BufferedImage picture(long seed, int w, int h, int type) {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, type);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
        g.fillRect(0, 0, w, h);
        for (int k = 0; k < 4; k++) {
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            g.setStroke(new BasicStroke(1 + r.nextInt(4)));
            int x = r.nextInt(w);
            int y = r.nextInt(h);
            switch (r.nextInt(3)) {
                case 0 -> g.fillOval(x - 6, y - 6, 4 + r.nextInt(w / 2), 4 + r.nextInt(h / 2));
                case 1 -> g.fillRect(x - 6, y - 6, 4 + r.nextInt(w / 2), 4 + r.nextInt(h / 2));
                default -> g.drawLine(r.nextInt(w), r.nextInt(h), r.nextInt(w), r.nextInt(h));
            }
        }
        g.dispose();
        return img;
    }

    /** {@code img} encoded as {@code format} ("png", "jpg", "bmp"). */
    public static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, out)) {
                throw new IOException("no " + format + " writer");
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} mixed request inputs: PNG bytes, JPEG bytes, RGB and grayscale BufferedImages, of varied sizes. */
    public static List<Object> mixedInputs(int n, long seed) {
        List<Object> out = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            int w = 24 + (i * 7) % 40;
            int h = 20 + (i * 11) % 44;
            out.add(switch (i % 4) {
                case 0 -> encode(picture(seed + i, w, h, BufferedImage.TYPE_3BYTE_BGR), "png");
                case 1 -> encode(picture(seed + i, w, h, BufferedImage.TYPE_3BYTE_BGR), "jpg");
                case 2 -> picture(seed + i, w, h, BufferedImage.TYPE_INT_RGB);
                default -> picture(seed + i, w, h, BufferedImage.TYPE_BYTE_GRAY);
            });
        }
        return out;
    }

    /** The largest absolute difference between two probability vectors. */
    public static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
