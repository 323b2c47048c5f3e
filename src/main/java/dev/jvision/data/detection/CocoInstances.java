package dev.jvision.data.detection;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvision.data.DataException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A COCO instances file ({@code instances_train.json}): images, categories and box annotations,
 * read with every field checked for its type. Entries that do not have the expected shape are
 * left out and reported as {@code file: json.path: value (expected: ...)} in {@link #problems()};
 * whether boxes fit their images, ids are unique and categories exist is
 * {@link DetectionValidator}'s job.
 *
 * <p>Immutable once read; thread-safe. The lists are unmodifiable.
 */
public final class CocoInstances {
    /** An entry of {@code images}; {@code index} is its position in the array (for messages). */
    public record Image(long id, String fileName, int width, int height, int index) {}

    /** An entry of {@code categories}. */
    public record Category(long id, String name, int index) {}

    /**
     * An entry of {@code annotations}: the box as COCO's {@code [x, y, width, height]} in pixels,
     * {@code area} as given (COCO evaluation uses it for the area ranges; {@code w * h} when the
     * file has none), {@code crowd} from {@code iscrowd}.
     */
    public record Annotation(long id, long imageId, long categoryId, double x, double y, double w, double h,
                             double area, boolean crowd, int index) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<Image> images;
    private final List<Category> categories;
    private final List<Annotation> annotations;
    private final List<String> problems;

    private CocoInstances(Path file, List<Image> images, List<Category> categories, List<Annotation> annotations,
                          List<String> problems) {
        this.file = file;
        this.images = List.copyOf(images);
        this.categories = List.copyOf(categories);
        this.annotations = List.copyOf(annotations);
        this.problems = List.copyOf(problems);
    }

    /**
     * Reads {@code file} and fails on any entry of the wrong shape.
     *
     * @throws DataException listing every malformed entry
     * @throws IOException when the file cannot be read
     */
    public static CocoInstances read(Path file) throws IOException {
        CocoInstances c = readLenient(file);
        if (!c.problems.isEmpty()) {
            throw new DataException(file + ": " + c.problems.size() + " malformed entries", c.problems);
        }
        return c;
    }

    /**
     * Reads {@code file}, leaving malformed entries out and listing them in {@link #problems()}.
     *
     * @throws IllegalArgumentException when the file is not JSON or not an object with an
     *     {@code images} array
     * @throws IOException when the file cannot be read
     */
    public static CocoInstances readLenient(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "COCO instances file");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ":" + e.getLocation().getLineNr() + ": not valid JSON ("
                    + e.getOriginalMessage() + ")");
        }
        String name = String.valueOf(file.getFileName());
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(name + ": " + kind(root) + " (expected: a COCO object with images, "
                    + "annotations and categories)");
        }
        List<String> problems = new ArrayList<>();
        Fields f = new Fields(name, problems);
        List<Image> images = new ArrayList<>();
        JsonNode arr = f.array(root, "images", true);
        for (int i = 0; i < arr.size(); i++) {
            String p = "images[" + i + "]";
            JsonNode n = arr.get(i);
            if (!f.object(n, p)) continue;
            Long id = f.integer(n, p, "id");
            String fn = f.text(n, p, "file_name");
            Long w = f.integer(n, p, "width");
            Long h = f.integer(n, p, "height");
            if (id == null || fn == null || w == null || h == null) continue;
            if (w < 1 || h < 1 || w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
                problems.add(name + ": " + p + ".width/height: " + w + "x" + h + " (expected: >= 1 each)");
                continue;
            }
            images.add(new Image(id, fn, w.intValue(), h.intValue(), i));
        }
        List<Category> categories = new ArrayList<>();
        arr = f.array(root, "categories", true);
        for (int i = 0; i < arr.size(); i++) {
            String p = "categories[" + i + "]";
            JsonNode n = arr.get(i);
            if (!f.object(n, p)) continue;
            Long id = f.integer(n, p, "id");
            String nm = n.has("name") ? f.text(n, p, "name") : String.valueOf(id);
            if (id != null && nm != null) categories.add(new Category(id, nm, i));
        }
        List<Annotation> annotations = new ArrayList<>();
        arr = f.array(root, "annotations", false);
        for (int i = 0; i < arr.size(); i++) {
            String p = "annotations[" + i + "]";
            JsonNode n = arr.get(i);
            if (!f.object(n, p)) continue;
            Long id = f.integer(n, p, "id");
            Long img = f.integer(n, p, "image_id");
            Long cat = f.integer(n, p, "category_id");
            double[] b = f.bbox(n, p);
            Double area = n.has("area") ? f.number(n, p, "area") : null;
            boolean crowd = false;
            if (n.has("iscrowd")) {
                Long c = f.integer(n, p, "iscrowd");
                if (c == null) continue;
                crowd = c != 0;
            }
            if (id == null || img == null || cat == null || b == null || (n.has("area") && area == null)) continue;
            annotations.add(new Annotation(id, img, cat, b[0], b[1], b[2], b[3], area != null ? area : b[2] * b[3],
                    crowd, i));
        }
        return new CocoInstances(file, images, categories, annotations, problems);
    }

    /**
     * Writes a COCO instances file atomically: {@code images}, {@code categories} and
     * {@code annotations} (boxes to 1/100 pixel, {@code area} as given, {@code iscrowd} 0 or 1), in
     * list order, so the same lists give the same bytes.
     */
    public static void write(Path file, List<Image> images, List<Category> categories, List<Annotation> annotations)
            throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        dev.jvision.runtime.AtomicFiles.writeText(file, w -> {
            try (com.fasterxml.jackson.core.JsonGenerator g = JSON.getFactory().createGenerator(w)) {
                g.disable(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                g.writeStartObject();
                g.writeArrayFieldStart("images");
                for (Image i : images) {
                    g.writeRaw("\n");
                    g.writeStartObject();
                    g.writeNumberField("id", i.id());
                    g.writeStringField("file_name", i.fileName());
                    g.writeNumberField("width", i.width());
                    g.writeNumberField("height", i.height());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeRaw("\n");
                g.writeArrayFieldStart("categories");
                for (Category c : categories) {
                    g.writeRaw("\n");
                    g.writeStartObject();
                    g.writeNumberField("id", c.id());
                    g.writeStringField("name", c.name());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeRaw("\n");
                g.writeArrayFieldStart("annotations");
                for (Annotation a : annotations) {
                    g.writeRaw("\n");
                    g.writeStartObject();
                    g.writeNumberField("id", a.id());
                    g.writeNumberField("image_id", a.imageId());
                    g.writeNumberField("category_id", a.categoryId());
                    g.writeArrayFieldStart("bbox");
                    g.writeNumber(round2(a.x()));
                    g.writeNumber(round2(a.y()));
                    g.writeNumber(round2(a.w()));
                    g.writeNumber(round2(a.h()));
                    g.writeEndArray();
                    g.writeNumberField("area", round2(a.area()));
                    g.writeNumberField("iscrowd", a.crowd() ? 1 : 0);
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeRaw("\n");
                g.writeEndObject();
                g.writeRaw("\n");
            }
        });
    }

    static double round2(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    /** The file this was read from. */
    public Path file() {
        return file;
    }

    /** Images, in file order. */
    public List<Image> images() {
        return images;
    }

    /** Categories, in file order. */
    public List<Category> categories() {
        return categories;
    }

    /** Annotations that have the expected shape, in file order. */
    public List<Annotation> annotations() {
        return annotations;
    }

    /** Malformed entries (left out of the lists), one line each; empty after {@link #read}. */
    public List<String> problems() {
        return problems;
    }

    static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "missing";
        if (n.isNull()) return "null";
        if (n.isArray()) {
            String t = n.toString();
            return t.length() > 60 ? t.substring(0, 57) + "..." : t;
        }
        if (n.isObject()) return "an object";
        return n.toString();
    }

    /** Typed field access that records a problem (file: json.path: value (expected: ...)) on a mismatch. */
    record Fields(String file, List<String> problems) {
        private static final JsonNode EMPTY = JSON.createArrayNode();

        JsonNode array(JsonNode root, String key, boolean required) {
            JsonNode a = root.get(key);
            if (a == null && !required) return EMPTY;
            if (a == null || !a.isArray()) {
                problems.add(file + ": " + key + ": " + kind(a) + " (expected: an array)");
                return EMPTY;
            }
            return a;
        }

        boolean object(JsonNode n, String path) {
            if (n.isObject()) return true;
            problems.add(file + ": " + path + ": " + shorten(n) + " (expected: an object)");
            return false;
        }

        Long integer(JsonNode n, String path, String key) {
            JsonNode v = n.get(key);
            if (v != null && v.isIntegralNumber() && v.canConvertToLong()) return v.longValue();
            if (v != null && v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                    && Math.abs(v.doubleValue()) < 1e15) {
                return (long) v.doubleValue();
            }
            problems.add(file + ": " + path + "." + key + ": " + kind(v) + " (expected: an integer)");
            return null;
        }

        Double number(JsonNode n, String path, String key) {
            JsonNode v = n.get(key);
            if (v != null && v.isNumber() && Double.isFinite(v.doubleValue())) return v.doubleValue();
            problems.add(file + ": " + path + "." + key + ": " + kind(v) + " (expected: a number)");
            return null;
        }

        String text(JsonNode n, String path, String key) {
            JsonNode v = n.get(key);
            if (v != null && v.isTextual() && !v.textValue().isEmpty()) return v.textValue();
            problems.add(file + ": " + path + "." + key + ": " + kind(v) + " (expected: a non-empty string)");
            return null;
        }

        double[] bbox(JsonNode n, String path) {
            JsonNode v = n.get("bbox");
            if (v != null && v.isArray() && v.size() == 4) {
                double[] b = new double[4];
                boolean ok = true;
                for (int i = 0; i < 4; i++) {
                    ok &= v.get(i).isNumber() && Double.isFinite(v.get(i).doubleValue());
                    b[i] = v.get(i).doubleValue();
                }
                if (ok) return b;
            }
            problems.add(file + ": " + path + ".bbox: " + kind(v) + " (expected: [x, y, width, height], 4 numbers)");
            return null;
        }

        private static String shorten(JsonNode n) {
            String s = kind(n);
            return s.length() > 60 ? s.substring(0, 57) + "..." : s;
        }
    }
}
