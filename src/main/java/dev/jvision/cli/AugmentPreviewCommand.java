package dev.jvision.cli;

import dev.jvision.augment.Augmenter;
import dev.jvision.config.Experiment;
import dev.jvision.data.CompetitionData;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.bytedeco.pytorch.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvision augment-preview}: a PNG grid of training images beside their augmented
 * versions at a given epoch of the hard-augmentation ramp, to see what a policy does.
 */
@Command(name = "augment-preview", mixinStandardHelpOptions = true,
        description = "Write a PNG grid of training images (left) beside their augmented versions (right).")
final class AugmentPreviewCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--out", required = true, paramLabel = "PNG", description = "output PNG file")
    Path out;

    @Option(names = "--epoch", defaultValue = "0", description = "0-based epoch of the hard-augmentation ramp "
            + "(default: ${DEFAULT-VALUE})")
    int epoch;

    @Option(names = "--n", defaultValue = "16", description = "number of images (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--seed", description = "batch seed (default: experiment.seed)")
    Long seed;

    @Override
    public Integer call() throws Exception {
        if (n < 1 || n > 256) throw new IllegalArgumentException("--n: " + n + " (expected: 1..256)");
        Experiment exp = options.load();
        int epochs = exp.train().epochs();
        if (epoch < 0 || epoch >= epochs) {
            throw new IllegalArgumentException("--epoch: " + epoch + " (expected: 0.." + (epochs - 1)
                    + " since train.epochs is " + epochs + ")");
        }
        NativeRuntime.init();
        TorchSettings.setThreads(exp.experiment().threads());
        CompetitionData data = CompetitionData.open(exp.data(), exp.experiment().seed());
        List<Sample> all = data.train().samples();
        int count = Math.min(n, all.size());
        int size = exp.data().imgSize();
        ImageCache cache = new ImageCache(size, exp.data().cache().dir() == null ? null : exp.data().cache().dir(), 0,
                exp.data().loader().reducedDecode());
        byte[] pixels = new byte[count * size * size * 3];
        long[] labels = new long[count];
        for (int i = 0; i < count; i++) {
            Sample s = all.get((int) ((long) i * all.size() / count)); // spread over the manifest
            System.arraycopy(cache.get(s), 0, pixels, i * size * size * 3, size * size * 3);
            labels[i] = s.label();
        }
        Device device = Device.parse(exp.experiment().device());
        long batchSeed = seed != null ? seed : exp.experiment().seed();
        int numClasses = Math.max(exp.model().numClasses(), data.train().numClasses());
        float[] augmented;
        int outSize;
        // mean 0 / std 1: the "normalised" output is the augmented image in [0, 1]
        try (Augmenter aug = new Augmenter(exp.augment(), numClasses, new double[] {0, 0, 0},
                new double[] {1, 1, 1}, device, false); var step = Memory.step()) {
            Tensor x = Tensors.fromBytes(pixels, count, size, size, 3).to(device.toNative(), org.bytedeco.pytorch.global.torch.ScalarType.Byte);
            Augmenter.Augmented a = aug.train(x, Tensors.fromLongs(labels, count), epoch, epochs, batchSeed);
            outSize = (int) a.images().size(2);
            augmented = Tensors.toFloats(a.images());
        }
        BufferedImage grid = render(pixels, augmented, count, size, outSize);
        writeAtomically(grid, out);
        double p = exp.augment().hardAugmentation().probAt(epoch, epochs);
        System.out.printf("wrote %s: %d images, policy %s, epoch %d/%d%s%n", out, count, exp.augment().policy(),
                epoch, epochs, exp.augment().hardAugmentation().enabled() ? String.format(", hard-augmentation p=%.2f", p) : "");
        return 0;
    }

    /** Pairs (original | augmented) laid out ceil(sqrt(count)) pairs per row, scaled up when small. */
    static BufferedImage render(byte[] pixels, float[] augmented, int count, int size, int outSize) {
        int zoom = Math.max(size, outSize) < 128 ? 2 : 1;
        int cell = Math.max(size, outSize) * zoom;
        int perRow = (int) Math.ceil(Math.sqrt(count));
        int rows = (count + perRow - 1) / perRow;
        int gap = 4;
        int pairGap = 16;
        int pairW = 2 * cell + gap;
        int width = perRow * pairW + (perRow + 1) * pairGap;
        int height = rows * cell + (rows + 1) * pairGap;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(40, 40, 48));
        g.fillRect(0, 0, width, height);
        g.dispose();
        for (int i = 0; i < count; i++) {
            int x0 = pairGap + (i % perRow) * (pairW + pairGap);
            int y0 = pairGap + (i / perRow) * (cell + pairGap);
            for (int y = 0; y < size * zoom; y++) {
                for (int x = 0; x < size * zoom; x++) {
                    int at = ((i * size + y / zoom) * size + x / zoom) * 3;
                    img.setRGB(x0 + x, y0 + y, rgb(pixels[at] & 0xff, pixels[at + 1] & 0xff, pixels[at + 2] & 0xff));
                }
            }
            int plane = outSize * outSize;
            for (int y = 0; y < outSize * zoom; y++) {
                for (int x = 0; x < outSize * zoom; x++) {
                    int at = i * 3 * plane + (y / zoom) * outSize + x / zoom;
                    img.setRGB(x0 + cell + gap + x, y0 + y,
                            rgb(unit(augmented[at]), unit(augmented[at + plane]), unit(augmented[at + 2 * plane])));
                }
            }
        }
        return img;
    }

    private static int unit(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }

    private static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }

    static void writeAtomically(BufferedImage img, Path file) throws IOException {
        AtomicFiles.write(file, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
        });
    }
}
