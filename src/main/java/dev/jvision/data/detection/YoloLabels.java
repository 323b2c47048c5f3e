package dev.jvision.data.detection;

import dev.jvision.runtime.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * YOLO label files: one text file per image, one line {@code class cx cy w h} per box, the centre
 * and size normalised by the image's width and height (in [0, 1]); an empty or missing file is an
 * image without objects.
 *
 * <p>Stateless; thread-safe.
 */
public final class YoloLabels {
    /** One parsed line: its 1-based line number, class and the box in pixels (not yet validated). */
    public record Line(int lineNo, int classId, float x1, float y1, float x2, float y2, String text) {}

    /** The lines of one file and the problems of the lines that did not parse. */
    public record Parsed(List<Line> lines, List<String> problems) {}

    private YoloLabels() {}

    /**
     * Parses {@code file} for an image of {@code width x height} pixels. Lines that do not have five
     * numbers, or whose class is not an integer, become problems ({@code file:line: value (expected:
     * ...)}); range checks (box inside the image, known class) are {@link DetectionValidator}'s.
     * A missing file gives no lines.
     */
    public static Parsed read(Path file, int width, int height) throws IOException {
        List<Line> lines = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (!Files.exists(file)) return new Parsed(lines, problems);
        List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < text.size(); i++) {
            String s = text.get(i).strip();
            if (s.isEmpty()) continue;
            String[] f = s.split("\\s+");
            String where = file + ":" + (i + 1) + ": '" + s + "'";
            if (f.length != 5) {
                problems.add(where + " (expected: 5 fields 'class cx cy w h', got " + f.length + ")");
                continue;
            }
            int cls;
            double[] v = new double[4];
            try {
                cls = Integer.parseInt(f[0]);
                for (int k = 0; k < 4; k++) v[k] = Double.parseDouble(f[k + 1]);
            } catch (NumberFormatException e) {
                problems.add(where + " (expected: an integer class and 4 numbers)");
                continue;
            }
            boolean finite = true;
            for (double d : v) finite &= Double.isFinite(d);
            if (!finite) {
                problems.add(where + " (expected: finite numbers)");
                continue;
            }
            double cx = v[0] * width;
            double cy = v[1] * height;
            double w = v[2] * width;
            double h = v[3] * height;
            lines.add(new Line(i + 1, cls, (float) (cx - w / 2), (float) (cy - h / 2), (float) (cx + w / 2),
                    (float) (cy + h / 2), s));
        }
        return new Parsed(lines, problems);
    }

    /** Writes the label file of one image (atomically), 6 decimals per value. */
    public static void write(Path file, List<BoxLabel> boxes, int width, int height) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        AtomicFiles.writeText(file, w -> {
            for (BoxLabel b : boxes) w.write(line(b, width, height));
        });
    }

    /** The label line of one box ({@code "class cx cy w h\n"}). */
    public static String line(BoxLabel b, int width, int height) {
        return String.format(Locale.ROOT, "%d %.6f %.6f %.6f %.6f\n", b.classId(), (b.x1() + b.x2()) / 2.0 / width,
                (b.y1() + b.y2()) / 2.0 / height, (double) b.width() / width, (double) b.height() / height);
    }
}
