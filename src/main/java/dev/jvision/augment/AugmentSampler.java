package dev.jvision.augment;

import dev.jvision.config.AugmentConfig;
import java.util.SplittableRandom;

/**
 * Draws the per-sample parameters of a batch from the config, the epoch (hard-augmentation
 * ramp) and a seed, on the host: a few dozen numbers per sample, so the device only runs the
 * batched ops. The same seed, epoch and size give the same parameters. Stateless apart from
 * its immutable config; thread-safe.
 *
 * <p>Longer than 400 lines on purpose: every augmentation op's parameter draw sits here, in
 * one place and in one fixed order, because that order is what makes a seed reproduce a batch.
 */
final class AugmentSampler {
    private static final double[] GREY = {0.299, 0.587, 0.114};
    private static final double[][] RGB_TO_YIQ = {
        {0.299, 0.587, 0.114}, {0.596, -0.274, -0.322}, {0.211, -0.523, 0.312}};
    private static final double[][] YIQ_TO_RGB = invert3(RGB_TO_YIQ);

    private final AugmentConfig cfg;

    AugmentSampler(AugmentConfig cfg) {
        this.cfg = cfg;
    }

    /** One sample's drawn values before they are composed into matrices. */
    private static final class Draw {
        long ops;
        double angle; // radians
        int quarterTurns;
        double fx = 1;
        double fy = 1;
        double scale = 1;
        double shearX; // radians
        double shearY;
        double tx; // fraction of the output width
        double ty;
        double[] crop; // cx, cy, w, h in input pixels (centred frame), or null
        double perspective;
        double brightness = 1;
        double contrast = 1;
        double saturation = 1;
        double hue; // turns
        boolean grey;
        double gamma = 1;
        double sharpness = 1;
        double blurSigma;
        double motionLength;
        double motionAngle;
        double noiseStd;
        double jpegQuality;

        void mark(AugmentOp op) {
            ops |= op.bit();
        }
    }

    /**
     * @param n           batch size
     * @param inH         input height
     * @param inW         input width
     * @param epoch       0-based epoch (hard-augmentation ramp)
     * @param totalEpochs epochs of the run, &gt;= 1
     * @param seed        the batch seed
     * @param mix         whether to draw Mixup/CutMix partners (the caller has labels)
     */
    AugmentParams sample(int n, int inH, int inW, int epoch, int totalEpochs, long seed, boolean mix) {
        int outH = cfg.outputSize() > 0 ? cfg.outputSize() : inH;
        int outW = cfg.outputSize() > 0 ? cfg.outputSize() : inW;
        String policy = cfg.policy();
        boolean extras = !policy.equals("none") && !policy.equals("basic");
        int slots = cfg.erasing().prob() > 0 && !policy.equals("none") ? cfg.erasing().maxCount() : 0;
        AugmentParams p = new AugmentParams(n, inH, inW, outH, outW, slots);
        SplittableRandom master = new SplittableRandom(seed);
        double gate = cfg.hardAugmentation().probAt(epoch, Math.max(1, totalEpochs));
        boolean gated = cfg.hardAugmentation().enabled();
        for (int i = 0; i < n; i++) {
            SplittableRandom rng = master.split();
            Draw d = new Draw();
            if (!policy.equals("none")) {
                drawBasic(d, rng, inH, inW, outH, outW);
                boolean hard = !gated || rng.nextDouble() < gate;
                if (hard) d.mark(AugmentOp.HARD);
                if (extras && hard) {
                    switch (policy) {
                        case "advanced" -> drawAdvanced(d, rng);
                        case "randaugment" -> {
                            double m = cfg.randAugment().magnitude() / 10.0;
                            for (int k = 0; k < cfg.randAugment().numOps(); k++) drawRand(d, rng, m);
                        }
                        case "trivialaugment" -> drawRand(d, rng, rng.nextDouble() * cfg.randAugment().magnitude() / 10.0);
                        default -> throw new IllegalStateException(policy);
                    }
                }
                if (slots > 0 && hard) drawErase(p, i, rng, outH, outW);
            }
            compose(p, i, d, rng);
            p.ops[i] |= d.ops;
        }
        if (mix && cfg.mixes() && n > 1) drawMix(p, master, outH, outW);
        if (!policy.equals("none")) drawFlipShift(p, seed);
        return p;
    }

    /**
     * {@code augment.translate} and {@code flip_mode: alternate} (random flips here; the trainer
     * replaces them by the per-image alternation when it knows the images' IDs), from a stream of
     * their own so that the other draws stay as they were without these keys.
     */
    private void drawFlipShift(AugmentParams p, long seed) {
        int t = cfg.translate();
        boolean alternate = cfg.alternateFlip();
        if (t == 0 && !alternate) return;
        SplittableRandom rng = new SplittableRandom(seed ^ 0x7472616E736C6174L);
        for (int i = 0; i < p.n; i++) {
            if (t > 0) {
                p.shiftX[i] = rng.nextInt(2 * t + 1) - t;
                p.shiftY[i] = rng.nextInt(2 * t + 1) - t;
            }
            if (alternate) {
                p.flipX[i] = rng.nextBoolean();
            }
        }
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo + rng.nextDouble() * (hi - lo);
    }

    private static double signed(SplittableRandom rng, double max) {
        return (rng.nextDouble() * 2 - 1) * max;
    }

    private void drawBasic(Draw d, SplittableRandom rng, int inH, int inW, int outH, int outW) {
        AugmentConfig c = cfg;
        if (c.hflip() > 0 && !c.alternateFlip() && rng.nextDouble() < c.hflip()) {
            d.fx = -1;
            d.mark(AugmentOp.HFLIP);
        }
        if (c.vflip() > 0 && rng.nextDouble() < c.vflip()) {
            d.fy = -1;
            d.mark(AugmentOp.VFLIP);
        }
        if (c.rot90() > 0 && rng.nextDouble() < c.rot90()) {
            d.quarterTurns = 1 + rng.nextInt(3);
            d.mark(AugmentOp.ROT90);
        }
        if (c.rotateDegrees() > 0) {
            d.angle = Math.toRadians(signed(rng, c.rotateDegrees()));
            d.mark(AugmentOp.ROTATE);
        }
        if (c.scaleMax() != 1 || c.scaleMin() != 1) {
            d.scale = uniform(rng, c.scaleMin(), c.scaleMax());
            d.mark(AugmentOp.SCALE);
        }
        AugmentConfig.Crop cr = c.crop();
        if (cr.prob() > 0 && rng.nextDouble() < cr.prob()) {
            d.crop = drawCrop(rng, cr, inH, inW);
            d.mark(AugmentOp.CROP);
        }
        if (c.brightness() > 0) {
            d.brightness = 1 + signed(rng, c.brightness());
            d.mark(AugmentOp.BRIGHTNESS);
        }
        if (c.contrast() > 0) {
            d.contrast = 1 + signed(rng, c.contrast());
            d.mark(AugmentOp.CONTRAST);
        }
    }

    /** torchvision RandomResizedCrop: 10 tries, then the whole image clipped to the ratio range. */
    static double[] drawCrop(SplittableRandom rng, AugmentConfig.Crop cr, int inH, int inW) {
        double area = (double) inH * inW;
        double logLo = Math.log(cr.ratioMin());
        double logHi = Math.log(cr.ratioMax());
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(rng, cr.scaleMin(), cr.scaleMax());
            double ratio = Math.exp(uniform(rng, logLo, logHi));
            double w = Math.sqrt(target * ratio);
            double h = Math.sqrt(target / ratio);
            if (w <= inW && h <= inH) {
                double cx = signed(rng, (inW - w) / 2);
                double cy = signed(rng, (inH - h) / 2);
                return new double[] {cx, cy, w, h};
            }
        }
        double ratio = (double) inW / inH;
        double w = inW;
        double h = inH;
        if (ratio < cr.ratioMin()) {
            h = w / cr.ratioMin();
        } else if (ratio > cr.ratioMax()) {
            w = h * cr.ratioMax();
        }
        return new double[] {0, 0, w, h};
    }

    private void drawAdvanced(Draw d, SplittableRandom rng) {
        AugmentConfig.Advanced a = cfg.advanced();
        if (a.affineProb() > 0 && rng.nextDouble() < a.affineProb()) {
            if (a.shearDegrees() > 0) {
                d.shearX += Math.toRadians(signed(rng, a.shearDegrees()));
                d.shearY += Math.toRadians(signed(rng, a.shearDegrees()));
                d.mark(AugmentOp.SHEAR);
            }
            if (a.translate() > 0) {
                d.tx += signed(rng, a.translate());
                d.ty += signed(rng, a.translate());
                d.mark(AugmentOp.TRANSLATE);
            }
        }
        if (a.perspectiveProb() > 0 && a.perspective() > 0 && rng.nextDouble() < a.perspectiveProb()) {
            d.perspective = a.perspective();
            d.mark(AugmentOp.PERSPECTIVE);
        }
        if (a.colorProb() > 0 && rng.nextDouble() < a.colorProb()) {
            if (a.saturation() > 0) {
                d.saturation *= 1 + signed(rng, a.saturation());
                d.mark(AugmentOp.SATURATION);
            }
            if (a.hue() > 0) {
                d.hue += signed(rng, a.hue());
                d.mark(AugmentOp.HUE);
            }
            if (a.gamma() > 0) {
                d.gamma *= Math.exp(signed(rng, Math.log1p(a.gamma())));
                d.mark(AugmentOp.GAMMA);
            }
            if (a.sharpness() > 0) {
                d.sharpness *= 1 + signed(rng, a.sharpness());
                d.mark(AugmentOp.SHARPNESS);
            }
        }
        if (a.grayscale() > 0 && rng.nextDouble() < a.grayscale()) {
            d.grey = true;
            d.mark(AugmentOp.GRAYSCALE);
        }
        if (a.blurProb() > 0 && rng.nextDouble() < a.blurProb()) {
            d.blurSigma = uniform(rng, a.blurSigmaMin(), a.blurSigmaMax());
            d.mark(AugmentOp.BLUR);
        }
        if (a.motionBlurProb() > 0 && rng.nextDouble() < a.motionBlurProb()) {
            d.motionLength = 3 + 2 * rng.nextInt((a.motionBlurSize() - 3) / 2 + 1);
            d.motionAngle = rng.nextDouble() * Math.PI;
            d.mark(AugmentOp.MOTION_BLUR);
        }
        if (a.noiseProb() > 0 && a.noiseStd() > 0 && rng.nextDouble() < a.noiseProb()) {
            d.noiseStd = rng.nextDouble() * a.noiseStd();
            d.mark(AugmentOp.NOISE);
        }
        if (a.jpegProb() > 0 && rng.nextDouble() < a.jpegProb()) {
            d.jpegQuality = a.jpegQualityMin() + rng.nextInt(a.jpegQualityMax() - a.jpegQualityMin() + 1);
            d.mark(AugmentOp.JPEG);
        }
    }

    /** One RandAugment op at magnitude fraction {@code m} in [0, 1] (timm's M/10), random sign. */
    private static void drawRand(Draw d, SplittableRandom rng, double m) {
        AugmentOp op = AugmentOp.RAND_POOL[rng.nextInt(AugmentOp.RAND_POOL.length)];
        double s = rng.nextBoolean() ? 1 : -1;
        d.mark(op);
        switch (op) {
            case IDENTITY -> { }
            case ROTATE -> d.angle += Math.toRadians(s * 30 * m);
            case SHEAR_X -> d.shearX += s * Math.atan(0.3 * m);
            case SHEAR_Y -> d.shearY += s * Math.atan(0.3 * m);
            case TRANSLATE_X -> d.tx += s * 0.45 * m;
            case TRANSLATE_Y -> d.ty += s * 0.45 * m;
            case PERSPECTIVE -> d.perspective = Math.max(d.perspective, 0.5 * m);
            case BRIGHTNESS -> d.brightness *= 1 + s * 0.9 * m;
            case CONTRAST -> d.contrast *= 1 + s * 0.9 * m;
            case SATURATION -> d.saturation *= 1 + s * 0.9 * m;
            case HUE -> d.hue += s * 0.15 * m;
            case GAMMA -> d.gamma *= Math.pow(1 + m, s);
            case SHARPNESS -> d.sharpness *= 1 + s * 0.9 * m;
            case GRAYSCALE -> d.grey = true;
            case BLUR -> d.blurSigma = Math.max(d.blurSigma, 0.1 + 2.0 * m);
            case MOTION_BLUR -> {
                d.motionLength = Math.max(d.motionLength, 3 + 2 * Math.round(4 * m));
                d.motionAngle = rng.nextDouble() * Math.PI;
            }
            case NOISE -> d.noiseStd = Math.max(d.noiseStd, 0.1 * m);
            case JPEG -> d.jpegQuality = d.jpegQuality == 0 ? Math.round(100 - 85 * m)
                    : Math.min(d.jpegQuality, Math.round(100 - 85 * m));
            default -> throw new IllegalStateException(op.name());
        }
    }

    private void drawErase(AugmentParams p, int i, SplittableRandom rng, int outH, int outW) {
        AugmentConfig.Erasing e = cfg.erasing();
        if (!(rng.nextDouble() < e.prob())) return;
        int count = 1 + rng.nextInt(e.maxCount());
        double area = (double) outH * outW;
        double logLo = Math.log(e.aspectMin());
        double logHi = Math.log(e.aspectMax());
        boolean any = false;
        for (int k = 0; k < count; k++) {
            for (int attempt = 0; attempt < 10; attempt++) {
                double target = area * uniform(rng, e.areaMin(), e.areaMax()) / count;
                double aspect = Math.exp(uniform(rng, logLo, logHi));
                int h = (int) Math.round(Math.sqrt(target * aspect));
                int w = (int) Math.round(Math.sqrt(target / aspect));
                if (w >= 1 && h >= 1 && w < outW && h < outH) {
                    int x0 = rng.nextInt(outW - w + 1);
                    int y0 = rng.nextInt(outH - h + 1);
                    int at = (i * p.eraseSlots + k) * 4;
                    p.erase[at] = x0;
                    p.erase[at + 1] = y0;
                    p.erase[at + 2] = x0 + w;
                    p.erase[at + 3] = y0 + h;
                    any = true;
                    break;
                }
            }
        }
        if (any) p.ops[i] |= AugmentOp.ERASE.bit();
    }

    private void drawMix(AugmentParams p, SplittableRandom rng, int outH, int outW) {
        int n = p.n;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        AugmentConfig.Mixup mu = cfg.mixup();
        AugmentConfig.Cutmix cm = cfg.cutmix();
        for (int i = 0; i < n; i++) {
            boolean cut;
            if (mu.enabled() && cm.enabled()) {
                cut = rng.nextDouble() < mu.switchProb();
            } else {
                cut = cm.enabled();
            }
            double prob = cut ? cm.prob() : mu.prob();
            if (!(rng.nextDouble() < prob)) continue;
            p.partner[i] = perm[i];
            if (cut) {
                double lam = beta(rng, cm.alpha());
                double rat = Math.sqrt(1 - lam);
                int ch = (int) (outH * rat);
                int cw = (int) (outW * rat);
                int cy = rng.nextInt(outH);
                int cx = rng.nextInt(outW);
                int y0 = Math.max(0, cy - ch / 2);
                int y1 = Math.min(outH, cy + ch / 2);
                int x0 = Math.max(0, cx - cw / 2);
                int x1 = Math.min(outW, cx + cw / 2);
                p.cutBox[i * 4] = x0;
                p.cutBox[i * 4 + 1] = y0;
                p.cutBox[i * 4 + 2] = x1;
                p.cutBox[i * 4 + 3] = y1;
                // the weight is the exact kept pixel fraction after clipping
                p.targetLambda[i] = 1 - (double) (x1 - x0) * (y1 - y0) / ((double) outH * outW);
                p.ops[i] |= AugmentOp.CUTMIX.bit();
            } else {
                double lam = beta(rng, mu.alpha());
                p.mixLambda[i] = lam;
                p.targetLambda[i] = lam;
                p.ops[i] |= AugmentOp.MIXUP.bit();
            }
        }
    }

    /** Beta(a, a) from two gamma draws. */
    static double beta(SplittableRandom rng, double a) {
        double x = gamma(rng, a);
        double y = gamma(rng, a);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /** Marsaglia-Tsang gamma(shape k, scale 1); boost for k &lt; 1. */
    static double gamma(SplittableRandom rng, double k) {
        if (k < 1) {
            double u = rng.nextDouble();
            return gamma(rng, k + 1) * Math.pow(u, 1 / k);
        }
        double d = k - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = gaussian(rng);
            double v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = rng.nextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
        }
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    // ------------------------------------------------------------------ composition

    private void compose(AugmentParams p, int i, Draw d, SplittableRandom rng) {
        // Geometry maps an output point to the source point it samples (inverse warp).
        // Frames: output normalised [-1, 1] -> output pixels (centred) -> augmentation ->
        // input pixels (centred) -> input normalised.
        double[] m = diag(p.outW / 2.0, p.outH / 2.0);
        if (d.perspective > 0) m = mul(m, perspective(rng, d.perspective));
        double[] a = identity();
        if (d.tx != 0 || d.ty != 0) a = mul(a, translation(d.tx * p.outW, d.ty * p.outH));
        double turn = d.angle + d.quarterTurns * Math.PI / 2;
        if (turn != 0) a = mul(a, rotation(turn));
        if (d.shearX != 0 || d.shearY != 0) {
            a = mul(a, new double[] {1, Math.tan(d.shearX), 0, Math.tan(d.shearY), 1, 0, 0, 0, 1});
        }
        if (d.fx != 1 || d.fy != 1) a = mul(a, diag(d.fx, d.fy));
        if (d.scale != 1) a = mul(a, diag(1 / d.scale, 1 / d.scale));
        double[] view;
        if (d.crop != null) {
            view = mul(translation(d.crop[0], d.crop[1]), diag(d.crop[2] / p.outW, d.crop[3] / p.outH));
        } else if ("letterbox".equals(cfg.resize())) {
            double k = Math.max((double) p.inW / p.outW, (double) p.inH / p.outH);
            view = diag(k, k);
        } else {
            view = diag((double) p.inW / p.outW, (double) p.inH / p.outH);
        }
        double[] full = mul(diag(2.0 / p.inW, 2.0 / p.inH), mul(view, mul(a, m)));
        double z = full[8];
        for (int k = 0; k < 9; k++) {
            double v = full[k] / z;
            // snap round-off so that exact ops (flips, quarter turns) stay exact
            double r = Math.rint(v);
            p.grid[i * 9 + k] = Math.abs(v - r) < 1e-12 ? r : v;
        }

        // Colour: x' = c*f*H*S*x + (1-c)*f*mean(grey(x)); S and H keep grey grey.
        double[] col = identity();
        double sat = d.grey ? 0 : d.saturation;
        if (sat != 1) {
            double[] s = new double[9];
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) s[r * 3 + c] = (r == c ? sat : 0) + (1 - sat) * GREY[c];
            }
            col = mul(s, col);
        }
        if (d.hue != 0) col = mul(hueMatrix(d.hue), col);
        double cf = d.contrast * d.brightness;
        if (cf != 1) {
            for (int k = 0; k < 9; k++) col[k] *= cf;
        }
        System.arraycopy(col, 0, p.colour, i * 9, 9);
        p.meanWeight[i] = (1 - d.contrast) * d.brightness;
        p.gamma[i] = d.gamma;
        p.sharpness[i] = d.sharpness;
        p.blurSigma[i] = d.blurSigma;
        p.motionLength[i] = d.motionLength;
        p.motionAngle[i] = d.motionAngle;
        p.noiseStd[i] = d.noiseStd;
        p.jpegQuality[i] = d.jpegQuality;
    }

    private static double[] hueMatrix(double turns) {
        double t = 2 * Math.PI * turns;
        double c = Math.cos(t);
        double s = Math.sin(t);
        double[] rot = {1, 0, 0, 0, c, -s, 0, s, c};
        return mul(flat(YIQ_TO_RGB), mul(rot, flat(RGB_TO_YIQ)));
    }

    /** Homography moving the corners of [-1, 1]^2 by up to {@code d} each, torchvision-style. */
    private static double[] perspective(SplittableRandom rng, double d) {
        double[][] src = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
        double[][] dst = new double[4][2];
        for (int k = 0; k < 4; k++) {
            // inward displacement keeps the whole page in view more often
            dst[k][0] = src[k][0] * (1 - rng.nextDouble() * d);
            dst[k][1] = src[k][1] * (1 - rng.nextDouble() * d);
        }
        return homography(src, dst);
    }

    /** The 3x3 homography taking each src[k] to dst[k] (h22 = 1), by Gaussian elimination. */
    static double[] homography(double[][] src, double[][] dst) {
        double[][] a = new double[8][9];
        for (int k = 0; k < 4; k++) {
            double x = src[k][0];
            double y = src[k][1];
            double u = dst[k][0];
            double v = dst[k][1];
            a[2 * k] = new double[] {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
            a[2 * k + 1] = new double[] {0, 0, 0, x, y, 1, -v * x, -v * y, v};
        }
        for (int c = 0; c < 8; c++) {
            int piv = c;
            for (int r = c + 1; r < 8; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
            double[] t = a[c];
            a[c] = a[piv];
            a[piv] = t;
            for (int r = 0; r < 8; r++) {
                if (r == c) continue;
                double f = a[r][c] / a[c][c];
                for (int k = c; k < 9; k++) a[r][k] -= f * a[c][k];
            }
        }
        double[] h = new double[9];
        for (int k = 0; k < 8; k++) h[k] = a[k][8] / a[k][k];
        h[8] = 1;
        return h;
    }

    // ------------------------------------------------------------------ 3x3 helpers

    static double[] identity() {
        return new double[] {1, 0, 0, 0, 1, 0, 0, 0, 1};
    }

    static double[] diag(double x, double y) {
        return new double[] {x, 0, 0, 0, y, 0, 0, 0, 1};
    }

    static double[] translation(double x, double y) {
        return new double[] {1, 0, x, 0, 1, y, 0, 0, 1};
    }

    static double[] rotation(double a) {
        double c = Math.cos(a);
        double s = Math.sin(a);
        if (Math.abs(c) < 1e-15) c = 0;
        if (Math.abs(s) < 1e-15) s = 0;
        return new double[] {c, -s, 0, s, c, 0, 0, 0, 1};
    }

    static double[] mul(double[] a, double[] b) {
        double[] r = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (int k = 0; k < 3; k++) s += a[i * 3 + k] * b[k * 3 + j];
                r[i * 3 + j] = s;
            }
        }
        return r;
    }

    private static double[] flat(double[][] m) {
        double[] r = new double[9];
        for (int i = 0; i < 3; i++) System.arraycopy(m[i], 0, r, i * 3, 3);
        return r;
    }

    private static double[][] invert3(double[][] m) {
        double a = m[0][0], b = m[0][1], c = m[0][2];
        double d = m[1][0], e = m[1][1], f = m[1][2];
        double g = m[2][0], h = m[2][1], k = m[2][2];
        double det = a * (e * k - f * h) - b * (d * k - f * g) + c * (d * h - e * g);
        return new double[][] {
            {(e * k - f * h) / det, (c * h - b * k) / det, (b * f - c * e) / det},
            {(f * g - d * k) / det, (a * k - c * g) / det, (c * d - a * f) / det},
            {(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det}};
    }
}
