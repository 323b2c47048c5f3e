package dev.jvision.data.demo;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

/**
 * Geometric and photometric changes: mild ones for train images, the competition's test-set
 * corruptions for test images. Pure functions of (image, Random); thread-safe as long as each
 * call gets its own {@link Random}.
 */
final class Degrade {
  private Degrade() {}

  /** Mild train variation: small rotation (up to 5 degrees), slight scale and offset. */
  static BufferedImage mild(BufferedImage src, Random r) {
    if (r.nextDouble() < 0.35) {
      return src;
    }
    int w = src.getWidth();
    int h = src.getHeight();
    double angle = Math.toRadians((r.nextDouble() * 2 - 1) * 5);
    double scale = 0.92 + r.nextDouble() * 0.1;
    double dx = (r.nextDouble() * 2 - 1) * 0.03 * w;
    double dy = (r.nextDouble() * 2 - 1) * 0.03 * h;
    Color fill = backdrop(r);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setColor(fill);
    g.fillRect(0, 0, w, h);
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    AffineTransform at = new AffineTransform();
    at.translate(w / 2.0 + dx, h / 2.0 + dy);
    at.rotate(angle);
    at.scale(scale, scale);
    at.translate(-w / 2.0, -h / 2.0);
    g.drawImage(src, at, null);
    g.dispose();
    return out;
  }

  /**
   * Test corruptions: ~50% a rotation by a multiple of 90 degrees, ~30% a flip, ~30% an arbitrary
   * rotation with background fill, then 1 to 3 of blur / noise / brightness-contrast / JPEG.
   */
  static BufferedImage corrupt(BufferedImage img, Random r) {
    if (r.nextDouble() < 0.5) {
      img = rot90(img, 1 + r.nextInt(3));
    }
    if (r.nextDouble() < 0.3) {
      img = flip(img, r.nextBoolean());
    }
    if (r.nextDouble() < 0.3) {
      img = rotate(img, r.nextDouble() * 360, backdrop(r));
    }
    int[] ops = {0, 1, 2, 3};
    for (int i = ops.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = ops[i];
      ops[i] = ops[j];
      ops[j] = t;
    }
    int n = 1 + r.nextInt(3);
    for (int i = 0; i < n; i++) {
      switch (ops[i]) {
        case 0 -> img = blur(img, 0.7 + r.nextDouble() * 1.6);
        case 1 -> img = noise(img, 4 + r.nextDouble() * 18, r);
        case 2 -> img = brightnessContrast(img, 0.65 + r.nextDouble() * 0.6, (r.nextDouble() * 2 - 1) * 45);
        default -> img = jpegArtefacts(img, 0.05f + r.nextFloat() * 0.25f);
      }
    }
    return img;
  }

  private static Color backdrop(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> new Color(255, 255, 255);
      case 1 -> new Color(0, 0, 0);
      case 2 -> {
        int v = 60 + r.nextInt(150);
        yield new Color(v, v, v);
      }
      default -> new Color(90 + r.nextInt(60), 65 + r.nextInt(40), 40 + r.nextInt(30));
    };
  }

  static BufferedImage rot90(BufferedImage src, int k) {
    int w = src.getWidth();
    int h = src.getHeight();
    int[] in = src.getRGB(0, 0, w, h, null, 0, w);
    boolean swap = (k & 1) == 1;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    int[] out = new int[in.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int ox;
        int oy;
        switch (k & 3) {
          case 1 -> { // 90 degrees clockwise
            ox = h - 1 - y;
            oy = x;
          }
          case 2 -> {
            ox = w - 1 - x;
            oy = h - 1 - y;
          }
          case 3 -> {
            ox = y;
            oy = w - 1 - x;
          }
          default -> {
            ox = x;
            oy = y;
          }
        }
        out[oy * ow + ox] = in[y * w + x];
      }
    }
    BufferedImage o = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
    o.setRGB(0, 0, ow, oh, out, 0, ow);
    return o;
  }

  static BufferedImage flip(BufferedImage src, boolean horizontal) {
    int w = src.getWidth();
    int h = src.getHeight();
    int[] in = src.getRGB(0, 0, w, h, null, 0, w);
    int[] out = new int[in.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int ox = horizontal ? w - 1 - x : x;
        int oy = horizontal ? y : h - 1 - y;
        out[oy * w + ox] = in[y * w + x];
      }
    }
    BufferedImage o = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    o.setRGB(0, 0, w, h, out, 0, w);
    return o;
  }

  /** Rotation by any angle onto an enlarged canvas filled with {@code fill}. */
  static BufferedImage rotate(BufferedImage src, double degrees, Color fill) {
    int w = src.getWidth();
    int h = src.getHeight();
    double a = Math.toRadians(degrees);
    double cos = Math.abs(Math.cos(a));
    double sin = Math.abs(Math.sin(a));
    int ow = (int) Math.ceil(w * cos + h * sin);
    int oh = (int) Math.ceil(w * sin + h * cos);
    // keep the long side within the original long side
    double s = Math.min(1.0, Math.max(w, h) / (double) Math.max(ow, oh));
    ow = Math.max(8, (int) Math.round(ow * s));
    oh = Math.max(8, (int) Math.round(oh * s));
    BufferedImage o = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = o.createGraphics();
    g.setColor(fill);
    g.fillRect(0, 0, ow, oh);
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    AffineTransform at = new AffineTransform();
    at.translate(ow / 2.0, oh / 2.0);
    at.rotate(a);
    at.scale(s, s);
    at.translate(-w / 2.0, -h / 2.0);
    g.drawImage(src, at, null);
    g.dispose();
    return o;
  }

  /** Separable gaussian blur. */
  static BufferedImage blur(BufferedImage src, double sigma) {
    int w = src.getWidth();
    int h = src.getHeight();
    int rad = Math.max(1, (int) Math.ceil(sigma * 2.5));
    float[] k = new float[2 * rad + 1];
    float sum = 0;
    for (int i = -rad; i <= rad; i++) {
      k[i + rad] = (float) Math.exp(-(i * i) / (2 * sigma * sigma));
      sum += k[i + rad];
    }
    for (int i = 0; i < k.length; i++) {
      k[i] /= sum;
    }
    int[] in = src.getRGB(0, 0, w, h, null, 0, w);
    float[][] ch = new float[3][w * h];
    for (int i = 0; i < in.length; i++) {
      ch[0][i] = (in[i] >> 16) & 255;
      ch[1][i] = (in[i] >> 8) & 255;
      ch[2][i] = in[i] & 255;
    }
    float[] tmp = new float[w * h];
    for (float[] c : ch) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float acc = 0;
          for (int i = -rad; i <= rad; i++) {
            int xx = Math.min(w - 1, Math.max(0, x + i));
            acc += k[i + rad] * c[y * w + xx];
          }
          tmp[y * w + x] = acc;
        }
      }
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float acc = 0;
          for (int i = -rad; i <= rad; i++) {
            int yy = Math.min(h - 1, Math.max(0, y + i));
            acc += k[i + rad] * tmp[yy * w + x];
          }
          c[y * w + x] = acc;
        }
      }
    }
    int[] out = new int[w * h];
    for (int i = 0; i < out.length; i++) {
      out[i] = (px(ch[0][i]) << 16) | (px(ch[1][i]) << 8) | px(ch[2][i]);
    }
    BufferedImage o = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    o.setRGB(0, 0, w, h, out, 0, w);
    return o;
  }

  static BufferedImage noise(BufferedImage src, double sigma, Random r) {
    int w = src.getWidth();
    int h = src.getHeight();
    int[] p = src.getRGB(0, 0, w, h, null, 0, w);
    boolean mono = r.nextBoolean();
    for (int i = 0; i < p.length; i++) {
      int v = p[i];
      double n0 = r.nextGaussian() * sigma;
      double n1 = mono ? n0 : r.nextGaussian() * sigma;
      double n2 = mono ? n0 : r.nextGaussian() * sigma;
      p[i] = (px((float) (((v >> 16) & 255) + n0)) << 16)
          | (px((float) (((v >> 8) & 255) + n1)) << 8)
          | px((float) ((v & 255) + n2));
    }
    BufferedImage o = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    o.setRGB(0, 0, w, h, p, 0, w);
    return o;
  }

  static BufferedImage brightnessContrast(BufferedImage src, double contrast, double brightness) {
    int w = src.getWidth();
    int h = src.getHeight();
    int[] lut = new int[256];
    for (int i = 0; i < 256; i++) {
      lut[i] = px((float) ((i - 128) * contrast + 128 + brightness));
    }
    int[] p = src.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < p.length; i++) {
      int v = p[i];
      p[i] = (lut[(v >> 16) & 255] << 16) | (lut[(v >> 8) & 255] << 8) | lut[v & 255];
    }
    BufferedImage o = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    o.setRGB(0, 0, w, h, p, 0, w);
    return o;
  }

  static BufferedImage jpegArtefacts(BufferedImage src, float quality) {
    try {
      return ImageFiles.decode(ImageFiles.encodeJpeg(src, quality));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Grayscale copy kept in an RGB image. */
  static BufferedImage gray(BufferedImage src) {
    int w = src.getWidth();
    int h = src.getHeight();
    int[] p = src.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < p.length; i++) {
      int v = p[i];
      int y = (int) Math.round(0.299 * ((v >> 16) & 255) + 0.587 * ((v >> 8) & 255) + 0.114 * (v & 255));
      p[i] = (y << 16) | (y << 8) | y;
    }
    BufferedImage o = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    o.setRGB(0, 0, w, h, p, 0, w);
    return o;
  }

  private static int px(float v) {
    int i = Math.round(v);
    return i < 0 ? 0 : (i > 255 ? 255 : i);
  }
}
