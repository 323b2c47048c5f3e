package dev.jvision.augment;

import dev.jvision.config.AugmentConfig;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Kernels;
import dev.jvision.runtime.Tensors;
import java.util.Arrays;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Batched training augmentation on the batch's device: a uint8 NHWC RGB batch becomes the
 * model's normalised float NCHW input (optionally channels-last) plus soft targets. Every
 * sample gets its own parameters, drawn on the host from the seed ({@link AugmentSampler}); the
 * device then runs whole-batch ops: one sampling grid per batch for all geometric steps (a
 * per-sample 3x3 homography turned into a grid with one batched matmul, then one
 * {@code grid_sample}), one batched 3x3 colour matrix, grouped convolutions with per-sample
 * kernels for blur, an 8x8 DCT quantisation for JPEG loss, masks for erasing and CutMix. The
 * same code runs on CPU and CUDA tensors; the same seed gives the same batch on a device.
 *
 * <p>Ownership: tensors returned by {@link #train} and {@link #eval} are new and belong to the
 * caller's {@code StepScope} (call them inside {@code Memory.step()}); the inputs are not
 * modified. The augmenter owns only its small constants, released by {@link #close}.
 * <p>Length: the file holds the whole device pipeline, one private method per op in the order
 * they run, so that the order and the shared batch conventions read top to bottom; the drawing
 * of parameters already lives apart in {@link AugmentSampler}.
 *
 * Not thread-safe: one trainer thread uses an instance.
 */
public final class Augmenter implements AutoCloseable {
    /** Soft targets rows sum to 1; images are normalised float NCHW. */
    public record Augmented(Tensor images, Tensor targets) {}

    private static final double[] GREY = {0.299, 0.587, 0.114};
    private static final int[] JPEG_LUMA = {
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
    private static final int[] JPEG_CHROMA = {
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

    private final AugmentConfig cfg;
    private final int numClasses;
    private final Device device;
    private final boolean channelsLast;
    private final AugmentSampler sampler;
    private final AugmentSampler evalSampler;
    private final Tensor mean;
    private final Tensor std;
    private Tensor baseGrid;
    private long baseGridKey = -1;
    private boolean closed;

    /**
     * @param cfg          the {@code augment:} section
     * @param numClasses   width of the soft targets, &gt;= 1
     * @param mean         per-channel RGB mean in [0, 1]
     * @param std          per-channel RGB std
     * @param device       where batches live (inputs are moved there if needed)
     * @param channelsLast whether images come out in channels-last memory format
     */
    public Augmenter(AugmentConfig cfg, int numClasses, double[] mean, double[] std, Device device,
                     boolean channelsLast) {
        if (numClasses < 1) throw new IllegalArgumentException("numClasses: " + numClasses + " (expected: >= 1)");
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException("mean/std: expected 3 values each (RGB)");
        }
        this.cfg = cfg;
        this.numClasses = numClasses;
        this.device = device;
        this.channelsLast = channelsLast;
        this.sampler = new AugmentSampler(cfg);
        this.evalSampler = new AugmentSampler(new AugmentConfig("none", 0, 0, 0, 0, 1, 1, 0, 0, null, cfg.resize(),
                cfg.outputSize(), cfg.padMode(), cfg.padValue(), null, null, null, null, null, null, "random", 0));
        this.mean = constant(mean);
        this.std = constant(std);
    }

    /** @return the configuration this augmenter applies */
    public AugmentConfig config() {
        return cfg;
    }

    /**
     * Augments a training batch.
     *
     * @param uint8Nhwc   uint8 [N, H, W, 3] RGB
     * @param labels      int64 [N] class indices in [0, numClasses)
     * @param epoch       0-based epoch (for the hard-augmentation ramp)
     * @param totalEpochs epochs of the run, &gt;= 1
     * @param seed        the batch seed: the same seed gives the same output
     * @return normalised float [N, 3, H', W'] images and float32 [N, numClasses] soft targets
     *     (one-hot unless Mixup/CutMix mixed the sample; label smoothing is not applied here)
     */
    public Augmented train(Tensor uint8Nhwc, Tensor labels, int epoch, int totalEpochs, long seed) {
        return train(uint8Nhwc, labels, epoch, totalEpochs, seed, null);
    }

    /**
     * As {@link #train(Tensor, Tensor, int, int, long)}; with {@code augment.flip_mode: alternate}
     * the flip of each image follows its ID ({@link FlipShift#alternateFlip}): every image is seen
     * flipped in exactly one of two consecutive epochs. {@code ids} null: flips drawn from the seed.
     */
    public Augmented train(Tensor uint8Nhwc, Tensor labels, int epoch, int totalEpochs, long seed,
                           java.util.List<String> ids) {
        ensureOpen();
        checkBatch(uint8Nhwc);
        int n = (int) uint8Nhwc.size(0);
        if (labels == null || labels.dim() != 1 || labels.size(0) != n) {
            throw new IllegalArgumentException("labels shape " + (labels == null ? "null"
                    : Arrays.toString(Tensors.shape(labels))) + " (expected: [" + n + "] int64)");
        }
        AugmentParams p = sampler.sample(n, (int) uint8Nhwc.size(1), (int) uint8Nhwc.size(2), epoch, totalEpochs,
                seed, true);
        if (ids != null && cfg.alternateFlip() && !cfg.policy().equals("none")) {
            if (ids.size() != n) throw new IllegalArgumentException("ids: " + ids.size() + " (expected: " + n + ")");
            for (int i = 0; i < n; i++) p.flipX[i] = FlipShift.alternateFlip(ids.get(i), epoch);
        }
        Tensor x = apply(uint8Nhwc, p, seed);
        Tensor y = labels.to(device.toNative(), torch.ScalarType.Long);
        Tensor oneHot = torch.one_hot(y, numClasses).to(torch.ScalarType.Float);
        Tensor targets = oneHot;
        if (p.anyMix()) {
            Tensor perm = longs(p.partner);
            Tensor lam = upload(p.targetLambda, n, 1);
            Tensor rest = upload(Arrays.stream(p.targetLambda).map(v -> 1 - v).toArray(), n, 1);
            targets = oneHot.mul(lam).add_(oneHot.index_select(0, perm).mul(rest));
        }
        return new Augmented(normalise(x), targets);
    }

    /**
     * Training augmentation of the images only: no Mixup/CutMix (there are no labels to mix).
     *
     * @see #train(Tensor, Tensor, int, int, long)
     */
    public Tensor trainImages(Tensor uint8Nhwc, int epoch, int totalEpochs, long seed) {
        ensureOpen();
        checkBatch(uint8Nhwc);
        AugmentParams p = sampler.sample((int) uint8Nhwc.size(0), (int) uint8Nhwc.size(1), (int) uint8Nhwc.size(2),
                epoch, totalEpochs, seed, false);
        return normalise(apply(uint8Nhwc, p, seed));
    }

    /** Evaluation transform: the configured resize/output size only, scale to [0, 1], normalise. */
    public Tensor eval(Tensor uint8Nhwc) {
        ensureOpen();
        checkBatch(uint8Nhwc);
        AugmentParams p = evalSampler.sample((int) uint8Nhwc.size(0), (int) uint8Nhwc.size(1),
                (int) uint8Nhwc.size(2), 0, 1, 0, false);
        return normalise(apply(uint8Nhwc, p, 0));
    }

    /** The sampler's parameters for a batch of the given size (tests, preview). */
    AugmentParams sample(int n, int h, int w, int epoch, int totalEpochs, long seed, boolean mix) {
        return sampler.sample(n, h, w, epoch, totalEpochs, seed, mix);
    }

    // ------------------------------------------------------------------ the device pipeline

    /** Runs drawn parameters on a batch: float [N, 3, H', W'] in [0, 1], not normalised. */
    Tensor apply(Tensor uint8Nhwc, AugmentParams p, long seed) {
        Tensor x = uint8Nhwc.to(device.toNative(), torch.ScalarType.Float).permute(0, 3, 1, 2).contiguous();
        x.mul_(scalar(1.0 / 255.0));
        Generator gen = null;
        if (p.anyFlipShift()) x = FlipShift.apply(x, p.shiftX, p.shiftY, p.flipX, device);
        x = geometric(x, p);
        x = colour(x, p);
        x = gammaOp(x, p);
        x = sharpness(x, p);
        x = gaussianBlur(x, p);
        x = motionBlur(x, p);
        if (any(p.noiseStd, 0)) {
            gen = generator(seed);
            x = noise(x, p, gen);
        }
        x = jpeg(x, p);
        if (p.anyErase()) {
            if (gen == null) gen = generator(seed);
            x = erase(x, p, gen);
        }
        x = mix(x, p);
        return x;
    }

    private Tensor geometric(Tensor x, AugmentParams p) {
        return p.geometricIdentity() ? x : resample(x, p);
    }

    /** The one resampling pass of a batch: float NCHW through the per-sample homographies. */
    Tensor resample(Tensor x, AugmentParams p) {
        int n = p.n;
        Tensor theta = upload(p.grid, n, 3, 3);
        Tensor g = baseGrid(p.outH, p.outW).matmul(theta.transpose(1, 2)); // [N, HW, 3]
        Tensor xy = g.narrow(2, 0, 2);
        if (p.projective()) xy = xy.div(g.narrow(2, 2, 1));
        Tensor grid = xy.reshape(n, p.outH, p.outW, 2);
        // grid_sampler: bilinear (0); padding zeros (0), border (1), reflection (2)
        switch (cfg.padMode()) {
            case "edge" -> {
                return Kernels.gridSample(x, grid, 0, 1, false);
            }
            case "reflect" -> {
                return Kernels.gridSample(x, grid, 0, 2, false);
            }
            default -> {
                // zeros padding of (x - v), plus v: outside samples become v
                Scalar v = scalar(cfg.padValue());
                return Kernels.gridSample(x.sub(v), grid, 0, 0, false).add_(v);
            }
        }
    }

    /** [1, H*W, 3] output pixel centres in normalised coordinates (align_corners false), with 1. */
    private Tensor baseGrid(int h, int w) {
        long key = (long) h << 32 | w;
        if (key != baseGridKey) {
            float[] b = new float[h * w * 3];
            for (int r = 0; r < h; r++) {
                float yy = (2 * r + 1) / (float) h - 1;
                for (int c = 0; c < w; c++) {
                    int at = (r * w + c) * 3;
                    b[at] = (2 * c + 1) / (float) w - 1;
                    b[at + 1] = yy;
                    b[at + 2] = 1;
                }
            }
            Tensor t;
            try (Tensor cpu = Tensors.fromFloats(b, 1, (long) h * w, 3)) {
                t = cpu.to(device.toNative(), torch.ScalarType.Float);
            }
            t.retainReference();
            releaseBaseGrid();
            baseGrid = t;
            baseGridKey = key;
        }
        return baseGrid;
    }

    private Tensor colour(Tensor x, AugmentParams p) {
        if (p.colourIdentity()) return x;
        int n = p.n;
        long h = x.size(2);
        long w = x.size(3);
        Tensor flat = x.reshape(n, 3, h * w);
        Tensor channelMean = flat.mean(new long[] {2}, true, new ScalarTypeOptional()); // [N, 3, 1]
        Tensor greyMean = channelMean.mul(upload(GREY, 1, 3, 1)).sum(new long[] {1}, true, new ScalarTypeOptional());
        Tensor y = upload(p.colour, n, 3, 3).bmm(flat).add_(greyMean.mul(upload(p.meanWeight, n, 1, 1)));
        return clamp01(y.reshape(n, 3, h, w));
    }

    private Tensor gammaOp(Tensor x, AugmentParams p) {
        int[] idx = where(p.gamma, 1);
        if (idx.length == 0) return x;
        Tensor sel = longs(idx);
        Tensor sub = x.index_select(0, sel).clamp(new ScalarOptional(scalar(1e-6)), new ScalarOptional(scalar(1.0)));
        Tensor g = upload(pick(p.gamma, idx), idx.length, 1, 1, 1);
        return x.index_copy_(0, sel, sub.log_().mul_(g).exp_());
    }

    private Tensor sharpness(Tensor x, AugmentParams p) {
        int[] idx = where(p.sharpness, 1);
        if (idx.length == 0) return x;
        Tensor sel = longs(idx);
        Tensor sub = x.index_select(0, sel);
        double[] k = {1, 1, 1, 1, 5, 1, 1, 1, 1};
        for (int i = 0; i < 9; i++) k[i] /= 13;
        double[] w = new double[27];
        for (int c = 0; c < 3; c++) System.arraycopy(k, 0, w, c * 9, 9);
        Tensor smooth = torch.conv2d(replicatePad(sub, 1, 1), upload(w, 3, 1, 3, 3), new TensorOptional(),
                new long[] {1, 1}, new long[] {0, 0}, new long[] {1, 1}, 3);
        Tensor f = upload(pick(p.sharpness, idx), idx.length, 1, 1, 1);
        Tensor out = smooth.add_(sub.sub(smooth).mul_(f));
        return x.index_copy_(0, sel, clamp01(out));
    }

    private Tensor gaussianBlur(Tensor x, AugmentParams p) {
        int[] idx = where(p.blurSigma, 0);
        if (idx.length == 0) return x;
        double maxSigma = 0;
        for (int i : idx) maxSigma = Math.max(maxSigma, p.blurSigma[i]);
        int radius = Math.max(1, (int) Math.ceil(3 * maxSigma));
        int size = 2 * radius + 1;
        int k = idx.length;
        double[] kern = new double[k * 3 * size];
        for (int j = 0; j < k; j++) {
            double s = p.blurSigma[idx[j]];
            double sum = 0;
            double[] row = new double[size];
            for (int t = 0; t < size; t++) {
                row[t] = Math.exp(-0.5 * (t - radius) * (t - radius) / (s * s));
                sum += row[t];
            }
            for (int c = 0; c < 3; c++) {
                for (int t = 0; t < size; t++) kern[(j * 3 + c) * size + t] = row[t] / sum;
            }
        }
        Tensor sel = longs(idx);
        long h = x.size(2);
        long w = x.size(3);
        Tensor sub = x.index_select(0, sel).reshape(1, k * 3L, h, w);
        Tensor horizontal = upload(kern, k * 3L, 1, 1, size);
        Tensor vertical = horizontal.reshape(k * 3L, 1, size, 1);
        Tensor y = groupedConv(replicatePad(sub, radius, 0), horizontal, k * 3);
        y = groupedConv(replicatePad(y, 0, radius), vertical, k * 3);
        return x.index_copy_(0, sel, y.reshape(k, 3, h, w));
    }

    private Tensor motionBlur(Tensor x, AugmentParams p) {
        int[] idx = where(p.motionLength, 0);
        if (idx.length == 0) return x;
        int maxLen = 3;
        for (int i : idx) maxLen = Math.max(maxLen, (int) p.motionLength[i]);
        int radius = maxLen / 2;
        int size = 2 * radius + 1;
        int k = idx.length;
        double[] kern = new double[k * 3 * size * size];
        for (int j = 0; j < k; j++) {
            double[] one = motionKernel(p.motionLength[idx[j]], p.motionAngle[idx[j]], size);
            for (int c = 0; c < 3; c++) System.arraycopy(one, 0, kern, (j * 3 + c) * size * size, size * size);
        }
        Tensor sel = longs(idx);
        long h = x.size(2);
        long w = x.size(3);
        Tensor sub = x.index_select(0, sel).reshape(1, k * 3L, h, w);
        Tensor y = groupedConv(replicatePad(sub, radius, radius), upload(kern, k * 3L, 1, size, size), k * 3);
        return x.index_copy_(0, sel, y.reshape(k, 3, h, w));
    }

    /** A normalised line of {@code length} pixels through the centre at {@code angle}, anti-aliased. */
    static double[] motionKernel(double length, double angle, int size) {
        double[] k = new double[size * size];
        int c = size / 2;
        int steps = (int) length * 4;
        double half = (length - 1) / 2;
        double dx = Math.cos(angle);
        double dy = Math.sin(angle);
        for (int s = 0; s <= steps; s++) {
            double t = -half + 2 * half * s / steps;
            double px = c + t * dx;
            double py = c + t * dy;
            int x0 = (int) Math.floor(px);
            int y0 = (int) Math.floor(py);
            double fx = px - x0;
            double fy = py - y0;
            for (int oy = 0; oy < 2; oy++) {
                for (int ox = 0; ox < 2; ox++) {
                    int xx = x0 + ox;
                    int yy = y0 + oy;
                    if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
                    k[yy * size + xx] += (ox == 0 ? 1 - fx : fx) * (oy == 0 ? 1 - fy : fy);
                }
            }
        }
        double sum = 0;
        for (double v : k) sum += v;
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        return k;
    }

    private Tensor noise(Tensor x, AugmentParams p, Generator gen) {
        int[] idx = where(p.noiseStd, 0);
        Tensor sel = longs(idx);
        Tensor sub = x.index_select(0, sel);
        Tensor sd = upload(pick(p.noiseStd, idx), idx.length, 1, 1, 1).expand_as(sub).contiguous();
        Tensor noisy = sub.add_(torch.normal(0.0, sd, new GeneratorOptional(gen)));
        return x.index_copy_(0, sel, clamp01(noisy));
    }

    private Tensor jpeg(Tensor x, AugmentParams p) {
        int[] idx = where(p.jpegQuality, 0);
        if (idx.length == 0) return x;
        int k = idx.length;
        long h = x.size(2);
        long w = x.size(3);
        long h8 = (h + 7) / 8 * 8;
        long w8 = (w + 7) / 8 * 8;
        Tensor sel = longs(idx);
        Tensor sub = x.index_select(0, sel);
        if (h8 != h || w8 != w) {
            sub = torch.pad(sub, new long[] {0, w8 - w, 0, h8 - h}, "replicate", new DoubleOptional());
        }
        double[] toYcc = {0.299, 0.587, 0.114, -0.168736, -0.331264, 0.5, 0.5, -0.418688, -0.081312};
        double[] fromYcc = {1, 0, 1.402, 1, -0.344136, -0.714136, 1, 1.772, 0};
        // level-shifted YCbCr in 0..255 units: Y - 128, Cb, Cr (centred on 0)
        Tensor ycc = upload(toYcc, 1, 3, 3).matmul(sub.reshape(k, 3, h8 * w8)).mul_(scalar(255.0));
        ycc = ycc.sub_(upload(new double[] {128, 0, 0}, 1, 3, 1));
        Tensor blocks = ycc.reshape(k, 3, h8 / 8, 8, w8 / 8, 8).permute(0, 1, 2, 4, 3, 5);
        Tensor d = upload(dct8(), 8, 8);
        Tensor dt = d.transpose(0, 1);
        Tensor coef = d.matmul(blocks).matmul(dt);
        double[] q = new double[k * 3 * 64];
        for (int j = 0; j < k; j++) {
            double quality = p.jpegQuality[idx[j]];
            double scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
            for (int c = 0; c < 3; c++) {
                int[] table = c == 0 ? JPEG_LUMA : JPEG_CHROMA;
                for (int t = 0; t < 64; t++) {
                    q[(j * 3 + c) * 64 + t] = Math.max(1, Math.floor((table[t] * scale + 50) / 100));
                }
            }
        }
        Tensor qt = upload(q, k, 3, 1, 1, 8, 8);
        coef = coef.div(qt).round_().mul_(qt);
        Tensor back = dt.matmul(coef).matmul(d).permute(0, 1, 2, 4, 3, 5).reshape(k, 3, h8 * w8);
        back = back.add_(upload(new double[] {128, 0, 0}, 1, 3, 1)).mul_(scalar(1 / 255.0));
        Tensor rgb = upload(fromYcc, 1, 3, 3).matmul(back).reshape(k, 3, h8, w8);
        if (h8 != h || w8 != w) rgb = rgb.narrow(2, 0, h).narrow(3, 0, w);
        return x.index_copy_(0, sel, clamp01(rgb).contiguous());
    }

    /** Orthonormal 8x8 DCT-II matrix. */
    private static double[] dct8() {
        double[] d = new double[64];
        for (int u = 0; u < 8; u++) {
            double a = u == 0 ? Math.sqrt(1.0 / 8) : Math.sqrt(2.0 / 8);
            for (int t = 0; t < 8; t++) d[u * 8 + t] = a * Math.cos((2 * t + 1) * u * Math.PI / 16);
        }
        return d;
    }

    private Tensor erase(Tensor x, AugmentParams p, Generator gen) {
        Tensor mask = boxMask(p.erase, p.n, p.eraseSlots, x.size(2), x.size(3));
        Tensor keep = mask.logical_not();
        if ("constant".equals(cfg.erasing().fill())) {
            return x.where(keep, scalar(cfg.erasing().value()));
        }
        Tensor fill = torch.empty_like(x).uniform_(0, 1, new GeneratorOptional(gen));
        return x.where(keep, fill);
    }

    /** [N, 1, H, W] true inside any of each sample's boxes (x0, y0, x1, y1; end exclusive). */
    private Tensor boxMask(int[] boxes, int n, int slots, long h, long w) {
        double[] b = new double[boxes.length];
        for (int i = 0; i < b.length; i++) b[i] = boxes[i];
        Tensor t = upload(b, n, slots, 4, 1, 1);
        double[] xs = new double[(int) w];
        for (int i = 0; i < w; i++) xs[i] = i;
        double[] ys = new double[(int) h];
        for (int i = 0; i < h; i++) ys[i] = i;
        Tensor cx = upload(xs, 1, 1, 1, w);
        Tensor cy = upload(ys, 1, 1, h, 1);
        Tensor inside = cx.ge(t.select(2, 0)).logical_and(cx.lt(t.select(2, 2)))
                .logical_and(cy.ge(t.select(2, 1))).logical_and(cy.lt(t.select(2, 3)));
        return inside.any(1, true);
    }

    private Tensor mix(Tensor x, AugmentParams p) {
        if (!p.anyMix()) return x;
        Tensor partner = x.index_select(0, longs(p.partner));
        boolean cut = false;
        boolean blend = false;
        for (int i = 0; i < p.n; i++) {
            cut |= p.cutBox[i * 4 + 2] > p.cutBox[i * 4];
            blend |= p.mixLambda[i] != 1;
        }
        if (cut) {
            Tensor mask = boxMask(p.cutBox, p.n, 1, x.size(2), x.size(3));
            x = x.where(mask.logical_not(), partner);
        }
        if (blend) {
            Tensor lam = upload(p.mixLambda, p.n, 1, 1, 1);
            Tensor rest = upload(Arrays.stream(p.mixLambda).map(v -> 1 - v).toArray(), p.n, 1, 1, 1);
            x = x.mul(lam).add_(partner.mul(rest));
        }
        return x;
    }

    // ------------------------------------------------------------------ helpers

    private Tensor normalise(Tensor x) {
        Tensor y = x.sub(mean).div_(std);
        return channelsLast ? y.contiguous(torch.MemoryFormat.ChannelsLast) : y.contiguous();
    }

    private static Tensor groupedConv(Tensor x, Tensor weight, long groups) {
        return torch.conv2d(x, weight, new TensorOptional(), new long[] {1, 1}, new long[] {0, 0},
                new long[] {1, 1}, groups);
    }

    private static Tensor replicatePad(Tensor x, long padW, long padH) {
        return torch.pad(x, new long[] {padW, padW, padH, padH}, "replicate", new DoubleOptional());
    }

    private static Tensor clamp01(Tensor x) {
        return x.clamp_(new ScalarOptional(scalar(0.0)), new ScalarOptional(scalar(1.0)));
    }

    private static Scalar scalar(double v) {
        return new Scalar(v);
    }

    private Generator generator(long seed) {
        long s = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        s = (s ^ (s >>> 31)) & Long.MAX_VALUE;
        if (device.isCuda()) {
            Generator g = org.bytedeco.pytorch.global.torch_cuda.make_generator_cuda((byte) device.index());
            g.set_current_seed(s);
            return g;
        }
        return torch.make_generator_cpu(s);
    }

    private static boolean any(double[] a, double neutral) {
        for (double v : a) if (v != neutral) return true;
        return false;
    }

    private static int[] where(double[] a, double neutral) {
        return java.util.stream.IntStream.range(0, a.length).filter(i -> a[i] != neutral).toArray();
    }

    private static double[] pick(double[] a, int[] idx) {
        double[] r = new double[idx.length];
        for (int i = 0; i < idx.length; i++) r[i] = a[idx[i]];
        return r;
    }

    private Tensor upload(double[] v, long... shape) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        Tensor cpu = Tensors.fromFloats(f, shape);
        return device.isCuda() ? cpu.to(device.toNative(), torch.ScalarType.Float) : cpu;
    }

    private Tensor longs(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        Tensor cpu = Tensors.fromLongs(l, l.length);
        return device.isCuda() ? cpu.to(device.toNative(), torch.ScalarType.Long) : cpu;
    }

    private Tensor constant(double[] v) {
        float[] f = {(float) v[0], (float) v[1], (float) v[2]};
        try (Tensor cpu = Tensors.fromFloats(f, 1, 3, 1, 1)) {
            Tensor t = cpu.to(device.toNative(), torch.ScalarType.Float);
            t.retainReference();
            return t;
        }
    }

    private static void checkBatch(Tensor x) {
        if (x == null || x.dim() != 4 || x.size(3) != 3 || x.scalar_type().intern() != torch.ScalarType.Byte) {
            throw new IllegalArgumentException("batch " + (x == null ? "null" : Arrays.toString(Tensors.shape(x))
                    + " " + x.scalar_type()) + " (expected: [N, H, W, 3] uint8)");
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("Augmenter is closed");
    }

    private void releaseBaseGrid() {
        if (baseGrid != null && baseGrid.referenceCount() > 0) baseGrid.releaseReference();
        baseGrid = null;
        baseGridKey = -1;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        releaseBaseGrid();
        if (mean.referenceCount() > 0) mean.releaseReference();
        if (std.referenceCount() > 0) std.releaseReference();
    }
}
