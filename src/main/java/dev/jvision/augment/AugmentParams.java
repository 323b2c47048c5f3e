package dev.jvision.augment;

import java.util.Arrays;

/**
 * The per-sample parameters of one augmented batch, drawn on the host by {@link AugmentSampler}
 * and executed on the device by {@link Augmenter}. Plain arrays indexed by sample; a neutral
 * value means "op not applied". Mutable, not thread-safe; owned by the call that drew it.
 */
final class AugmentParams {
    final int n;
    final int inH;
    final int inW;
    final int outH;
    final int outW;
    /** Row-major 3x3 homography per sample: output (x, y, 1) in [-1, 1] -> input, same convention. */
    final double[] grid;
    /** Row-major 3x3 colour matrix per sample (identity = none). */
    final double[] colour;
    /** Weight of the image's grey mean added to every channel (contrast). */
    final double[] meanWeight;
    final double[] gamma;
    final double[] sharpness;
    final double[] blurSigma;
    final double[] motionLength;
    final double[] motionAngle;
    final double[] noiseStd;
    final double[] jpegQuality;
    final int eraseSlots;
    /** Per sample and slot: x0, y0, x1, y1 in output pixels, end exclusive; empty = unused. */
    final int[] erase;
    /** Mixing partner per sample (itself when unmixed). */
    final int[] partner;
    /** Mixup image weight of the sample itself (1 = unmixed). */
    final double[] mixLambda;
    /** CutMix box per sample pasted from the partner: x0, y0, x1, y1 in output pixels; empty = none. */
    final int[] cutBox;
    /** Target weight of the sample's own label (1 = unmixed). */
    final double[] targetLambda;
    /** Bit mask of {@link AugmentOp}s applied, per sample. */
    final long[] ops;
    /** {@code augment.translate}: whole-pixel shift per sample (right/down positive), reflect-padded. */
    final int[] shiftX;
    final int[] shiftY;
    /** {@code augment.flip_mode: alternate}: horizontal flip per sample, before the geometric step. */
    final boolean[] flipX;

    AugmentParams(int n, int inH, int inW, int outH, int outW, int eraseSlots) {
        this.n = n;
        this.inH = inH;
        this.inW = inW;
        this.outH = outH;
        this.outW = outW;
        this.grid = new double[n * 9];
        this.colour = new double[n * 9];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < 3; d++) {
                grid[i * 9 + d * 4] = 1;
                colour[i * 9 + d * 4] = 1;
            }
        }
        this.meanWeight = new double[n];
        this.gamma = filled(n, 1);
        this.sharpness = filled(n, 1);
        this.blurSigma = new double[n];
        this.motionLength = new double[n];
        this.motionAngle = new double[n];
        this.noiseStd = new double[n];
        this.jpegQuality = new double[n];
        this.eraseSlots = eraseSlots;
        this.erase = new int[n * eraseSlots * 4];
        this.partner = new int[n];
        for (int i = 0; i < n; i++) partner[i] = i;
        this.mixLambda = filled(n, 1);
        this.cutBox = new int[n * 4];
        this.targetLambda = filled(n, 1);
        this.ops = new long[n];
        this.shiftX = new int[n];
        this.shiftY = new int[n];
        this.flipX = new boolean[n];
    }

    /** Whether any sample is shifted or flipped by the small-image pre-step. */
    boolean anyFlipShift() {
        for (int i = 0; i < n; i++) if (shiftX[i] != 0 || shiftY[i] != 0 || flipX[i]) return true;
        return false;
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    boolean has(int i, AugmentOp op) {
        return (ops[i] & op.bit()) != 0;
    }

    /** @return how many samples have {@code op} */
    int count(AugmentOp op) {
        int c = 0;
        for (long m : ops) if ((m & op.bit()) != 0) c++;
        return c;
    }

    /** Whether every sample's geometry is the identity and the size is unchanged. */
    boolean geometricIdentity() {
        if (inH != outH || inW != outW) return false;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 9; k++) {
                double want = k % 4 == 0 ? 1 : 0;
                if (grid[i * 9 + k] != want) return false;
            }
        }
        return true;
    }

    boolean projective() {
        for (int i = 0; i < n; i++) {
            if (grid[i * 9 + 6] != 0 || grid[i * 9 + 7] != 0 || grid[i * 9 + 8] != 1) return true;
        }
        return false;
    }

    boolean colourIdentity() {
        for (int i = 0; i < n; i++) {
            if (meanWeight[i] != 0) return false;
            for (int k = 0; k < 9; k++) {
                double want = k % 4 == 0 ? 1 : 0;
                if (colour[i * 9 + k] != want) return false;
            }
        }
        return true;
    }

    boolean anyErase() {
        for (int v = 0; v < erase.length; v += 4) {
            if (erase[v + 2] > erase[v] && erase[v + 3] > erase[v + 1]) return true;
        }
        return false;
    }

    boolean anyMix() {
        for (int i = 0; i < n; i++) if (partner[i] != i && targetLambda[i] != 1) return true;
        return false;
    }
}
