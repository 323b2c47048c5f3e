package dev.jvision.data.detection;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.data.DataException;
import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * COCO results files ({@code detections.json}): a JSON array of
 * {@code {"image_id", "category_id", "bbox": [x, y, width, height], "score"}}, the format
 * pycocotools' {@code loadRes} and {@code jvision detect-eval} read.
 *
 * <p>Stateless; thread-safe.
 */
public final class CocoResults {
    /** One detection in COCO terms: image and category ids of the data set, box {@code [x, y, w, h]} in pixels. */
    public record Entry(long imageId, long categoryId, double x, double y, double w, double h, double score) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private CocoResults() {}

    /**
     * The entries for one image's detections.
     *
     * @param categoryIds the COCO category id of each class index (class {@code i} -> {@code categoryIds[i]})
     * @throws IllegalArgumentException when a class index has no category id
     */
    public static List<Entry> entries(long imageId, List<DetectionBox> boxes, long[] categoryIds) {
        List<Entry> out = new ArrayList<>(boxes.size());
        for (DetectionBox b : boxes) {
            if (b.classId() >= categoryIds.length) {
                throw new IllegalArgumentException("classId: " + b.classId() + " (expected: < " + categoryIds.length
                        + ", the number of categories)");
            }
            out.add(new Entry(imageId, categoryIds[b.classId()], b.x1(), b.y1(), b.width(), b.height(), b.score()));
        }
        return out;
    }

    /** Writes {@code entries} to {@code file} atomically (temporary file + rename), creating its folder. */
    public static void write(Path file, List<Entry> entries) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        AtomicFiles.writeText(file, w -> {
            try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
                g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.writeStartArray();
                for (Entry e : entries) {
                    g.writeRaw('\n');
                    g.writeStartObject();
                    g.writeNumberField("image_id", e.imageId());
                    g.writeNumberField("category_id", e.categoryId());
                    g.writeArrayFieldStart("bbox");
                    g.writeNumber(round(e.x()));
                    g.writeNumber(round(e.y()));
                    g.writeNumber(round(e.w()));
                    g.writeNumber(round(e.h()));
                    g.writeEndArray();
                    g.writeNumberField("score", round5(e.score()));
                    g.writeEndObject();
                }
                g.writeRaw('\n');
                g.writeEndArray();
            }
        });
    }

    /**
     * Reads a results file.
     *
     * @throws DataException listing every entry of the wrong shape as {@code file: [i].key: value (expected: ...)}
     */
    public static List<Entry> read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "COCO results file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ":" + e.getLocation().getLineNr() + ": not valid JSON ("
                    + e.getOriginalMessage() + ")");
        }
        String name = String.valueOf(file.getFileName());
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(name + ": " + CocoInstances.kind(root)
                    + " (expected: a JSON array of {image_id, category_id, bbox, score})");
        }
        List<String> problems = new ArrayList<>();
        CocoInstances.Fields f = new CocoInstances.Fields(name, problems);
        List<Entry> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            String p = "[" + i + "]";
            JsonNode n = root.get(i);
            if (!f.object(n, p)) continue;
            Long img = f.integer(n, p, "image_id");
            Long cat = f.integer(n, p, "category_id");
            double[] b = f.bbox(n, p);
            Double s = f.number(n, p, "score");
            if (img != null && cat != null && b != null && s != null) out.add(new Entry(img, cat, b[0], b[1], b[2], b[3], s));
        }
        if (!problems.isEmpty()) throw new DataException(file + ": " + problems.size() + " malformed detections", problems);
        return out;
    }

    /** Boxes to 1/100 pixel: enough for any IoU, and short files. */
    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    private static double round5(double v) {
        return Math.round(v * 1e5) / 1e5;
    }
}
