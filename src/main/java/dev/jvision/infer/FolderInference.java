package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.Tta;
import dev.jvision.config.AugmentConfig;
import dev.jvision.data.Images.Rgb;
import dev.jvision.data.Images;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelSpec;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.runtime.AtomicFiles;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * Raw logits of one model over a folder of images, for checking a checkpoint (for example a
 * timm {@code model.safetensors}) against another implementation: every {@code .jpg},
 * {@code .jpeg}, {@code .png}, {@code .bmp} or {@code .webp} file of the folder (not its
 * sub-folders), sorted by file name, is decoded with OpenCV as {@link Images} does (RGB,
 * grayscale to 3 channels, alpha over white), either resized to a square (as
 * {@link Images#loadResized}) or kept at its own size, scaled to [0, 1], normalised with the
 * model's mean and std, and run in evaluation mode without gradients ({@link Preprocessing}). Images of equal size are
 * batched. The CSV {@code image,c0,...,c{N-1}} holds one row per image with
 * {@link Float#toString} logits and is written atomically.
 *
 * <p>Stateless; thread-safe as long as callers do not share a model between threads.
 */
public final class FolderInference {
    /** File extensions read (case-insensitive). */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "webp");
    private static final int MAX_BATCH = 16;

    private FolderInference() {}

    /**
     * Builds the registered model {@code modelName} with {@code numClasses} outputs, loads
     * {@code weights} strictly (a file that does not fit is reported with {@link Weights}'s
     * message naming the keys), and writes the logits of every image of {@code imagesDir} to
     * {@code outCsv}.
     *
     * @param imgSize  square input size, or null for the model's default ({@link ModelSpec#inputSize()})
     * @param noResize feed every image at its own size (then {@code imgSize} must be null)
     * @return the number of images written
     * @throws IOException for a missing weights file or folder, an unreadable image (named), or a failed write
     * @throws IllegalArgumentException for an unknown model, bad sizes, an empty folder or weights that do not fit
     */
    public static int writeLogits(String modelName, Path weights, int numClasses, Path imagesDir, Path outCsv,
                                  Integer imgSize, boolean noResize, Device device) throws IOException {
        return writeLogits(modelName, weights, numClasses, imagesDir, outCsv, imgSize, noResize, device, false);
    }

    /**
     * As {@link #writeLogits(String, Path, int, Path, Path, Integer, boolean, Device)}; with
     * {@code channelsLast} the model's weights and each input batch use channels-last memory
     * format (the numbers must not change: the native self-check guards the kernels).
     */
    public static int writeLogits(String modelName, Path weights, int numClasses, Path imagesDir, Path outCsv,
                                  Integer imgSize, boolean noResize, Device device, boolean channelsLast)
            throws IOException {
        NativeRuntime.init();
        checkSizes(imgSize, noResize);
        if (!Files.isRegularFile(weights)) {
            throw new NoSuchFileException(weights.toString(), null, "weights file not found");
        }
        Models.spec(modelName);
        List<Path> images = listImages(imagesDir);
        try (Checkpoint ck = Checkpoint.load(modelName, numClasses, weights, device)) {
            return writeLogits(ck.model(), images, outCsv, imgSize, noResize, device, channelsLast);
        }
    }

    /**
     * Writes the logits of {@code model} (already loaded; it is moved to {@code device} and put in
     * evaluation mode, and stays owned by the caller) over every image of {@code imagesDir}.
     *
     * @return the number of images written
     */
    public static int writeLogits(ImageModel model, Path imagesDir, Path outCsv, Integer imgSize, boolean noResize,
                                  Device device) throws IOException {
        checkSizes(imgSize, noResize);
        return writeLogits(model, listImages(imagesDir), outCsv, imgSize, noResize, device, false);
    }

    private static int writeLogits(ImageModel model, List<Path> images, Path outCsv, Integer imgSize, boolean noResize,
                                   Device device, boolean channelsLast) throws IOException {
        ModelSpec spec = model.spec();
        int size = imgSize != null ? imgSize : spec.inputSize();
        model.to(device);
        model.train(false);
        if (channelsLast) {
            model.toChannelsLast();
        }
        List<float[]> rows = new ArrayList<>(images.size());
        List<Rgb> batch = new ArrayList<>();
        for (Path file : images) {
            Rgb img = noResize ? decode(file) : new Rgb(Images.loadResized(file, size), size, size);
            if (!batch.isEmpty() && (batch.size() == MAX_BATCH || batch.get(0).w() != img.w() || batch.get(0).h() != img.h())) {
                rows.addAll(forward(model, batch, spec, device, channelsLast));
                batch.clear();
            }
            batch.add(img);
        }
        if (!batch.isEmpty()) {
            rows.addAll(forward(model, batch, spec, device, channelsLast));
        }
        writeCsv(outCsv, images, rows, model.numClasses());
        return images.size();
    }

    private static void checkSizes(Integer imgSize, boolean noResize) {
        if (imgSize != null && noResize) {
            throw new IllegalArgumentException("img_size: " + imgSize + " with no_resize (expected: one of them, not both)");
        }
        if (imgSize != null && imgSize < 1) {
            throw new IllegalArgumentException("img_size: " + imgSize + " (expected: >= 1)");
        }
    }

    /** The image files of {@code dir} (not recursive), sorted by file name. */
    public static List<Path> listImages(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "images folder not found");
        }
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir.toString());
        }
        List<Path> out;
        try (Stream<Path> s = Files.list(dir)) {
            out = s.filter(Files::isRegularFile).filter(p -> EXTENSIONS.contains(extension(p)))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(dir + ": no images (expected: files ending in "
                    + String.join(", ", EXTENSIONS.stream().sorted().map(e -> "." + e).toList()) + ")");
        }
        return out;
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static List<float[]> forward(ImageModel model, List<Rgb> batch, ModelSpec spec, Device device,
                                         boolean channelsLast) {
        int n = batch.size();
        float[][] rows;
        try (NoGradGuard ng = new NoGradGuard(); var step = Memory.step();
             BatchTransform t = new BatchTransform(AugmentConfig.defaults(), spec.mean(), spec.std(), device,
                     channelsLast)) {
            Tensor x = Preprocessing.upload(batch.stream().map(Rgb::pixels).toList(), batch.get(0).h(), batch.get(0).w(),
                    device);
            rows = ProbabilityMetrics.rows(Preprocessing.logits(model, t, x, Tta.identity()), n);
        }
        return List.of(rows);
    }

    private static void writeCsv(Path outCsv, List<Path> images, List<float[]> rows, int numClasses) throws IOException {
        AtomicFiles.writeText(outCsv, out -> {
            out.write("image");
            for (int c = 0; c < numClasses; c++) {
                out.write(",c" + c);
            }
            out.write('\n');
            for (int i = 0; i < rows.size(); i++) {
                out.write(csvField(images.get(i).getFileName().toString()));
                for (float v : rows.get(i)) {
                    out.write(',');
                    out.write(Float.toString(v));
                }
                out.write('\n');
            }
        });
    }

    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Decodes at the original size with {@link Images}' conventions. */
    static Rgb decode(Path file) throws IOException {
        return Images.decode(file);
    }
}
