package dev.jvision.detect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvision.data.Images;
import dev.jvision.data.detection.CocoInstances;
import dev.jvision.infer.Detector;
import dev.jvision.infer.Prediction;
import dev.jvision.infer.Recognizer;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jvision infer --two-stage CONFIG --input DIR|CSV}: every image through a
 * {@link Recognizer} (detect, crop with a margin, classify each crop), written as
 * {@code recognitions.json} (atomically):
 * <pre>
 * {"detector": RUN_DIR, "classifier": PATH, "crop_margin": 0.1, "top_k": 5,
 *  "images": [{"file": "a.jpg", "width": 640, "height": 480,
 *              "objects": [{"bbox": [x, y, w, h], "score": 0.93, "detector_class": "pill",
 *                           "calibrated": true, "top": [{"id": 3, "name": "aspirin", "probability": 0.81}, ...]}]}]}
 * </pre>
 * boxes in original image pixels, objects best detector score first, {@code top} the classifier's
 * top-k (temperature-scaled when {@code calibrated}). With ground truth, {@link #score} gives the
 * end-to-end score ({@link EndToEndScore}). Stateless; thread-safe.
 */
public final class TwoStageInference {
    private static final Logger LOG = LoggerFactory.getLogger(TwoStageInference.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The file name written in the output folder. */
    public static final String FILE = "recognitions.json";

    private TwoStageInference() {}

    /**
     * One image's result.
     *
     * @param file    the image
     * @param key     its name relative to the input folder or CSV (what ground truth's file_name is matched to)
     * @param objects what the recognizer found, best detector score first
     */
    public record ImageResult(Path file, String key, int width, int height, List<Recognizer.Recognition> objects) {}

    /**
     * The images of {@code input}: a folder (its images in file-name order) or a CSV file whose
     * first column (after a header line) is an image path relative to the CSV's folder.
     *
     * @throws IllegalArgumentException naming the folder, or the CSV file and line, when there is nothing to read
     */
    public static List<Path> inputs(Path input) throws IOException {
        if (Files.isDirectory(input)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(input)) {
                files = s.filter(TwoStageInference::isImage).sorted().toList();
            }
            if (files.isEmpty()) {
                throw new IllegalArgumentException("--input " + input + ": no images (expected: "
                        + DetectionInference.EXTENSIONS + " files)");
            }
            return files;
        }
        if (!Files.isRegularFile(input) || !input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")) {
            throw new IllegalArgumentException("--input " + input + ": not found (expected: a folder of images or a .csv "
                    + "file listing them)");
        }
        List<String> lines = Files.readAllLines(input, StandardCharsets.UTF_8);
        Path base = input.toAbsolutePath().getParent();
        List<Path> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String first = line.split(",", -1)[0].strip();
            if (first.length() >= 2 && first.startsWith("\"") && first.endsWith("\"")) {
                first = first.substring(1, first.length() - 1);
            }
            if (first.isEmpty()) {
                throw new IllegalArgumentException(input + ":" + (i + 1) + ": empty image path (expected: the image file "
                        + "in the first column)");
            }
            out.add(base.resolve(first).normalize());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(input + ": no rows after the header (expected: one image path per line)");
        }
        return out;
    }

    /** Recognizes every image of {@code files} (keys relative to {@code input}) and writes {@code out/recognitions.json}. */
    public static List<ImageResult> run(Recognizer recognizer, Path input, List<Path> files, Path out, String detectorName,
                                        String classifierName, int topK) throws IOException {
        Path base = Files.isDirectory(input) ? input.toAbsolutePath() : input.toAbsolutePath().getParent();
        List<ImageResult> results = new ArrayList<>(files.size());
        for (Path f : files) {
            Images.Rgb rgb = Images.decode(f);
            Path abs = f.toAbsolutePath().normalize();
            String key = abs.startsWith(base) ? base.relativize(abs).toString().replace('\\', '/') : f.getFileName().toString();
            results.add(new ImageResult(f, key, rgb.w(), rgb.h(), recognizer.recognize(rgb)));
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("detector", detectorName).put("classifier", classifierName).put("crop_margin", recognizer.margin())
                .put("top_k", topK);
        ArrayNode images = root.putArray("images");
        int boxes = 0;
        for (ImageResult r : results) {
            ObjectNode img = images.addObject().put("file", r.key()).put("width", r.width()).put("height", r.height());
            ArrayNode objs = img.putArray("objects");
            for (Recognizer.Recognition x : r.objects()) {
                Detector.Box b = x.box();
                ObjectNode o = objs.addObject();
                o.putArray("bbox").add(round(b.x1())).add(round(b.y1())).add(round(b.width())).add(round(b.height()));
                o.put("score", b.score()).put("detector_class", b.className()).put("calibrated", x.prediction().calibrated());
                ArrayNode top = o.putArray("top");
                for (Prediction.ClassScore c : x.prediction().top()) {
                    top.addObject().put("id", c.id()).put("name", c.name()).put("probability", c.probability());
                }
                boxes++;
            }
        }
        Files.createDirectories(out);
        Path json = out.resolve(FILE);
        AtomicFiles.write(json, tmp -> JSON.writeValue(tmp.toFile(), root));
        LOG.info("wrote {} ({} objects on {} images)", json, boxes, results.size());
        return results;
    }

    /**
     * The end-to-end score of {@code results} against {@code gt}; images are matched by their key
     * (or, failing that, their file name) to the ground truth's {@code file_name}.
     *
     * @throws IllegalArgumentException naming an image the ground truth does not list
     */
    public static EndToEndScore.Result score(CocoInstances gt, List<ImageResult> results) throws IOException {
        Map<String, Long> ids = new HashMap<>();
        for (CocoInstances.Image i : gt.images()) {
            ids.put(i.fileName(), i.id());
            ids.putIfAbsent(Path.of(i.fileName()).getFileName().toString(), i.id());
        }
        List<EndToEndScore.Predicted> preds = new ArrayList<>();
        for (ImageResult r : results) {
            Long id = ids.getOrDefault(r.key(), ids.get(r.file().getFileName().toString()));
            if (id == null) {
                throw new IllegalArgumentException(gt.file() + ": no image with file_name '" + r.key()
                        + "' (expected: the ground truth of the images predicted)");
            }
            for (Recognizer.Recognition x : r.objects()) {
                Detector.Box b = x.box();
                preds.add(new EndToEndScore.Predicted(id, b.x1(), b.y1(), b.x2(), b.y2(), b.score(), b.className(),
                        x.prediction().top().stream().map(Prediction.ClassScore::name).toList()));
            }
        }
        return EndToEndScore.score(gt, preds);
    }

    /** Reads a {@code recognitions.json} back as a tree (for tools and tests). */
    public static JsonNode read(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && DetectionInference.EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    private static double round(float v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
