package dev.jvision.data.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * Drawing helpers over one {@link BufferedImage} with one per-image {@link Random}.
 *
 * <p>Not thread-safe: one instance belongs to one image being rendered by one thread.
 */
final class Canvas {
  private static final String ALNUM =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final String UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static final String[] FAMILIES = {Font.SANS_SERIF, Font.SERIF, Font.MONOSPACED, Font.DIALOG};

  /** Set once text rendering has failed (e.g. no fonts at all); text is then drawn as boxes. */
  private static volatile boolean textBroken;

  final BufferedImage img;
  final Graphics2D g;
  final Random r;
  final double w;
  final double h;
  /** Short side, the unit for sizes. */
  final double u;
  /** Font family used for most text on this document. */
  final String family;

  Canvas(int width, int height, Random r) {
    this.img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    this.g = img.createGraphics();
    this.r = r;
    this.w = width;
    this.h = height;
    this.u = Math.min(width, height);
    this.family = FAMILIES[r.nextInt(FAMILIES.length)];
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
  }

  BufferedImage finish() {
    g.dispose();
    return img;
  }

  // ---- randomness -------------------------------------------------------------------------

  int ri(int lo, int hi) {
    return lo + r.nextInt(hi - lo + 1);
  }

  double rd(double lo, double hi) {
    return lo + (hi - lo) * r.nextDouble();
  }

  boolean p(double prob) {
    return r.nextDouble() < prob;
  }

  Color jit(Color c, int d) {
    return new Color(
        clamp(c.getRed() + ri(-d, d)), clamp(c.getGreen() + ri(-d, d)), clamp(c.getBlue() + ri(-d, d)));
  }

  /** Same jitter on all channels: keeps the hue, varies the lightness. */
  Color shade(Color c, int d) {
    int k = ri(-d, d);
    return new Color(clamp(c.getRed() + k), clamp(c.getGreen() + k), clamp(c.getBlue() + k));
  }

  static int clamp(int v) {
    return v < 0 ? 0 : (v > 255 ? 255 : v);
  }

  String word(int n, String alphabet) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  String words(int totalChars) {
    StringBuilder sb = new StringBuilder(totalChars);
    while (sb.length() < totalChars) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(word(ri(2, 8), ALNUM));
    }
    return sb.substring(0, Math.max(1, totalChars));
  }

  String code(int n) {
    return word(n, UPPER_DIGITS);
  }

  String digits(int n) {
    return word(n, "0123456789");
  }

  // ---- primitives -------------------------------------------------------------------------

  void bg(Color c) {
    fill(c, 0, 0, w, h);
  }

  void fill(Color c, double x, double y, double ww, double hh) {
    g.setColor(c);
    g.fill(new Rectangle2D.Double(x, y, ww, hh));
  }

  void roundFill(Color c, double x, double y, double ww, double hh, double arc) {
    g.setColor(c);
    g.fill(new RoundRectangle2D.Double(x, y, ww, hh, arc, arc));
  }

  void rect(Color c, double stroke, double x, double y, double ww, double hh) {
    g.setColor(c);
    g.setStroke(new BasicStroke((float) Math.max(0.6, stroke)));
    g.draw(new Rectangle2D.Double(x, y, ww, hh));
  }

  void line(Color c, double stroke, double x1, double y1, double x2, double y2) {
    g.setColor(c);
    g.setStroke(new BasicStroke((float) Math.max(0.6, stroke)));
    g.draw(new Line2D.Double(x1, y1, x2, y2));
  }

  void dashed(Color c, double stroke, double x1, double y1, double x2, double y2, double dash) {
    g.setColor(c);
    g.setStroke(
        new BasicStroke(
            (float) Math.max(0.6, stroke),
            BasicStroke.CAP_BUTT,
            BasicStroke.JOIN_MITER,
            10f,
            new float[] {(float) Math.max(1, dash), (float) Math.max(1, dash)},
            0f));
    g.draw(new Line2D.Double(x1, y1, x2, y2));
  }

  void oval(Color c, double cx, double cy, double rx, double ry) {
    g.setColor(c);
    g.fill(new Ellipse2D.Double(cx - rx, cy - ry, 2 * rx, 2 * ry));
  }

  void ring(Color c, double stroke, double cx, double cy, double rx, double ry) {
    g.setColor(c);
    g.setStroke(new BasicStroke((float) Math.max(0.6, stroke)));
    g.draw(new Ellipse2D.Double(cx - rx, cy - ry, 2 * rx, 2 * ry));
  }

  /** Vertical two-colour gradient background by horizontal strips (cheap, deterministic). */
  void gradient(Color top, Color bottom, double x, double y, double ww, double hh) {
    int steps = Math.max(2, (int) Math.min(hh, 48));
    for (int i = 0; i < steps; i++) {
      double t = i / (double) (steps - 1);
      Color c =
          new Color(
              (int) Math.round(top.getRed() + t * (bottom.getRed() - top.getRed())),
              (int) Math.round(top.getGreen() + t * (bottom.getGreen() - top.getGreen())),
              (int) Math.round(top.getBlue() + t * (bottom.getBlue() - top.getBlue())));
      fill(c, x, y + hh * i / steps, ww, hh / steps + 1);
    }
  }

  // ---- text -------------------------------------------------------------------------------

  void text(String s, double x, double y, double size, Color c, String fam, int style) {
    int px = Math.max(4, (int) Math.round(size));
    if (!textBroken) {
      try {
        g.setFont(new Font(fam, style, px));
        g.setColor(c);
        g.drawString(s, (float) x, (float) y);
        return;
      } catch (OutOfMemoryError e) {
        throw e;
      } catch (RuntimeException | Error e) {
        textBroken = true; // no usable fonts: fall through to the box rendering from now on
      }
    }
    // Fallback: one small bar per word, sized like the text would be.
    g.setColor(c);
    double cw = px * (fam.equals(Font.MONOSPACED) ? 0.6 : 0.52);
    double xx = x;
    for (String wd : s.split(" ")) {
      if (!wd.isEmpty()) {
        g.fill(new Rectangle2D.Double(xx, y - px * 0.68, cw * wd.length(), px * 0.6));
      }
      xx += cw * (wd.length() + 1);
    }
  }

  /** A line of random words roughly filling {@code width}. */
  void textLine(double x, double y, double width, double size, Color c) {
    textLine(x, y, width, size, c, family, Font.PLAIN);
  }

  void textLine(double x, double y, double width, double size, Color c, String fam, int style) {
    double cw = size * (fam.equals(Font.MONOSPACED) ? 0.6 : 0.5);
    int n = (int) Math.max(1, width / cw);
    text(words(n), x, y, size, c, fam, style);
  }

  /** Lines of random text with ragged right edges. */
  void paragraph(double x, double y, double width, double height, double size, Color c) {
    double lh = size * rd(1.35, 1.7);
    for (double yy = y + size; yy <= y + height; yy += lh) {
      textLine(x, yy, width * (p(0.2) ? rd(0.4, 0.8) : rd(0.85, 1.0)), size, c);
    }
  }

  // ---- composite elements -----------------------------------------------------------------

  /**
   * A grid table; {@code headerFill} (nullable) fills the first row, {@code colFill} (nullable)
   * the first column; cells get short random text with probability {@code textProb}.
   */
  void table(
      double x,
      double y,
      double ww,
      double hh,
      int rows,
      int cols,
      Color lineC,
      double stroke,
      Color headerFill,
      Color colFill,
      double textProb) {
    double rh = hh / rows;
    double[] xs = new double[cols + 1];
    xs[0] = x;
    double acc = 0;
    double[] wts = new double[cols];
    for (int i = 0; i < cols; i++) {
      wts[i] = rd(0.6, 1.6);
      acc += wts[i];
    }
    for (int i = 0; i < cols; i++) {
      xs[i + 1] = xs[i] + ww * wts[i] / acc;
    }
    if (headerFill != null) {
      fill(headerFill, x, y, ww, rh);
    }
    if (colFill != null) {
      fill(colFill, x, y + (headerFill != null ? rh : 0), xs[1] - x, hh - (headerFill != null ? rh : 0));
    }
    double ts = Math.max(5, Math.min(rh * 0.55, u * 0.05));
    Color tc = new Color(40, 40, 40);
    for (int rr = 0; rr < rows; rr++) {
      for (int cc = 0; cc < cols; cc++) {
        if (p(textProb)) {
          double cwid = xs[cc + 1] - xs[cc];
          textLine(xs[cc] + ts * 0.3, y + rr * rh + rh * 0.72, cwid * rd(0.3, 0.85), ts, tc);
        }
      }
    }
    for (int rr = 0; rr <= rows; rr++) {
      line(lineC, stroke, x, y + rr * rh, x + ww, y + rr * rh);
    }
    for (int cc = 0; cc <= cols; cc++) {
      line(lineC, stroke, xs[cc], y, xs[cc], y + hh);
    }
  }

  /** An ID photo: light backdrop, shoulders and a face-like ellipse. */
  void photo(double x, double y, double ww, double hh) {
    Color back = jit(p(0.5) ? new Color(200, 215, 235) : new Color(228, 228, 225), 12);
    fill(back, x, y, ww, hh);
    Color skin = jit(new Color(225, 185, 150), 25);
    Color cloth = jit(p(0.5) ? new Color(40, 45, 70) : new Color(90, 90, 95), 25);
    double cx = x + ww * rd(0.45, 0.55);
    java.awt.Shape oldClip = g.getClip();
    g.clip(new Rectangle2D.Double(x, y, ww, hh));
    g.setColor(cloth);
    g.fill(new Ellipse2D.Double(cx - ww * 0.48, y + hh * 0.72, ww * 0.96, hh * 0.7));
    oval(skin, cx, y + hh * 0.62, ww * 0.12, hh * 0.12); // neck
    oval(skin, cx, y + hh * 0.42, ww * 0.26, hh * 0.25);
    Color hair = jit(new Color(35, 30, 28), 15);
    g.setColor(hair);
    g.fill(new java.awt.geom.Arc2D.Double(
        cx - ww * 0.28, y + hh * 0.13, ww * 0.56, hh * 0.36, 0, 180, java.awt.geom.Arc2D.CHORD));
    oval(new Color(40, 40, 40), cx - ww * 0.09, y + hh * 0.42, ww * 0.03, hh * 0.02);
    oval(new Color(40, 40, 40), cx + ww * 0.09, y + hh * 0.42, ww * 0.03, hh * 0.02);
    g.setClip(oldClip);
    rect(shade(new Color(120, 120, 120), 20), 1, x, y, ww, hh);
  }

  /** A red seal: double ring with a few characters. */
  void stamp(double cx, double cy, double rad) {
    Color red = jit(new Color(215, 35, 40), 20);
    ring(red, Math.max(1.5, rad * 0.1), cx, cy, rad, rad);
    if (p(0.6)) {
      ring(red, Math.max(1, rad * 0.05), cx, cy, rad * 0.75, rad * 0.75);
    }
    text(code(2), cx - rad * 0.5, cy + rad * 0.3, rad * 0.75, red, Font.SERIF, Font.BOLD);
  }

  void barcode(double x, double y, double ww, double hh) {
    double xx = x;
    Color k = new Color(20, 20, 20);
    double unit = Math.max(1, ww / 95.0);
    while (xx < x + ww) {
      double bw = unit * ri(1, 3);
      if (p(0.55)) {
        fill(k, xx, y, bw, hh);
      }
      xx += bw;
    }
  }

  /** A scribbled signature made of a few random cubic curves. */
  void signature(double x, double y, double ww, double hh, Color c) {
    Path2D.Double path = new Path2D.Double();
    double px = x;
    double py = y + hh * rd(0.3, 0.7);
    path.moveTo(px, py);
    int segs = ri(3, 6);
    for (int i = 0; i < segs; i++) {
      double nx = x + ww * (i + 1) / segs;
      double ny = y + hh * rd(0.1, 0.9);
      path.curveTo(
          px + rd(-0.2, 0.5) * ww / segs, y + hh * rd(-0.2, 1.2),
          nx - rd(-0.2, 0.5) * ww / segs, y + hh * rd(-0.2, 1.2),
          nx, ny);
      px = nx;
      py = ny;
    }
    g.setColor(c);
    g.setStroke(new BasicStroke((float) Math.max(1, u / 150.0), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.draw(path);
  }

  /** Wavy security pattern lines across a region. */
  void guilloche(Color c, double x, double y, double ww, double hh, int n) {
    g.setColor(c);
    g.setStroke(new BasicStroke((float) Math.max(0.6, u / 300.0)));
    double amp = hh * rd(0.02, 0.06);
    double freq = rd(2, 6) * Math.PI * 2 / ww;
    for (int i = 0; i < n; i++) {
      Path2D.Double path = new Path2D.Double();
      double base = y + hh * (i + 0.5) / n;
      double ph = i * 0.7;
      path.moveTo(x, base + amp * Math.sin(ph));
      for (double xx = x; xx <= x + ww; xx += Math.max(2, ww / 60)) {
        path.lineTo(xx, base + amp * Math.sin((xx - x) * freq + ph));
      }
      g.draw(path);
    }
  }
}
