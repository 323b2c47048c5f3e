package dev.jvision.data.detection;

import dev.jvision.data.ClassNames;
import dev.jvision.data.ManifestValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Checks a detection data set ({@link DetectionSource}) and reads its good part. Every problem is
 * one line naming where it is ({@code file:line} for YOLO labels, a JSON path such as
 * {@code instances_train.json: annotations[17].bbox} for COCO), the value and what was expected:
 * <ul>
 *   <li>bad annotations: malformed entries, boxes outside the image (beyond 0.5 px, or 0.001 of
 *       the side for YOLO's normalised values; boxes within the tolerance are clipped), zero or
 *       negative width or height, unknown category or class, annotations of unknown images,
 *       duplicate image, category or annotation ids, an image list naming an image twice, image
 *       sizes in the JSON that differ from the files;</li>
 *   <li>bad images: missing, empty or not decodable (at the {@link ManifestValidator.Check} level;
 *       YOLO always reads the header, it needs the size to place the boxes), and YOLO label files
 *       whose image is missing.</li>
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class DetectionValidator {
    static final double PIXEL_TOLERANCE = 0.5;
    static final double NORMALISED_TOLERANCE = 1e-3;
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "gif");

    private DetectionValidator() {}

    /**
     * What {@link #validate} found.
     *
     * @param source what was checked
     * @param images images listed
     * @param boxes boxes of the good images (crowd regions included)
     * @param classCounts boxes per class
     * @param areaCounts boxes by COCO area range: small (&lt; 32²), medium, large (&gt;= 96²)
     * @param maxPerImage most boxes on one image
     * @param annotationProblems bad annotations, one line each
     * @param imageProblems bad images, one line each
     * @param dataset the good images with their boxes
     */
    public record Report(DetectionSource source, int images, long boxes, long[] classCounts, long[] areaCounts,
                         int maxPerImage, List<String> annotationProblems, List<String> imageProblems,
                         DetectionDataset dataset) {
        /** True when nothing is wrong, or only images are bad and {@code skipBadImages} leaves them out. */
        public boolean ok(boolean skipBadImages) {
            return annotationProblems.isEmpty() && (skipBadImages || imageProblems.isEmpty());
        }

        /** A human-readable report listing up to {@code show} problems of each kind. */
        public String format(int show) {
            StringBuilder sb = new StringBuilder();
            List<String> names = dataset.classNames();
            sb.append(String.format(Locale.ROOT, "%s: %d images (%d good), %d boxes in %d classes, up to %d per image%n",
                    source.describe(), images, dataset.items().size(), boxes, names.size(), maxPerImage));
            sb.append(String.format(Locale.ROOT, "  box areas: small %d, medium %d, large %d%n", areaCounts[0],
                    areaCounts[1], areaCounts[2]));
            sb.append("  boxes per class:");
            for (int c = 0; c < names.size(); c++) {
                sb.append(c % 4 == 0 ? "\n    " : "  ").append(String.format(Locale.ROOT, "%-28s %6d",
                        c + " " + names.get(c), classCounts[c]));
            }
            sb.append('\n');
            list(sb, "bad annotations", annotationProblems, show);
            list(sb, "bad images", imageProblems, show);
            if (annotationProblems.isEmpty() && imageProblems.isEmpty()) sb.append("  problems: none\n");
            return sb.toString();
        }

        private static void list(StringBuilder sb, String what, List<String> p, int show) {
            if (p.isEmpty()) return;
            sb.append("  ").append(what).append(": ").append(p.size()).append('\n');
            for (int i = 0; i < Math.min(show, p.size()); i++) sb.append("    ").append(p.get(i)).append('\n');
            if (p.size() > show) sb.append("    ... and ").append(p.size() - show).append(" more\n");
        }
    }

    /**
     * Checks {@code source}.
     *
     * @throws IOException when the label file, folder or class file cannot be read at all
     * @throws IllegalArgumentException when the COCO file is not JSON or the class file is unusable
     */
    public static Report validate(DetectionSource source, ManifestValidator.Check check) throws IOException {
        return source.format() == DetectionSource.Format.COCO ? coco(source, check) : yolo(source, check);
    }

    // ---- COCO -------------------------------------------------------------------------------------

    private static Report coco(DetectionSource s, ManifestValidator.Check check) throws IOException {
        CocoInstances c = CocoInstances.readLenient(s.labels());
        String name = String.valueOf(s.labels().getFileName());
        Path imageDir = Path.of(s.images());
        Acc acc = new Acc();
        acc.annotation.addAll(c.problems());

        Map<Long, Integer> catFirst = new HashMap<>();
        TreeSet<Long> catIds = new TreeSet<>();
        Map<Long, String> catNames = new HashMap<>();
        for (CocoInstances.Category cat : c.categories()) {
            Integer prev = catFirst.putIfAbsent(cat.id(), cat.index());
            if (prev != null) {
                acc.annotation.add(name + ": categories[" + cat.index() + "].id: " + cat.id() + " (expected: unique; "
                        + "categories[" + prev + "] has it too)");
                continue;
            }
            catIds.add(cat.id());
            catNames.put(cat.id(), cat.name());
        }
        long[] ids = catIds.stream().mapToLong(Long::longValue).toArray();
        Map<Long, Integer> classOf = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            classOf.put(ids[i], i);
            names.add(catNames.get(ids[i]));
        }
        String knownCats = ids.length == 0 ? "none: categories is empty" : ids.length <= 12
                ? "one of " + catIds : "one of the " + ids.length + " ids in categories, " + ids[0] + ".." + ids[ids.length - 1];

        Map<Long, CocoInstances.Image> images = new HashMap<>();
        Map<Long, Boolean> imageGood = new HashMap<>();
        List<CocoInstances.Image> unique = new ArrayList<>();
        for (CocoInstances.Image im : c.images()) {
            CocoInstances.Image prev = images.putIfAbsent(im.id(), im);
            if (prev != null) {
                acc.annotation.add(name + ": images[" + im.index() + "].id: " + im.id() + " (expected: unique; images["
                        + prev.index() + "] has it too)");
            } else {
                unique.add(im);
            }
        }
        List<int[]> sizes = acc.checkAll(unique.stream().map(im -> imageDir.resolve(im.fileName())).toList(),
                unique.stream().map(im -> name + ": images[" + im.index() + "].file_name '" + im.fileName() + "'").toList(),
                check, imageDir);
        for (int i = 0; i < unique.size(); i++) {
            CocoInstances.Image im = unique.get(i);
            int[] wh = sizes.get(i);
            imageGood.put(im.id(), wh != null);
            if (wh != null && wh.length == 2 && (wh[0] != im.width() || wh[1] != im.height())) {
                acc.annotation.add(name + ": images[" + im.index() + "].width/height: " + im.width() + "x" + im.height()
                        + " (expected: " + wh[0] + "x" + wh[1] + ", the size of " + imageDir.resolve(im.fileName()) + ")");
            }
        }
        Map<Long, List<BoxLabel>> boxes = new HashMap<>();
        Map<Long, Integer> annFirst = new HashMap<>();
        for (CocoInstances.Annotation a : c.annotations()) {
            String p = name + ": annotations[" + a.index() + "]";
            Integer prev = annFirst.putIfAbsent(a.id(), a.index());
            if (prev != null) {
                acc.annotation.add(p + ".id: " + a.id() + " (expected: unique; annotations[" + prev + "] has it too)");
            }
            CocoInstances.Image im = images.get(a.imageId());
            Integer cls = classOf.get(a.categoryId());
            if (im == null) {
                acc.annotation.add(p + ".image_id: " + a.imageId() + " (expected: an id in images)");
                continue;
            }
            if (cls == null) {
                acc.annotation.add(p + ".category_id: " + a.categoryId() + " (expected: " + knownCats + ")");
                continue;
            }
            String box = "[" + num(a.x()) + ", " + num(a.y()) + ", " + num(a.w()) + ", " + num(a.h()) + "]";
            if (!(a.w() > 0) || !(a.h() > 0)) {
                acc.annotation.add(p + ".bbox: " + box + " (expected: width and height > 0)");
                continue;
            }
            double t = PIXEL_TOLERANCE;
            if (a.x() < -t || a.y() < -t || a.x() + a.w() > im.width() + t || a.y() + a.h() > im.height() + t) {
                acc.annotation.add(p + ".bbox: " + box + " (expected: inside the " + im.width() + "x" + im.height()
                        + " image " + im.id() + ": x >= 0, y >= 0, x + w <= " + im.width() + ", y + h <= " + im.height()
                        + ")");
                continue;
            }
            if (!imageGood.getOrDefault(a.imageId(), false)) continue;
            BoxLabel b = clip(cls, a.x(), a.y(), a.x() + a.w(), a.y() + a.h(), a.crowd(), im.width(), im.height());
            boxes.computeIfAbsent(a.imageId(), k -> new ArrayList<>()).add(b);
        }
        List<DetectionDataset.Item> items = new ArrayList<>();
        for (CocoInstances.Image im : c.images()) {
            if (images.get(im.id()) != im || !imageGood.get(im.id())) continue;
            items.add(new DetectionDataset.Item(im.id(), imageDir.resolve(im.fileName()), im.width(), im.height(),
                    boxes.getOrDefault(im.id(), List.of())));
        }
        return acc.report(s, c.images().size(), names, ids, items);
    }

    // ---- YOLO -------------------------------------------------------------------------------------

    private static Report yolo(DetectionSource s, ManifestValidator.Check check) throws IOException {
        Path classFile = s.classFile() != null ? s.classFile()
                : s.format() == DetectionSource.Format.YOLO_LAYOUT ? s.labels().resolve("classes.txt")
                : s.labels().toAbsolutePath().resolveSibling("classes.txt");
        List<String> names = ClassNames.readClassFile(classFile);
        Acc acc = new Acc();
        List<Path> images = new ArrayList<>();
        List<String> where = new ArrayList<>();
        List<Path> labels = new ArrayList<>();
        if (s.format() == DetectionSource.Format.YOLO_LAYOUT) {
            Path imgDir = s.labels().resolve("images").resolve(s.images());
            Path lblDir = s.labels().resolve("labels").resolve(s.images());
            if (!Files.isDirectory(imgDir)) throw new NoSuchFileException(imgDir.toString(), null, "YOLO image folder");
            Set<String> stems = new HashSet<>();
            try (Stream<Path> st = Files.list(imgDir)) {
                st.filter(f -> IMAGE_EXTENSIONS.contains(ext(f))).sorted().forEach(images::add);
            }
            for (Path f : images) {
                String stem = stem(f);
                if (!stems.add(stem)) {
                    acc.annotation.add(f + ": another image has the stem '" + stem + "' (expected: one image per "
                            + "label file " + lblDir.resolve(stem + ".txt") + ")");
                }
                where.add(f.toString());
                labels.add(lblDir.resolve(stem + ".txt"));
            }
            if (Files.isDirectory(lblDir)) {
                try (Stream<Path> st = Files.list(lblDir)) {
                    st.filter(f -> ext(f).equals("txt") && !stems.contains(stem(f))).sorted().forEach(f ->
                            acc.image.add(f + ": label file without an image (expected: " + imgDir.resolve(stem(f))
                                    + ".jpg or another image type)"));
                }
            }
        } else {
            Path base = s.labels().toAbsolutePath().getParent();
            List<String> lines = Files.readAllLines(s.labels(), StandardCharsets.UTF_8);
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).strip();
                if (l.isEmpty() || (i == 0 && l.equalsIgnoreCase("image_path"))) continue;
                String at = s.labels() + ":" + (i + 1);
                Integer prev = seen.putIfAbsent(l, i + 1);
                if (prev != null) {
                    acc.annotation.add(at + ": '" + l + "' (expected: each image once; line " + prev + " names it too)");
                    continue;
                }
                Path img = base.resolve(l);
                images.add(img);
                where.add(at + ": '" + l + "'");
                labels.add(labelFor(img));
            }
        }
        int k = names.size();
        List<DetectionDataset.Item> items = new ArrayList<>();
        List<int[]> sizes = acc.checkAll(images, where,
                check == ManifestValidator.Check.NONE ? ManifestValidator.Check.HEADER : check, null);
        for (int i = 0; i < images.size(); i++) {
            int[] wh = sizes.get(i);
            YoloLabels.Parsed parsed = YoloLabels.read(labels.get(i), 1, 1);
            acc.annotation.addAll(parsed.problems());
            List<BoxLabel> boxes = new ArrayList<>();
            for (YoloLabels.Line line : parsed.lines()) {
                String at = labels.get(i) + ":" + line.lineNo() + ": '" + line.text() + "'";
                if (line.classId() < 0 || line.classId() >= k) {
                    acc.annotation.add(at + " class " + line.classId() + " (expected: 0.." + (k - 1) + ", the " + k
                            + " classes of " + classFile.getFileName() + ")");
                    continue;
                }
                if (!(line.x2() > line.x1()) || !(line.y2() > line.y1())) {
                    acc.annotation.add(at + " (expected: width and height > 0)");
                    continue;
                }
                double t = NORMALISED_TOLERANCE;
                if (line.x1() < -t || line.y1() < -t || line.x2() > 1 + t || line.y2() > 1 + t) {
                    acc.annotation.add(at + " box [" + num(line.x1()) + ", " + num(line.y1()) + ", " + num(line.x2())
                            + ", " + num(line.y2()) + "] (expected: inside the image, cx -/+ w/2 and cy -/+ h/2 in [0, 1])");
                    continue;
                }
                if (wh != null) {
                    boxes.add(clip(line.classId(), line.x1() * wh[0], line.y1() * wh[1], line.x2() * wh[0],
                            line.y2() * wh[1], false, wh[0], wh[1]));
                }
            }
            if (wh != null) items.add(new DetectionDataset.Item(i + 1, images.get(i), wh[0], wh[1], boxes));
        }
        long[] ids = new long[k];
        for (int c = 0; c < k; c++) ids[c] = c + 1;
        return acc.report(s, images.size(), names, ids, items);
    }

    /** YOLO's convention: {@code .../images/x/a.jpg} -> {@code .../labels/x/a.txt}. */
    static Path labelFor(Path image) {
        Path abs = image.toAbsolutePath();
        int n = abs.getNameCount();
        int at = -1;
        for (int i = n - 2; i >= 0; i--) {
            if (abs.getName(i).toString().equals("images")) {
                at = i;
                break;
            }
        }
        Path parent = abs.getParent();
        if (at >= 0) {
            Path root = abs.getRoot().resolve(abs.subpath(0, at)).resolve("labels");
            parent = at + 1 < n - 1 ? root.resolve(abs.subpath(at + 1, n - 1)) : root;
        }
        return parent.resolve(stem(abs) + ".txt");
    }

    private static BoxLabel clip(int cls, double x1, double y1, double x2, double y2, boolean crowd, int w, int h) {
        return new BoxLabel(cls, (float) Math.max(0, x1), (float) Math.max(0, y1), (float) Math.min(w, x2),
                (float) Math.min(h, y2), crowd);
    }

    private static String ext(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }

    private static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return Long.toString((long) v);
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** Problems and statistics gathered while checking one source. */
    private static final class Acc {
        final List<String> annotation = new ArrayList<>();
        final List<String> image = new ArrayList<>();

        List<int[]> checkAll(List<Path> files, List<String> where, ManifestValidator.Check check, Path dir)
                throws IOException {
            return ImageChecks.checkAll(files, where, check, dir, image);
        }

        Report report(DetectionSource s, int images, List<String> names, long[] ids, List<DetectionDataset.Item> items) {
            long[] perClass = new long[names.size()];
            long[] areas = new long[3];
            long boxes = 0;
            int max = 0;
            for (DetectionDataset.Item it : items) {
                max = Math.max(max, it.boxes().size());
                for (BoxLabel b : it.boxes()) {
                    boxes++;
                    perClass[b.classId()]++;
                    double a = (double) b.width() * b.height();
                    areas[a < 32 * 32 ? 0 : a < 96 * 96 ? 1 : 2]++;
                }
            }
            DetectionDataset ds = new DetectionDataset(names, ids, items, image);
            return new Report(s, images, boxes, perClass, areas, max, List.copyOf(annotation), List.copyOf(image), ds);
        }
    }
}
