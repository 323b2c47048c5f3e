package dev.jvision.data.demo;

import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Composite;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.MultipleGradientPaint;
import java.awt.RadialGradientPaint;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.PathIterator;
import java.awt.geom.Point2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Renders one "objects on a tray" photo: 0-12 pill-like objects of the given classes (a class is
 * a shape, a body colour and an imprinted letter), rotated, some partly overlapping, some very
 * small, on varied trays under uneven lighting, with noise; and the exact box of each object (the
 * bounds of its flattened outline after rotation, clipped to the image).
 *
 * <p>Not thread-safe: one instance renders one image on one thread.
 */
final class TrayRenderer {
    static final String[] SHAPES = {"round", "oval", "capsule", "square", "triangle", "hexagon", "diamond", "octagon"};
    static final String[] COLOUR_NAMES = {"white", "red", "orange", "yellow", "green", "blue", "purple", "pink",
            "brown", "black"};
    private static final Color[] COLOURS = {new Color(238, 236, 228), new Color(200, 40, 40), new Color(235, 130, 30),
            new Color(235, 205, 50), new Color(60, 160, 70), new Color(50, 90, 200), new Color(120, 60, 170),
            new Color(240, 150, 185), new Color(120, 75, 40), new Color(35, 35, 38)};
    private static final Color[] TRAYS = {new Color(205, 210, 215), new Color(120, 160, 200), new Color(150, 190, 150),
            new Color(220, 205, 175), new Color(70, 75, 80), new Color(235, 235, 235), new Color(180, 150, 120)};
    private static final int MAX_OBJECTS = 12;

    /** One rendered object: 0-based class and its box in pixels. */
    record Placed(int classId, double x1, double y1, double x2, double y2) {}

    /** The image and its objects, in drawing order (later ones may cover earlier ones). */
    record Rendered(BufferedImage image, List<Placed> objects) {}

    private TrayRenderer() {}

    /** Class {@code c}'s shape, colour and mark: distinct (shape, colour) pairs for up to 80 classes. */
    static int shapeOf(int c) {
        return c % SHAPES.length;
    }

    static int colourOf(int c) {
        return (c / SHAPES.length * 9 + c % SHAPES.length) % COLOURS.length;
    }

    static char markOf(int c) {
        return (char) ('A' + c % 26);
    }

    /** A readable class name such as {@code red_capsule_C}. */
    static String className(int c) {
        String n = COLOUR_NAMES[colourOf(c)] + "_" + SHAPES[shapeOf(c)] + "_" + markOf(c);
        return c < 80 ? n : n + "_" + c / 80;
    }

    static Rendered render(int width, int height, int numClasses, Random r) {
        Canvas cv = new Canvas(width, height, r);
        tray(cv);
        int n = r.nextDouble() < 0.04 ? 0 : cv.ri(1, MAX_OBJECTS);
        List<Placed> placed = new ArrayList<>();
        double unit = Math.min(width, height);
        for (int i = 0; i < n; i++) {
            int cls = r.nextInt(numClasses);
            double size = r.nextDouble() < 0.12 ? unit * cv.rd(0.03, 0.06) : unit * cv.rd(0.07, 0.24);
            for (int attempt = 0; attempt < 25; attempt++) {
                double angle = cv.rd(0, 2 * Math.PI);
                double cx = cv.rd(0, width);
                double cy = cv.rd(0, height);
                Shape outline = outline(cls, size, cx, cy, angle);
                double[] b = flatBounds(outline);
                if (b[0] < 1 || b[1] < 1 || b[2] > width - 1 || b[3] > height - 1) continue;
                if (!fits(b, placed)) continue;
                draw(cv, cls, size, cx, cy, angle, outline);
                placed.add(new Placed(cls, b[0], b[1], b[2], b[3]));
                break;
            }
        }
        BufferedImage img = lighting(cv);
        double contrast = cv.rd(0.8, 1.15);
        double brightness = cv.rd(-25, 20);
        double sigma = r.nextDouble() < 0.6 ? cv.rd(2, 7) : 0;
        photometric(img, contrast, brightness, sigma, r.nextLong());
        return new Rendered(img, placed);
    }

    /** Overlap allowed, but each object stays mostly visible: IoU below 0.2 and under 35% of the smaller box covered. */
    private static boolean fits(double[] b, List<Placed> placed) {
        double area = (b[2] - b[0]) * (b[3] - b[1]);
        for (Placed p : placed) {
            double iw = Math.min(b[2], p.x2()) - Math.max(b[0], p.x1());
            double ih = Math.min(b[3], p.y2()) - Math.max(b[1], p.y1());
            if (iw <= 0 || ih <= 0) continue;
            double inter = iw * ih;
            double other = (p.x2() - p.x1()) * (p.y2() - p.y1());
            if (inter / (area + other - inter) > 0.2 || inter / Math.min(area, other) > 0.35) return false;
        }
        return true;
    }

    private static void tray(Canvas cv) {
        Color base = cv.jit(TRAYS[cv.r.nextInt(TRAYS.length)], 18);
        cv.gradient(cv.shade(base, 20), cv.shade(base, 20), 0, 0, cv.w, cv.h);
        switch (cv.r.nextInt(4)) {
            case 0 -> { // brushed lines
                for (int i = 0; i < 40; i++) {
                    double y = cv.rd(0, cv.h);
                    cv.line(cv.shade(base, 14), cv.rd(0.5, 1.5), 0, y, cv.w, y + cv.rd(-8, 8));
                }
            }
            case 1 -> { // speckles
                for (int i = 0; i < 250; i++) {
                    double rad = cv.rd(0.5, 2);
                    cv.oval(cv.shade(base, 30), cv.rd(0, cv.w), cv.rd(0, cv.h), rad, rad);
                }
            }
            case 2 -> { // a tray rim
                double m = cv.u * cv.rd(0.02, 0.06);
                cv.g.setColor(cv.shade(base, 35));
                cv.g.setStroke(new BasicStroke((float) (cv.u * 0.012)));
                cv.g.draw(new RoundRectangle2D.Double(m, m, cv.w - 2 * m, cv.h - 2 * m, cv.u * 0.1, cv.u * 0.1));
            }
            default -> { // plain
            }
        }
    }

    private static Shape outline(int cls, double size, double cx, double cy, double angle) {
        double w = size;
        double h = size;
        Shape local;
        switch (SHAPES[shapeOf(cls)]) {
            case "round" -> local = new Ellipse2D.Double(-w / 2, -h / 2, w, h);
            case "oval" -> {
                h = size * 0.68;
                local = new Ellipse2D.Double(-w / 2, -h / 2, w, h);
            }
            case "capsule" -> {
                h = size * 0.45;
                local = new RoundRectangle2D.Double(-w / 2, -h / 2, w, h, h, h);
            }
            case "square" -> {
                w = size * 0.85;
                h = size * 0.85;
                local = new RoundRectangle2D.Double(-w / 2, -h / 2, w, h, w * 0.3, w * 0.3);
            }
            case "triangle" -> local = polygon(3, size / 2, -Math.PI / 2);
            case "hexagon" -> local = polygon(6, size / 2, 0);
            case "diamond" -> {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(0, -size / 2);
                p.lineTo(size * 0.32, 0);
                p.lineTo(0, size / 2);
                p.lineTo(-size * 0.32, 0);
                p.closePath();
                local = p;
            }
            default -> local = polygon(8, size / 2, Math.PI / 8);
        }
        AffineTransform at = new AffineTransform();
        at.translate(cx, cy);
        at.rotate(angle);
        return at.createTransformedShape(local);
    }

    private static Shape polygon(int n, double rad, double phase) {
        Path2D.Double p = new Path2D.Double();
        for (int i = 0; i < n; i++) {
            double a = phase + 2 * Math.PI * i / n;
            if (i == 0) p.moveTo(rad * Math.cos(a), rad * Math.sin(a));
            else p.lineTo(rad * Math.cos(a), rad * Math.sin(a));
        }
        p.closePath();
        return p;
    }

    /** Tight bounds {x1, y1, x2, y2} of a shape (curves flattened; getBounds2D of curves uses control points). */
    static double[] flatBounds(Shape s) {
        double[] b = {Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, -Double.MAX_VALUE};
        double[] c = new double[6];
        for (PathIterator it = s.getPathIterator(null, 0.05); !it.isDone(); it.next()) {
            int type = it.currentSegment(c);
            if (type == PathIterator.SEG_CLOSE) continue;
            b[0] = Math.min(b[0], c[0]);
            b[1] = Math.min(b[1], c[1]);
            b[2] = Math.max(b[2], c[0]);
            b[3] = Math.max(b[3], c[1]);
        }
        return b;
    }

    private static void draw(Canvas cv, int cls, double size, double cx, double cy, double angle, Shape outline) {
        Graphics2D g = cv.g;
        Color body = cv.shade(cv.jit(COLOURS[colourOf(cls)], 10), 12);
        // soft shadow, offset away from the light
        Composite old = g.getComposite();
        g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.28f));
        g.setColor(Color.BLACK);
        g.fill(AffineTransform.getTranslateInstance(size * 0.06, size * 0.08).createTransformedShape(outline));
        g.setComposite(old);
        g.setColor(body);
        g.fill(outline);
        if (SHAPES[shapeOf(cls)].equals("capsule")) { // two-tone: the other half a paler shade
            Shape clip = g.getClip();
            g.clip(outline);
            AffineTransform at = new AffineTransform();
            at.translate(cx, cy);
            at.rotate(angle);
            g.setColor(mix(body, Color.WHITE, 0.45));
            g.fill(at.createTransformedShape(new Rectangle2D.Double(0, -size, size, 2 * size)));
            g.setClip(clip);
        }
        // highlight: a lighter disc towards the top-left, clipped to the object
        Shape clip = g.getClip();
        g.clip(outline);
        float rad = (float) (size * 0.6);
        g.setPaint(new RadialGradientPaint(new Point2D.Double(cx - size * 0.18, cy - size * 0.2), rad,
                new float[] {0f, 1f}, new Color[] {new Color(255, 255, 255, 90), new Color(255, 255, 255, 0)},
                MultipleGradientPaint.CycleMethod.NO_CYCLE));
        g.fill(outline.getBounds2D());
        g.setClip(clip);
        g.setColor(mix(body, Color.BLACK, 0.35));
        g.setStroke(new BasicStroke((float) Math.max(0.6, size * 0.025)));
        g.draw(outline);
        // the imprinted mark, turned with the object
        if (size >= 10) {
            AffineTransform saved = g.getTransform();
            g.translate(cx, cy);
            g.rotate(angle);
            double fs = size * 0.38;
            Color ink = luminance(body) > 120 ? mix(body, Color.BLACK, 0.55) : mix(body, Color.WHITE, 0.55);
            cv.text(String.valueOf(markOf(cls)), -fs * 0.33, fs * 0.36, fs, ink, Font.SANS_SERIF, Font.BOLD);
            g.setTransform(saved);
        }
    }

    /** N(0, 1) samples drawn once; per-pixel noise indexes them with a cheap generator (Random per pixel is slow). */
    private static final float[] GAUSS = new float[1 << 16];

    static {
        Random g = new Random(0x5eed);
        for (int i = 0; i < GAUSS.length; i++) GAUSS[i] = (float) g.nextGaussian();
    }

    /** Contrast and brightness through a table, then Gaussian pixel noise (grey or per channel), in place. */
    static void photometric(BufferedImage img, double contrast, double brightness, double sigma, long seed) {
        int[] p = ((java.awt.image.DataBufferInt) img.getRaster().getDataBuffer()).getData();
        int[] lut = new int[256];
        for (int i = 0; i < 256; i++) lut[i] = Canvas.clamp((int) Math.round((i - 128) * contrast + 128 + brightness));
        long x = seed | 1;
        boolean mono = (seed & 2) == 0;
        for (int i = 0; i < p.length; i++) {
            int v = p[i];
            int cr = lut[(v >> 16) & 255];
            int cg = lut[(v >> 8) & 255];
            int cb = lut[v & 255];
            if (sigma > 0) {
                x ^= x << 13; // xorshift64
                x ^= x >>> 7;
                x ^= x << 17;
                int n0 = (int) Math.round(GAUSS[(int) (x & 0xFFFF)] * sigma);
                int n1 = mono ? n0 : (int) Math.round(GAUSS[(int) ((x >>> 16) & 0xFFFF)] * sigma);
                int n2 = mono ? n0 : (int) Math.round(GAUSS[(int) ((x >>> 32) & 0xFFFF)] * sigma);
                cr = Canvas.clamp(cr + n0);
                cg = Canvas.clamp(cg + n1);
                cb = Canvas.clamp(cb + n2);
            }
            p[i] = (cr << 16) | (cg << 8) | cb;
        }
    }

    /** Uneven light: a bright spot and darker corners. */
    private static BufferedImage lighting(Canvas cv) {
        Graphics2D g = cv.g;
        float rad = (float) (Math.max(cv.w, cv.h) * cv.rd(0.6, 1.1));
        Point2D c = new Point2D.Double(cv.rd(0, cv.w), cv.rd(0, cv.h));
        int dark = cv.ri(40, 120);
        g.setPaint(new RadialGradientPaint(c, rad, new float[] {0f, 1f},
                new Color[] {new Color(255, 250, 235, cv.ri(0, 50)), new Color(0, 0, 0, dark)},
                MultipleGradientPaint.CycleMethod.NO_CYCLE));
        g.fill(new Rectangle2D.Double(0, 0, cv.w, cv.h));
        return cv.finish();
    }

    private static Color mix(Color a, Color b, double t) {
        return new Color((int) Math.round(a.getRed() + t * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + t * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + t * (b.getBlue() - a.getBlue())));
    }

    private static double luminance(Color c) {
        return 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
    }
}
