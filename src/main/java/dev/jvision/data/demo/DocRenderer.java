package dev.jvision.data.demo;

import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * Renders one clean document of a given class. Each class has its own page shape, colour scheme
 * and big layout elements, so that classes stay apart at low resolution; positions, sizes, colours
 * and text vary per sample.
 *
 * <p>Stateless and thread-safe as long as each call gets its own {@link Random}.
 *
 * <p>Longer than 400 lines on purpose: it is mostly the drawing code of the 17 document
 * layouts, which are data more than logic.
 */
final class DocRenderer {
  private DocRenderer() {}

  private static final Color INK = new Color(35, 35, 40);
  private static final Color WHITE = new Color(250, 250, 248);

  static BufferedImage render(int cls, Random r) {
    // Aspect = width / height.
    double aspect;
    switch (cls) {
      case 0 -> aspect = 1.3 + r.nextDouble() * 0.2; // bank book page
      case 2 -> aspect = r.nextBoolean() ? 16.0 / 9 : 4.0 / 3; // dashboard photo
      case 5, 8 -> aspect = 1.58 + (r.nextDouble() - 0.5) * 0.08; // ID-1 cards
      case 9 -> aspect = 1.42 + (r.nextDouble() - 0.5) * 0.08; // passport data page
      case 10 -> aspect = 1 / (1.9 + r.nextDouble() * 0.3); // phone screenshot
      case 11 -> aspect = 1 / (2.2 + r.nextDouble() * 0.9); // till receipt
      case 16 -> aspect = 3.2 + r.nextDouble() * 1.6; // licence plate
      default -> aspect = 1 / (1.36 + r.nextDouble() * 0.1); // A4 portrait forms
    }
    int longSide = 200 + r.nextInt(301);
    int w;
    int h;
    if (aspect >= 1) {
      w = longSide;
      h = Math.max(24, (int) Math.round(longSide / aspect));
    } else {
      h = longSide;
      w = Math.max(24, (int) Math.round(longSide * aspect));
    }
    Canvas c = new Canvas(w, h, r);
    switch (cls) {
      case 0 -> accountNumber(c);
      case 1 -> pregnancyApplication(c);
      case 2 -> dashboard(c);
      case 3 -> admissionDischarge(c);
      case 4 -> diagnosis(c);
      case 5 -> driverLicense(c);
      case 6 -> medicalBill(c);
      case 7 -> outpatientCertificate(c);
      case 8 -> nationalId(c);
      case 9 -> passport(c);
      case 10 -> paymentConfirmation(c);
      case 11 -> pharmacyReceipt(c);
      case 12 -> prescription(c);
      case 13 -> resume(c);
      case 14 -> opinion(c);
      case 15 -> registrationCertificate(c);
      case 16 -> plate(c);
      default -> throw new IllegalArgumentException("class: " + cls);
    }
    return c.finish();
  }

  // 0: bank book page: mint paper, dark teal band, big account number in a white box, ruled rows.
  private static void accountNumber(Canvas c) {
    Color teal = c.jit(new Color(0, 115, 110), 18);
    c.bg(c.jit(new Color(215, 240, 232), 10));
    c.guilloche(c.jit(new Color(185, 225, 215), 10), 0, 0, c.w, c.h, c.ri(6, 12));
    double band = c.h * c.rd(0.16, 0.24);
    c.fill(teal, 0, 0, c.w, band);
    c.oval(WHITE, band * 0.6, band * 0.5, band * 0.32, band * 0.32);
    c.oval(teal, band * 0.6, band * 0.5, band * 0.16, band * 0.16);
    c.textLine(band * 1.1, band * 0.62, c.w * c.rd(0.3, 0.5), band * 0.38, WHITE, c.family, Font.BOLD);
    double bx = c.w * c.rd(0.05, 0.12);
    double by = band + c.h * c.rd(0.07, 0.13);
    double bw = c.w * c.rd(0.7, 0.88);
    double bh = c.h * c.rd(0.17, 0.23);
    c.fill(WHITE, bx, by, bw, bh);
    c.rect(teal, c.u / 60, bx, by, bw, bh);
    String num = c.digits(c.ri(3, 4)) + "-" + c.digits(c.ri(2, 3)) + "-" + c.digits(c.ri(4, 6));
    c.text(num, bx + bh * 0.3, by + bh * 0.72, bh * 0.55, INK, Font.MONOSPACED, Font.BOLD);
    double y0 = by + bh + c.h * 0.06;
    double rowH = c.h * c.rd(0.07, 0.1);
    for (double y = y0; y + rowH < c.h * 0.97; y += rowH) {
      c.line(c.shade(new Color(90, 160, 150), 15), 1, c.w * 0.04, y + rowH, c.w * 0.96, y + rowH);
      c.textLine(c.w * 0.06, y + rowH * 0.75, c.w * c.rd(0.3, 0.8), rowH * 0.5, INK);
    }
  }

  // 1: pregnancy medical expense application: pink title bar, dense grid form with pink label column.
  private static void pregnancyApplication(Canvas c) {
    Color pink = c.jit(new Color(225, 80, 140), 20);
    Color pale = c.jit(new Color(250, 215, 230), 8);
    c.bg(WHITE);
    double bar = c.h * c.rd(0.08, 0.12);
    c.fill(pink, 0, c.h * c.rd(0.0, 0.03), c.w, bar);
    c.textLine(c.w * 0.08, bar * 0.75, c.w * 0.6, bar * 0.5, WHITE, c.family, Font.BOLD);
    double mx = c.w * c.rd(0.05, 0.08);
    double top = bar + c.h * c.rd(0.05, 0.08);
    double th = c.h * c.rd(0.55, 0.65);
    c.table(mx, top, c.w - 2 * mx, th, c.ri(10, 15), c.ri(3, 5), pink, c.u / 200, pale, pale, 0.7);
    double y2 = top + th + c.h * 0.04;
    for (int i = 0; i < 3; i++) {
      double bx = mx + i * c.w * 0.09;
      c.rect(pink, 1.2, bx, y2, c.u * 0.04, c.u * 0.04);
    }
    c.paragraph(mx, y2 + c.u * 0.06, c.w - 2 * mx, c.h * 0.12, c.u * 0.025, INK);
    c.signature(c.w * 0.6, c.h * 0.88, c.w * 0.3, c.h * 0.07, INK);
  }

  // 2: car dashboard: dark photo-like scene, two big round gauges, indicator lights.
  private static void dashboard(Canvas c) {
    Color dark = c.jit(new Color(25, 25, 32), 10);
    c.gradient(c.shade(new Color(55, 55, 62), 15), dark, 0, 0, c.w, c.h);
    double cy = c.h * c.rd(0.45, 0.58);
    double rad = Math.min(c.h * c.rd(0.28, 0.36), c.w * 0.2);
    double[] cxs = {c.w * c.rd(0.2, 0.3), c.w * c.rd(0.7, 0.8)};
    Color glow = c.p(0.5) ? c.jit(new Color(255, 140, 30), 25) : c.jit(new Color(80, 200, 255), 25);
    c.roundFill(c.shade(new Color(15, 15, 18), 5), c.w * 0.06, cy - rad * 1.25, c.w * 0.88, rad * 2.5, rad);
    for (double cx : cxs) {
      c.oval(new Color(10, 10, 12), cx, cy, rad, rad);
      c.ring(c.shade(new Color(170, 170, 175), 30), rad * 0.07, cx, cy, rad, rad);
      int ticks = c.ri(8, 12);
      for (int t = 0; t <= ticks; t++) {
        double a = Math.toRadians(225 - 270.0 * t / ticks);
        c.line(glow, rad * 0.04, cx + Math.cos(a) * rad * 0.75, cy - Math.sin(a) * rad * 0.75,
            cx + Math.cos(a) * rad * 0.9, cy - Math.sin(a) * rad * 0.9);
      }
      double na = Math.toRadians(225 - 270.0 * c.rd(0.05, 0.7));
      c.line(c.jit(new Color(240, 40, 30), 15), rad * 0.06, cx, cy,
          cx + Math.cos(na) * rad * 0.8, cy - Math.sin(na) * rad * 0.8);
      c.oval(c.shade(new Color(90, 90, 95), 20), cx, cy, rad * 0.12, rad * 0.12);
    }
    // centre display
    double dw = c.w * 0.18;
    c.roundFill(c.jit(new Color(20, 40, 60), 10), c.w / 2 - dw / 2, cy - rad * 0.5, dw, rad, rad * 0.2);
    c.text(c.digits(c.ri(2, 3)), c.w / 2 - dw * 0.3, cy + rad * 0.15, rad * 0.45, glow, Font.SANS_SERIF, Font.BOLD);
    Color[] lights = {new Color(255, 170, 0), new Color(40, 220, 80), new Color(240, 40, 40), new Color(60, 140, 255)};
    int n = c.ri(2, 5);
    for (int i = 0; i < n; i++) {
      c.oval(lights[c.r.nextInt(lights.length)], c.w * c.rd(0.35, 0.65), cy + rad * c.rd(0.65, 1.0),
          rad * 0.07, rad * 0.07);
    }
  }

  // 3: admission/discharge confirmation: navy header bar, two-column table with heavy borders.
  private static void admissionDischarge(Canvas c) {
    Color navy = c.jit(new Color(25, 45, 110), 15);
    c.bg(WHITE);
    double bar = c.h * c.rd(0.09, 0.13);
    c.fill(navy, 0, 0, c.w, bar);
    c.textLine(c.w * 0.1, bar * 0.7, c.w * 0.55, bar * 0.45, WHITE, c.family, Font.BOLD);
    double mx = c.w * c.rd(0.06, 0.1);
    double top = bar + c.h * c.rd(0.06, 0.1);
    double th = c.h * c.rd(0.35, 0.45);
    c.table(mx, top, c.w - 2 * mx, th, c.ri(5, 8), 2, navy, c.u / 70, null,
        c.jit(new Color(205, 215, 240), 8), 0.9);
    double y2 = top + th + c.h * 0.05;
    // date boxes
    double box = c.u * 0.06;
    for (int i = 0; i < c.ri(6, 8); i++) {
      c.rect(navy, 1.5, mx + i * box * 1.15, y2, box, box);
    }
    c.paragraph(mx, y2 + box * 1.6, c.w - 2 * mx, c.h * 0.15, c.u * 0.028, INK);
    c.stamp(c.w * c.rd(0.7, 0.82), c.h * c.rd(0.86, 0.9), c.u * c.rd(0.06, 0.08));
  }

  // 4: diagnosis: ivory paper, big centred title, black-ruled box table, large red seal.
  private static void diagnosis(Canvas c) {
    c.bg(c.jit(new Color(250, 248, 238), 4));
    double ts = c.u * c.rd(0.07, 0.09);
    c.textLine(c.w * c.rd(0.25, 0.32), c.h * 0.1, c.w * 0.4, ts, INK, Font.SERIF, Font.BOLD);
    double mx = c.w * c.rd(0.06, 0.1);
    double top = c.h * c.rd(0.15, 0.19);
    double th = c.h * c.rd(0.45, 0.55);
    c.table(mx, top, c.w - 2 * mx, th, c.ri(4, 6), 2, INK, c.u / 70, null, null, 0.8);
    c.rect(INK, c.u / 40, mx, top, c.w - 2 * mx, th);
    c.paragraph(mx, top + th + c.h * 0.03, c.w - 2 * mx, c.h * 0.12, c.u * 0.03, INK);
    c.stamp(c.w * c.rd(0.68, 0.8), c.h * c.rd(0.82, 0.88), c.u * c.rd(0.1, 0.13));
  }

  // 5: driver licence: pastel green-yellow card, olive header strip, photo left, text right.
  private static void driverLicense(Canvas c) {
    Color base = c.jit(new Color(215, 235, 170), 12);
    c.gradient(base, c.jit(new Color(240, 245, 205), 10), 0, 0, c.w, c.h);
    c.guilloche(c.jit(new Color(175, 205, 130), 12), 0, 0, c.w, c.h, c.ri(8, 14));
    double bar = c.h * c.rd(0.13, 0.18);
    c.fill(c.jit(new Color(110, 150, 40), 15), 0, c.h * c.rd(0.02, 0.05), c.w, bar);
    c.textLine(c.w * 0.05, c.h * 0.04 + bar * 0.7, c.w * 0.5, bar * 0.55, WHITE, c.family, Font.BOLD);
    double px = c.w * c.rd(0.04, 0.07);
    double py = c.h * c.rd(0.3, 0.34);
    double ph = c.h * c.rd(0.5, 0.58);
    c.photo(px, py, ph * 0.78, ph);
    double tx = px + ph * 0.78 + c.w * 0.05;
    double ts = c.h * c.rd(0.055, 0.07);
    for (int i = 0; i < c.ri(5, 7); i++) {
      c.textLine(tx, py + ts + i * ts * 1.55, (c.w - tx) * c.rd(0.5, 0.9), ts, INK);
    }
    c.ring(c.jit(new Color(230, 90, 110), 20), c.u / 50, c.w * c.rd(0.8, 0.88), c.h * 0.8, c.h * 0.09, c.h * 0.09);
  }

  // 6: medical bill receipt: orange title bar, dense grid with yellow column stripes, total box.
  private static void medicalBill(Canvas c) {
    Color orange = c.jit(new Color(240, 130, 20), 15);
    c.bg(WHITE);
    double bar = c.h * c.rd(0.06, 0.09);
    c.fill(orange, 0, 0, c.w, bar);
    c.textLine(c.w * 0.25, bar * 0.75, c.w * 0.5, bar * 0.55, WHITE, c.family, Font.BOLD);
    double mx = c.w * c.rd(0.03, 0.05);
    double top = bar + c.h * c.rd(0.03, 0.05);
    double th = c.h * c.rd(0.62, 0.7);
    int cols = c.ri(5, 7);
    // yellow stripes on alternate columns first, grid on top
    Color yel = c.jit(new Color(255, 236, 160), 8);
    double cw = (c.w - 2 * mx) / cols;
    for (int i = 1; i < cols; i += 2) {
      c.fill(yel, mx + i * cw, top, cw, th);
    }
    c.table(mx, top, c.w - 2 * mx, th, c.ri(18, 26), cols, c.shade(new Color(150, 110, 60), 20), 1,
        c.jit(new Color(250, 190, 110), 10), null, 0.55);
    double by = top + th + c.h * 0.03;
    double bw = c.w * c.rd(0.4, 0.5);
    c.fill(c.jit(new Color(255, 225, 190), 8), c.w - mx - bw, by, bw, c.h * 0.1);
    c.rect(orange, c.u / 60, c.w - mx - bw, by, bw, c.h * 0.1);
    c.text(c.digits(c.ri(5, 7)), c.w - mx - bw * 0.8, by + c.h * 0.07, c.h * 0.05, INK, Font.MONOSPACED, Font.BOLD);
    c.paragraph(mx, by, c.w * 0.4, c.h * 0.12, c.u * 0.025, INK);
  }

  // 7: outpatient certificate: heavy maroon double frame, centred title, few field lines, seal.
  private static void outpatientCertificate(Canvas c) {
    Color maroon = c.jit(new Color(130, 25, 40), 15);
    c.bg(c.jit(new Color(250, 248, 245), 4));
    double m = c.u * c.rd(0.03, 0.05);
    double t1 = c.u * c.rd(0.03, 0.045);
    c.rect(maroon, t1, m, m, c.w - 2 * m, c.h - 2 * m);
    double m2 = m + t1 * 1.8;
    c.rect(maroon, t1 * 0.35, m2, m2, c.w - 2 * m2, c.h - 2 * m2);
    double ts = c.u * c.rd(0.07, 0.09);
    c.textLine(c.w * 0.3, c.h * c.rd(0.13, 0.17), c.w * 0.4, ts, maroon, Font.SERIF, Font.BOLD);
    double y = c.h * 0.27;
    double step = c.h * c.rd(0.065, 0.08);
    for (int i = 0; i < c.ri(5, 7); i++) {
      double lx = c.w * 0.14;
      c.textLine(lx, y, c.w * 0.18, c.u * 0.035, INK, c.family, Font.BOLD);
      c.line(c.shade(new Color(150, 150, 150), 20), 1, c.w * 0.36, y + 3, c.w * 0.86, y + 3);
      c.textLine(c.w * 0.38, y, c.w * c.rd(0.2, 0.45), c.u * 0.035, INK);
      y += step;
    }
    c.textLine(c.w * 0.35, c.h * 0.8, c.w * 0.3, c.u * 0.04, INK);
    c.stamp(c.w * c.rd(0.72, 0.8), c.h * c.rd(0.82, 0.86), c.u * c.rd(0.07, 0.09));
  }

  // 8: national ID card: light lavender-blue card, emblem watermark, text left, photo right.
  private static void nationalId(Canvas c) {
    c.gradient(c.jit(new Color(200, 228, 250), 8), c.jit(new Color(235, 245, 252), 6), 0, 0, c.w, c.h);
    c.ring(c.jit(new Color(150, 195, 235), 10), c.u / 25, c.w * c.rd(0.35, 0.5), c.h * 0.55, c.h * 0.33, c.h * 0.33);
    c.guilloche(c.jit(new Color(165, 205, 240), 10), 0, c.h * 0.6, c.w, c.h * 0.4, c.ri(4, 8));
    double ts = c.h * c.rd(0.09, 0.11);
    c.textLine(c.w * 0.06, c.h * 0.16, c.w * 0.45, ts, c.jit(new Color(20, 70, 140), 15), c.family, Font.BOLD);
    double ph = c.h * c.rd(0.55, 0.65);
    double pw = ph * 0.78;
    double px = c.w - pw - c.w * c.rd(0.05, 0.08);
    c.photo(px, c.h * c.rd(0.22, 0.28), pw, ph);
    double fs = c.h * c.rd(0.055, 0.07);
    for (int i = 0; i < c.ri(4, 6); i++) {
      c.textLine(c.w * 0.06, c.h * 0.32 + i * fs * 1.7, (px - c.w * 0.1) * c.rd(0.5, 1.0), fs, INK);
    }
    c.oval(c.jit(new Color(200, 170, 80), 20), c.w * 0.12, c.h * 0.86, c.h * 0.07, c.h * 0.05);
  }

  // 9: passport data page: purple-pink guilloche page, photo left, fields right, white MRZ strip.
  private static void passport(Canvas c) {
    c.gradient(c.jit(new Color(210, 180, 232), 10), c.jit(new Color(236, 200, 222), 10), 0, 0, c.w, c.h);
    c.guilloche(c.jit(new Color(170, 130, 210), 12), 0, 0, c.w, c.h * 0.75, c.ri(10, 16));
    double top = c.h * 0.06;
    c.textLine(c.w * 0.05, top + c.h * 0.06, c.w * 0.6, c.h * 0.06, c.jit(new Color(70, 30, 110), 15), c.family, Font.BOLD);
    double ph = c.h * c.rd(0.46, 0.52);
    double pw = ph * 0.78;
    double px = c.w * c.rd(0.04, 0.07);
    double py = c.h * c.rd(0.17, 0.2);
    c.photo(px, py, pw, ph);
    double tx = px + pw + c.w * 0.05;
    double fs = c.h * c.rd(0.04, 0.05);
    for (int i = 0; i < c.ri(6, 8); i++) {
      double yy = py + fs + i * fs * 1.5;
      if (yy > c.h * 0.7) {
        break;
      }
      c.textLine(tx, yy, (c.w - tx) * c.rd(0.3, 0.8), fs, INK);
    }
    double mrzTop = c.h * c.rd(0.74, 0.78);
    c.fill(c.jit(new Color(248, 246, 250), 4), 0, mrzTop, c.w, c.h - mrzTop);
    double ms = (c.h - mrzTop) * 0.3;
    int chars = (int) (c.w * 0.92 / (ms * 0.6));
    StringBuilder l1 = new StringBuilder("P<" + c.word(3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + c.word(c.ri(4, 8), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "<<");
    while (l1.length() < chars) {
      l1.append(c.p(0.7) ? '<' : (char) ('A' + c.r.nextInt(26)));
    }
    StringBuilder l2 = new StringBuilder(c.code(9));
    while (l2.length() < chars) {
      l2.append(c.p(0.25) ? '<' : c.code(1).charAt(0));
    }
    c.text(l1.substring(0, chars), c.w * 0.04, mrzTop + ms * 1.3, ms, INK, Font.MONOSPACED, Font.PLAIN);
    c.text(l2.substring(0, chars), c.w * 0.04, mrzTop + ms * 2.75, ms, INK, Font.MONOSPACED, Font.PLAIN);
  }

  // 10: payment confirmation screenshot: status bar, blue app bar, big green check, rows, button.
  private static void paymentConfirmation(Canvas c) {
    Color blue = c.jit(new Color(30, 110, 240), 20);
    c.bg(c.jit(new Color(246, 247, 250), 3));
    double sb = c.h * 0.03;
    c.fill(c.shade(new Color(20, 20, 20), 10), 0, 0, c.w, sb);
    double ab = c.h * c.rd(0.07, 0.09);
    c.fill(blue, 0, sb, c.w, ab);
    c.textLine(c.w * 0.2, sb + ab * 0.65, c.w * 0.6, ab * 0.4, WHITE, Font.SANS_SERIF, Font.BOLD);
    double cy = sb + ab + c.h * c.rd(0.1, 0.13);
    double rad = c.w * c.rd(0.14, 0.18);
    Color green = c.jit(new Color(30, 190, 90), 20);
    c.oval(green, c.w / 2, cy, rad, rad);
    c.line(WHITE, rad * 0.18, c.w / 2 - rad * 0.45, cy, c.w / 2 - rad * 0.1, cy + rad * 0.35);
    c.line(WHITE, rad * 0.18, c.w / 2 - rad * 0.1, cy + rad * 0.35, c.w / 2 + rad * 0.5, cy - rad * 0.35);
    double y = cy + rad + c.h * 0.06;
    c.text(c.digits(c.ri(2, 3)) + "," + c.digits(3), c.w * 0.25, y, c.w * 0.11, INK, Font.SANS_SERIF, Font.BOLD);
    y += c.h * 0.05;
    double row = c.h * c.rd(0.05, 0.065);
    for (int i = 0; i < c.ri(5, 8) && y + row < c.h * 0.86; i++) {
      c.textLine(c.w * 0.07, y + row * 0.6, c.w * 0.3, row * 0.35, new Color(120, 120, 125));
      c.textLine(c.w * 0.55, y + row * 0.6, c.w * 0.35, row * 0.35, INK);
      c.line(new Color(220, 220, 225), 1, c.w * 0.05, y + row, c.w * 0.95, y + row);
      y += row;
    }
    double bh = c.h * 0.065;
    c.roundFill(blue, c.w * 0.06, c.h * 0.9, c.w * 0.88, bh, bh * 0.5);
  }

  // 11: pharmacy till receipt: narrow thermal paper on a table, monospace lines, dashes, barcode.
  private static void pharmacyReceipt(Canvas c) {
    Color table = c.p(0.5) ? c.jit(new Color(110, 80, 55), 20) : c.shade(new Color(70, 70, 75), 20);
    c.bg(table);
    double mx = c.w * c.rd(0.02, 0.08);
    double my = c.h * c.rd(0.01, 0.03);
    double rw = c.w - 2 * mx;
    c.fill(c.jit(new Color(242, 240, 234), 6), mx, my, rw, c.h - 2 * my);
    double fs = Math.max(6, rw * c.rd(0.045, 0.06));
    double y = my + fs * 2.2;
    c.text(c.code(c.ri(5, 8)), mx + rw * 0.25, y, fs * 1.5, INK, Font.MONOSPACED, Font.BOLD);
    y += fs * 2;
    Color grey = new Color(90, 90, 90);
    double end = c.h - my - c.h * 0.11;
    int k = 0;
    while (y < end) {
      if (k % c.ri(4, 7) == 0) {
        c.dashed(grey, 1, mx + rw * 0.04, y - fs * 0.3, mx + rw * 0.96, y - fs * 0.3, fs * 0.3);
        y += fs * 0.6;
      }
      c.textLine(mx + rw * 0.05, y, rw * c.rd(0.45, 0.6), fs, INK, Font.MONOSPACED, Font.PLAIN);
      c.text(c.digits(c.ri(3, 5)), mx + rw * 0.7, y, fs, INK, Font.MONOSPACED, Font.PLAIN);
      y += fs * 1.35;
      k++;
    }
    c.barcode(mx + rw * 0.1, end + c.h * 0.015, rw * 0.8, c.h * 0.06);
  }

  // 12: prescription: pale green paper, green bordered tables with green header cells.
  private static void prescription(Canvas c) {
    Color green = c.jit(new Color(30, 140, 70), 18);
    c.bg(c.jit(new Color(232, 246, 232), 6));
    c.textLine(c.w * 0.3, c.h * 0.07, c.w * 0.4, c.u * 0.07, green, c.family, Font.BOLD);
    double mx = c.w * c.rd(0.04, 0.07);
    double t1 = c.h * c.rd(0.1, 0.12);
    double h1 = c.h * c.rd(0.2, 0.26);
    Color head = c.jit(new Color(170, 220, 180), 10);
    c.table(mx, t1, c.w - 2 * mx, h1, c.ri(4, 6), 4, green, c.u / 90, null, head, 0.7);
    double t2 = t1 + h1 + c.h * 0.03;
    double h2 = c.h * c.rd(0.38, 0.45);
    c.table(mx, t2, c.w - 2 * mx, h2, c.ri(8, 12), c.ri(4, 6), green, c.u / 160, head, null, 0.6);
    c.rect(green, c.u / 50, mx, t1, c.w - 2 * mx, t2 + h2 - t1);
    double t3 = t2 + h2 + c.h * 0.03;
    c.paragraph(mx, t3, c.w * 0.5, c.h * 0.1, c.u * 0.025, INK);
    c.stamp(c.w * 0.78, t3 + c.h * 0.06, c.u * 0.06);
  }

  // 13: resume: dark left sidebar with round photo and light text, headings with accent rules.
  private static void resume(Canvas c) {
    c.bg(WHITE);
    Color side = c.jit(new Color(45, 55, 72), 15);
    Color accent = c.p(0.5) ? c.jit(new Color(0, 150, 170), 20) : c.jit(new Color(200, 120, 40), 20);
    double sw = c.w * c.rd(0.28, 0.36);
    boolean right = c.p(0.2);
    double sx = right ? c.w - sw : 0;
    c.fill(side, sx, 0, sw, c.h);
    double rad = sw * 0.3;
    c.oval(c.jit(new Color(200, 205, 215), 10), sx + sw / 2, c.h * 0.12, rad, rad);
    c.oval(c.jit(new Color(225, 185, 150), 20), sx + sw / 2, c.h * 0.11, rad * 0.5, rad * 0.55);
    c.paragraph(sx + sw * 0.1, c.h * 0.25, sw * 0.8, c.h * 0.65, c.u * 0.03, new Color(225, 228, 235));
    double mx = right ? c.w * 0.05 : sw + c.w * 0.05;
    double mw = c.w - sw - c.w * 0.1;
    c.textLine(mx, c.h * 0.09, mw * 0.7, c.u * 0.08, INK, c.family, Font.BOLD);
    double y = c.h * 0.16;
    while (y < c.h * 0.85) {
      c.textLine(mx, y + c.u * 0.04, mw * 0.4, c.u * 0.045, accent, c.family, Font.BOLD);
      c.line(accent, c.u / 100, mx, y + c.u * 0.06, mx + mw, y + c.u * 0.06);
      double ph = c.h * c.rd(0.1, 0.16);
      c.paragraph(mx, y + c.u * 0.08, mw, ph, c.u * 0.026, INK);
      y += c.u * 0.1 + ph;
    }
  }

  // 14: statement of opinion: grey title box, blue-ruled lined paper with handwriting, signature.
  private static void opinion(Canvas c) {
    c.bg(WHITE);
    double mx = c.w * c.rd(0.06, 0.1);
    double tb = c.h * c.rd(0.08, 0.1);
    c.roundFill(c.shade(new Color(200, 200, 200), 15), mx, c.h * 0.05, c.w - 2 * mx, tb, tb * 0.3);
    c.textLine(c.w * 0.3, c.h * 0.05 + tb * 0.68, c.w * 0.4, tb * 0.45, INK, c.family, Font.BOLD);
    double top = c.h * 0.05 + tb + c.h * 0.05;
    double ls = c.h * c.rd(0.035, 0.045);
    Color rule = c.jit(new Color(130, 170, 230), 15);
    Color ink = c.jit(new Color(20, 40, 150), 20);
    c.line(c.jit(new Color(230, 100, 100), 15), 1.2, mx + c.w * 0.05, top - ls, mx + c.w * 0.05, c.h * 0.8);
    for (double y = top; y < c.h * 0.8; y += ls) {
      c.line(rule, 1, mx, y, c.w - mx, y);
      if (c.p(0.8)) {
        c.signature(mx + c.w * 0.07, y - ls * 0.8, (c.w - 2 * mx - c.w * 0.08) * c.rd(0.4, 0.95), ls * 0.7, ink);
      }
    }
    c.signature(c.w * 0.55, c.h * 0.85, c.w * 0.3, c.h * 0.08, ink);
    c.textLine(mx, c.h * 0.9, c.w * 0.3, c.u * 0.03, INK);
  }

  // 15: vehicle registration certificate: beige paper, brown frame, emblem, brown grid blocks.
  private static void registrationCertificate(Canvas c) {
    Color brown = c.jit(new Color(125, 85, 40), 15);
    c.bg(c.jit(new Color(240, 225, 185), 8));
    double m = c.u * c.rd(0.03, 0.05);
    c.rect(brown, c.u / 40, m, m, c.w - 2 * m, c.h - 2 * m);
    c.ring(brown, c.u / 60, c.w / 2, c.h * 0.1, c.u * 0.06, c.u * 0.06);
    c.oval(c.jit(new Color(200, 160, 90), 15), c.w / 2, c.h * 0.1, c.u * 0.035, c.u * 0.035);
    c.textLine(c.w * 0.28, c.h * 0.2, c.w * 0.44, c.u * 0.06, brown, c.family, Font.BOLD);
    double mx = m + c.w * 0.04;
    Color fillC = c.jit(new Color(225, 200, 150), 8);
    double t1 = c.h * 0.25;
    double h1 = c.h * c.rd(0.28, 0.33);
    c.table(mx, t1, c.w - 2 * mx, h1, c.ri(6, 8), 4, brown, c.u / 150, null, fillC, 0.8);
    double t2 = t1 + h1 + c.h * 0.04;
    double h2 = c.h * c.rd(0.25, 0.3);
    c.table(mx, t2, c.w - 2 * mx, h2, c.ri(5, 7), 4, brown, c.u / 150, fillC, null, 0.7);
    c.stamp(c.w * 0.75, c.h * 0.9, c.u * 0.05);
  }

  // 16: licence plate: very wide, white/yellow/green plate, thick black border, big characters.
  private static void plate(Canvas c) {
    c.bg(c.jit(c.p(0.5) ? new Color(60, 60, 65) : new Color(150, 30, 30), 30));
    double m = c.h * c.rd(0.06, 0.14);
    int kind = c.r.nextInt(10);
    Color plateC = kind < 6 ? c.jit(new Color(245, 245, 245), 6)
        : kind < 9 ? c.jit(new Color(245, 200, 30), 15) : c.jit(new Color(40, 130, 70), 15);
    Color charC = kind == 9 ? WHITE : new Color(20, 20, 20);
    c.roundFill(plateC, m, m, c.w - 2 * m, c.h - 2 * m, c.h * 0.15);
    c.g.setColor(charC);
    c.rect(charC, c.h * 0.05, m + c.h * 0.05, m + c.h * 0.05, c.w - 2 * m - c.h * 0.1, c.h - 2 * m - c.h * 0.1);
    double fs = (c.h - 2 * m) * c.rd(0.62, 0.72);
    String s = c.digits(c.ri(2, 3)) + c.word(1, "ABCDEFGHJKLMNPRSTUVWXYZ") + " " + c.digits(4);
    double cw = fs * 0.6;
    double x = (c.w - cw * s.length()) / 2;
    c.text(s, Math.max(m + c.h * 0.1, x), c.h / 2 + fs * 0.36, fs, charC, Font.MONOSPACED, Font.BOLD);
  }
}
