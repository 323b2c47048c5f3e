package dev.jvision.data;

import dev.jvision.runtime.AtomicFiles;
import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Converts an MNIST-style IDX data set (MNIST, Fashion-MNIST: {@code train-images-idx3-ubyte},
 * {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte},
 * each optionally {@code .gz}, as Debian's {@code dataset-fashion-mnist} installs them under
 * {@code /usr/share/datasets/fashion-mnist}) into jvision's competition layout:
 * <pre>
 * train.csv ID,target           train/train_00000.png ...   (greyscale PNGs)
 * test/test_00000.png ...       sample_submission.csv ID,target (target 0)
 * test_labels.csv ID,target     (the test set's answers, for scoring a submission)
 * meta.csv target,class_name
 * </pre>
 * CSVs are written atomically, after the images. Stateless and thread-safe.
 */
public final class IdxImport {
    /** Fashion-MNIST's class names, by label. */
    public static final List<String> FASHION_CLASSES = List.of("t-shirt_top", "trouser", "pullover", "dress", "coat",
            "sandal", "shirt", "sneaker", "bag", "ankle_boot");

    private IdxImport() {}

    /** What was written. */
    public record Summary(Path root, int train, int test, int height, int width, int classes) {}

    /** Images [n][h * w] and their labels, read from one IDX pair. */
    record Split(byte[][] images, int[] labels, int height, int width) {}

    /**
     * Converts the IDX files in {@code from} into {@code out} with class names {@code classNames}
     * (null: {@code class_<k>}).
     *
     * @throws IllegalArgumentException naming the file when one is missing or not an IDX file
     */
    public static Summary convert(Path from, Path out, List<String> classNames, int threads) throws IOException {
        Split train = read(from, "train");
        Split test = read(from, "t10k");
        int classes = 0;
        for (int l : train.labels) classes = Math.max(classes, l + 1);
        if (classNames != null && classNames.size() < classes) {
            throw new IllegalArgumentException("class names: " + classNames.size() + " (expected: >= " + classes
                    + ", the labels' range)");
        }
        writeImages(out.resolve("train"), "train_", train, threads);
        writeImages(out.resolve("test"), "test_", test, threads);
        List<String> names = new ArrayList<>(classes);
        for (int c = 0; c < classes; c++) names.add(classNames == null ? "class_" + c : classNames.get(c));
        LayoutCsvs.write(out, ids("train_", train.labels.length), train.labels, ids("test_", test.labels.length),
                test.labels, names);
        return new Summary(out, train.labels.length, test.labels.length, train.height, train.width, classes);
    }

    private static List<String> ids(String prefix, int n) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) ids.add(name(prefix, i));
        return ids;
    }

    private static String name(String prefix, int i) {
        return String.format(Locale.ROOT, "%s%05d.png", prefix, i);
    }

    private static void writeImages(Path dir, String prefix, Split s, int threads) throws IOException {
        Files.createDirectories(dir);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<?>> jobs = new ArrayList<>();
            int chunk = 2000;
            for (int start = 0; start < s.images.length; start += chunk) {
                int from = start;
                int to = Math.min(s.images.length, start + chunk);
                jobs.add(pool.submit(() -> {
                    for (int i = from; i < to; i++) {
                        BufferedImage img = new BufferedImage(s.width, s.height, BufferedImage.TYPE_BYTE_GRAY);
                        img.getRaster().setDataElements(0, 0, s.width, s.height, s.images[i]);
                        Path file = dir.resolve(name(prefix, i));
                        AtomicFiles.write(file, tmp -> {
                            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : jobs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Reads {@code <prefix>-images-idx3-ubyte[.gz]} and {@code <prefix>-labels-idx1-ubyte[.gz]}. */
    static Split read(Path dir, String prefix) throws IOException {
        Path imgFile = find(dir, prefix + "-images-idx3-ubyte");
        Path lblFile = find(dir, prefix + "-labels-idx1-ubyte");
        byte[][] images;
        int h;
        int w;
        try (DataInputStream in = open(imgFile)) {
            int magic = in.readInt();
            if (magic != 0x00000803) {
                throw new IllegalArgumentException(imgFile + ": magic 0x" + Integer.toHexString(magic)
                        + " (expected: 0x803, an IDX file of unsigned bytes with 3 dimensions)");
            }
            int n = in.readInt();
            h = in.readInt();
            w = in.readInt();
            images = new byte[n][h * w];
            for (int i = 0; i < n; i++) in.readFully(images[i]);
        } catch (EOFException e) {
            throw new IllegalArgumentException(imgFile + ": truncated (fewer images than its header says)", e);
        }
        int[] labels;
        try (DataInputStream in = open(lblFile)) {
            int magic = in.readInt();
            if (magic != 0x00000801) {
                throw new IllegalArgumentException(lblFile + ": magic 0x" + Integer.toHexString(magic)
                        + " (expected: 0x801, an IDX file of unsigned bytes with 1 dimension)");
            }
            int n = in.readInt();
            if (n != images.length) {
                throw new IllegalArgumentException(lblFile + ": " + n + " labels (expected: " + images.length
                        + ", the images in " + imgFile.getFileName() + ")");
            }
            labels = new int[n];
            for (int i = 0; i < n; i++) labels[i] = in.readUnsignedByte();
        } catch (EOFException e) {
            throw new IllegalArgumentException(lblFile + ": truncated (fewer labels than its header says)", e);
        }
        return new Split(images, labels, h, w);
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base, base + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw new IllegalArgumentException(dir.resolve(base) + "[.gz]: not found (expected the IDX files of MNIST or "
                + "Fashion-MNIST, e.g. apt-get install dataset-fashion-mnist puts them in /usr/share/datasets/fashion-mnist)");
    }

    private static DataInputStream open(Path p) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(p), 1 << 16);
        return new DataInputStream(p.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw);
    }
}
