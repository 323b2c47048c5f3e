package dev.jvision.detect;

import dev.jvision.config.Experiment;
import dev.jvision.data.Images;
import dev.jvision.data.detection.CocoResults;
import dev.jvision.data.detection.DetectionBox;
import dev.jvision.data.detection.DetectionDataset;
import dev.jvision.pipeline.RunSetup;
import dev.jvision.runtime.Device;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jvision infer --run RUN} for a detection run: the run's best checkpoint (through a
 * {@link dev.jvision.infer.Detector}) predicts a
 * folder of images or the config's test split (letterboxed to {@code data.img_size}, decoded at
 * {@code detect.conf} / {@code detect.iou} / {@code detect.max_det}, boxes mapped back to original
 * pixels) and the COCO results JSON {@code detections.json} is written atomically; with
 * {@code draw}, each image with its boxes, class names and scores goes to {@code draw/}.
 * Image ids: the split's COCO ids, or for a folder 1, 2, ... in file-name order (listed in
 * {@code images.txt} beside the JSON). Stateless; not thread-safe (libtorch settings are process-wide).
 */
public final class DetectionInference {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionInference.class);
    static final List<String> EXTENSIONS = List.of(".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff");

    private DetectionInference() {}

    /** What a run wrote: the JSON, the images predicted, the boxes written, the drawings' folder (or null). */
    public record Result(Path detections, int images, int boxes, Path drawDir) {}

    /** One image to predict. */
    /**
     * One image to predict: its COCO image id and file. Immutable.
     *
     * @param id   the image id written into {@code detections.json}
     * @param file the image file
     */
    public record Input(long id, Path file) {}

    /**
     * Predicts {@code images} (a folder; null = the {@code detect.test_split} of {@code exp}'s data)
     * with {@code runDir}'s best checkpoint and writes {@code out/detections.json}.
     */
    public static Result run(Experiment exp, Path runDir, Path images, Path out, boolean draw, int batchSize)
            throws IOException {
        Device device = RunSetup.apply(exp);
        RunClasses classes = RunClasses.read(runDir);
        List<Input> inputs = images == null ? split(exp) : folder(images, out);
        Path drawDir = draw ? Files.createDirectories(out.resolve("draw")) : null;
        List<CocoResults.Entry> entries = new ArrayList<>();
        long[] cats = classes.categoryIds();
        try (dev.jvision.infer.Detector detector = dev.jvision.infer.Detector.of(exp, runDir, device, batchSize,
                java.time.Duration.ZERO, Math.max(batchSize, 1))) {
            for (int from = 0; from < inputs.size(); from += batchSize) {
                List<Input> chunk = inputs.subList(from, Math.min(inputs.size(), from + batchSize));
                List<List<dev.jvision.infer.Detector.Box>> found = detector.detect(chunk.stream().map(Input::file).toList());
                for (int i = 0; i < chunk.size(); i++) {
                    List<DetectionBox> mapped = new ArrayList<>();
                    for (dev.jvision.infer.Detector.Box b : found.get(i)) {
                        mapped.add(new DetectionBox(b.classId(), b.score(), b.x1(), b.y1(), b.x2(), b.y2()));
                    }
                    entries.addAll(CocoResults.entries(chunk.get(i).id(), mapped, cats));
                    if (draw) {
                        drawOne(Images.decode(chunk.get(i).file()), mapped, classes,
                                drawDir.resolve(stem(chunk.get(i).file()) + ".jpg"));
                    }
                }
            }
        }
        Path json = out.resolve("detections.json");
        CocoResults.write(json, entries);
        LOG.info("wrote {} ({} boxes on {} images){}", json, entries.size(), inputs.size(),
                draw ? ", drawings in " + drawDir : "");
        return new Result(json, inputs.size(), entries.size(), drawDir);
    }

    /** The test split of a detection experiment ({@code detect.test_split}), with its image ids. */
    public static List<Input> split(Experiment exp) throws IOException {
        DetectionDataset d = DetectionTraining.load(exp, exp.detect().testSplit()).data();
        List<Input> out = new ArrayList<>();
        for (DetectionDataset.Item it : d.items()) {
            out.add(new Input(it.imageId(), it.image()));
        }
        return out;
    }

    /**
     * The images of {@code dir} (by extension, sorted by name) numbered from 1; writes the
     * numbering to {@code out/images.txt} ({@code image_id,file_name}, atomically).
     */
    public static List<Input> folder(Path dir, Path out) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--images " + dir + ": not a folder (expected: a folder of images)");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> EXTENSIONS.stream().anyMatch(e -> p.getFileName().toString().toLowerCase(Locale.ROOT)
                    .endsWith(e))).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("--images " + dir + ": no images (expected: " + EXTENSIONS + " files)");
        }
        List<Input> inputs = new ArrayList<>();
        StringBuilder list = new StringBuilder("image_id,file_name\n");
        for (int i = 0; i < files.size(); i++) {
            inputs.add(new Input(i + 1, files.get(i)));
            list.append(i + 1).append(',').append(files.get(i).getFileName()).append('\n');
        }
        Files.createDirectories(out);
        dev.jvision.runtime.AtomicFiles.write(out.resolve("images.txt"), tmp -> Files.writeString(tmp, list));
        return inputs;
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** Draws {@code boxes} with class names and scores on {@code img} and writes a JPEG. */
    static void drawOne(Images.Rgb img, List<DetectionBox> boxes, RunClasses classes, Path file) throws IOException {
        BufferedImage bi = new BufferedImage(img.w(), img.h(), BufferedImage.TYPE_INT_RGB);
        byte[] p = img.pixels();
        for (int y = 0; y < img.h(); y++) {
            for (int x = 0; x < img.w(); x++) {
                int o = (y * img.w() + x) * 3;
                bi.setRGB(x, y, ((p[o] & 255) << 16) | ((p[o + 1] & 255) << 8) | (p[o + 2] & 255));
            }
        }
        Graphics2D g = bi.createGraphics();
        try {
            g.setStroke(new BasicStroke(Math.max(1f, img.w() / 320f)));
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, img.w() / 40)));
            for (DetectionBox b : boxes) {
                Color c = Color.getHSBColor((b.classId() * 0.618034f) % 1f, 0.9f, 1f);
                g.setColor(c);
                g.drawRect(Math.round(b.x1()), Math.round(b.y1()), Math.round(b.width()), Math.round(b.height()));
                String label = classes.name(b.classId()) + String.format(Locale.ROOT, " %.2f", b.score());
                g.drawString(label, Math.round(b.x1()) + 1, Math.max(g.getFont().getSize(), Math.round(b.y1()) - 2));
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(bi, "jpg", file.toFile())) {
            throw new IOException(file + ": no JPEG writer");
        }
    }
}
