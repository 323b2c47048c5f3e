package dev.jvision.models;

import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Init;
import dev.jvision.nn.Layer;
import dev.jvision.nn.LayerNorm;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.nn.Sequential;
import dev.jvision.nn.SwinInit;
import dev.jvision.nn.WindowAttention;
import dev.jvision.runtime.Kernels;
import dev.jvision.runtime.Tensors;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Swin Transformer v1 (Liu et al. 2021) with timm 1.0's module layout, parameter names and
 * initialisation: {@code patch_embed.{proj,norm}}, stages {@code layers.N} (stage N > 0 starts
 * with a {@code downsample} patch merging {@code {norm,reduction}}), blocks
 * {@code layers.N.blocks.M.{norm1,attn.{relative_position_bias_table,qkv,proj},norm2,mlp.{fc1,fc2}}},
 * final {@code norm} and {@code head.fc}. Tokens are kept NHWC ([B, H, W, C]) inside, as timm;
 * {@link #forwardFeatures} returns the normalised NHWC map of the last stage and
 * {@link #forwardHead} averages it over H and W.
 *
 * <p>Window sizes and shifts are fixed when the model is built for {@code imgSize}, by timm's
 * rule: a stage whose feature map is no larger than the window uses the map size as window and
 * no shift. The relative position index and the shifted-window mask are non-persistent in timm
 * and therefore absent from {@link #stateDict()} here too. At the built size the output equals
 * timm's; other inputs whose sides are multiples of the patch size are accepted and computed as
 * timm does with {@code strict_img_size=False} (windows as built, feature maps zero-padded to
 * window multiples, mask computed for the padded map).
 *
 * <p>Owns its weights until {@link #close()}; not thread-safe.
 *
 * <p>Length: one model family per file, as timm keeps it (blocks, model, checkpoint names,
 * variant registrations), so a reader compares it with timm's {@code swin_transformer.py} side
 * by side; the attention itself is {@code nn.WindowAttention}.
 */
public final class SwinTransformer extends ImageModel {
    private final Config config;
    private final PatchEmbed patchEmbed;
    private final Sequential layers;
    private final LayerNorm norm;
    private final Head head;
    private final int numFeatures;

    /**
     * An explicit Swin configuration (timm's constructor arguments of the same names).
     *
     * @param imgSize      square input size the windows are planned for; a multiple of {@code patchSize}
     * @param patchSize    patch embedding stride and kernel
     * @param windowSize   attention window side in tokens
     * @param embedDim     channels of stage 0 (doubled per stage)
     * @param depths       blocks per stage
     * @param numHeads     attention heads per stage; each stage's width must be divisible by it
     * @param numClasses   classifier outputs
     * @param mlpRatio     MLP hidden width over block width
     * @param dropPathRate stochastic depth of the last block (linear from 0 over all blocks)
     * @param dropRate     dropout before the classifier
     */
    public record Config(int imgSize, int patchSize, int windowSize, int embedDim, int[] depths, int[] numHeads,
                         int numClasses, double mlpRatio, double dropPathRate, double dropRate) {
        public Config {
            positive("img_size", imgSize);
            positive("patch_size", patchSize);
            positive("window_size", windowSize);
            positive("embed_dim", embedDim);
            positive("num_classes", numClasses);
            if (imgSize % patchSize != 0) {
                throw new IllegalArgumentException("img_size: " + imgSize + " (expected: a multiple of patch_size " + patchSize + ")");
            }
            if (depths == null || numHeads == null || depths.length == 0 || depths.length != numHeads.length) {
                throw new IllegalArgumentException("depths: " + Arrays.toString(depths) + ", num_heads: " + Arrays.toString(numHeads)
                        + " (expected: one entry per stage in each, at least one stage)");
            }
            depths = depths.clone();
            numHeads = numHeads.clone();
            for (int i = 0; i < depths.length; i++) {
                positive("depths[" + i + "]", depths[i]);
                long width = (long) embedDim << i;
                if (numHeads[i] < 1 || width % numHeads[i] != 0) {
                    throw new IllegalArgumentException("num_heads[" + i + "]: " + numHeads[i] + " (expected: a divisor of stage width " + width + ")");
                }
            }
            if (!(mlpRatio > 0)) {
                throw new IllegalArgumentException("mlp_ratio: " + mlpRatio + " (expected: > 0)");
            }
            if (dropPathRate < 0 || dropPathRate >= 1) {
                throw new IllegalArgumentException("drop_path_rate: " + dropPathRate + " (expected: in [0, 1))");
            }
            if (dropRate < 0 || dropRate >= 1) {
                throw new IllegalArgumentException("drop_rate: " + dropRate + " (expected: in [0, 1))");
            }
        }

        @Override
        public int[] depths() {
            return depths.clone();
        }

        @Override
        public int[] numHeads() {
            return numHeads.clone();
        }

        /** This configuration with the class count and regularisation of {@code o}. */
        public Config with(ModelOptions o) {
            return new Config(imgSize, patchSize, windowSize, embedDim, depths, numHeads, o.numClasses(), mlpRatio,
                    o.dropPathRate(), o.dropRate());
        }

        private static void positive(String name, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(name + ": " + v + " (expected: >= 1)");
            }
        }
    }

    static void register(Map<String, ModelSpec> registry) {
        add(registry, "swin_tiny_patch4_window7_224", 224, 7, 96, new int[] {2, 2, 6, 2}, new int[] {3, 6, 12, 24}, 0.9);
        add(registry, "swin_small_patch4_window7_224", 224, 7, 96, new int[] {2, 2, 18, 2}, new int[] {3, 6, 12, 24}, 0.9);
        add(registry, "swin_base_patch4_window7_224", 224, 7, 128, new int[] {2, 2, 18, 2}, new int[] {4, 8, 16, 32}, 0.9);
        add(registry, "swin_base_patch4_window12_384", 384, 12, 128, new int[] {2, 2, 18, 2}, new int[] {4, 8, 16, 32}, 1.0);
    }

    private static void add(Map<String, ModelSpec> registry, String name, int img, int window, int dim, int[] depths,
                            int[] heads, double cropPct) {
        Config base = new Config(img, 4, window, dim, depths, heads, 1000, 4.0, 0, 0);
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec(name, "swin", img, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, cropPct, "bicubic",
                o -> new SwinTransformer(self[0], base.with(o)));
        registry.put(name, self[0]);
    }

    /**
     * Builds a Swin Transformer from an explicit configuration (for example a tiny one for tests);
     * its spec is named {@code swin_custom} with ImageNet normalisation. The caller owns the model.
     *
     * @throws IllegalArgumentException for an invalid configuration, naming the field
     */
    public static SwinTransformer create(Config config) {
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec("swin_custom", "swin", config.imgSize(), ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD,
                0.9, "bicubic", o -> new SwinTransformer(self[0], config.with(o)));
        return new SwinTransformer(self[0], config);
    }

    private SwinTransformer(ModelSpec spec, Config c) {
        super(spec);
        this.config = c;
        int[] depths = c.depths();
        int[] heads = c.numHeads();
        int stages = depths.length;
        numFeatures = c.embedDim() << (stages - 1);
        patchEmbed = registerChild("patch_embed", new PatchEmbed(c.patchSize(), c.embedDim()));
        int total = Arrays.stream(depths).sum();
        int grid = c.imgSize() / c.patchSize();
        layers = registerChild("layers", new Sequential());
        int blockIndex = 0;
        for (int i = 0; i < stages; i++) {
            int inDim = c.embedDim() << Math.max(0, i - 1);
            int outDim = c.embedDim() << i;
            // timm: stage i works at grid // 2^i (floor, as its input_resolution bookkeeping)
            int res = grid >> i;
            double[] dpr = new double[depths[i]];
            for (int b = 0; b < depths[i]; b++, blockIndex++) {
                dpr[b] = total > 1 ? c.dropPathRate() * blockIndex / (total - 1) : 0;
            }
            layers.add(new Stage(inDim, outDim, i > 0, res, depths[i], heads[i], c.windowSize(), c.mlpRatio(), dpr));
        }
        norm = registerChild("norm", new LayerNorm(numFeatures));
        head = registerChild("head", new Head(numFeatures, c.numClasses(), c.dropRate()));
        initWeights(this);
    }

    /** timm's init: trunc-normal(.02) Linear weights, zero biases; PyTorch's default for the patch conv. */
    private static void initWeights(Layer l) {
        if (l instanceof Linear lin) {
            SwinInit.truncNormalInPlace(lin.stateDict().get("weight"), 0.02);
            SwinInit.constantInPlace(lin.stateDict().get("bias"), 0);
        } else if (l instanceof Reduction r) {
            SwinInit.truncNormalInPlace(r.weight, 0.02);
        } else if (l instanceof PatchEmbed p) {
            Tensor w = p.proj.stateDict().get("weight");
            long fanIn = w.size(1) * w.size(2) * w.size(3);
            SwinInit.uniformFanInInPlace(w, fanIn);
            SwinInit.uniformFanInInPlace(p.proj.stateDict().get("bias"), fanIn);
        }
        for (Layer child : l.children().values()) {
            initWeights(child);
        }
    }

    /** The configuration this model was built from. */
    public Config config() {
        return config;
    }

    @Override
    public int numClasses() {
        return head.numClasses();
    }

    @Override
    public String classifierName() {
        return "head.fc";
    }

    /**
     * Patch embedding, stages and final norm on a float NCHW batch.
     *
     * @return the normalised last-stage tokens, NHWC [B, H', W', C]
     * @throws IllegalArgumentException if {@code x} is not [B, 3, H, W] with H and W multiples of the patch size
     */
    @Override
    public Tensor forwardFeatures(Tensor x) {
        checkOpen();
        long[] s = Tensors.shape(x);
        int p = config.patchSize();
        if (s.length != 4 || s[1] != 3 || s[2] < p || s[3] < p || s[2] % p != 0 || s[3] % p != 0) {
            throw new IllegalArgumentException(spec().name() + ": input shape " + Arrays.toString(s)
                    + " (expected: [batch, 3, H, W] with H and W positive multiples of patch_size " + p
                    + "; built for " + config.imgSize() + "x" + config.imgSize() + ", where it matches timm exactly)");
        }
        Tensor y = patchEmbed.forward(x);
        y = layers.forward(y);
        return norm.forward(y);
    }

    /** Mean over the token grid of NHWC {@code features}, dropout, {@code head.fc}. */
    @Override
    public Tensor forwardHead(Tensor features) {
        return head.forward(features);
    }

    @Override
    public void resetClassifier(int numClasses) {
        head.reset(numClasses);
    }

    /** {@code patch_embed}: conv {@code proj} (kernel = stride = patch) to NHWC, then {@code norm}. */
    static final class PatchEmbed extends Layer {
        private final Conv2d proj;
        private final LayerNorm norm;

        PatchEmbed(int patch, int dim) {
            proj = registerChild("proj", new Conv2d(3, dim, patch, patch, 0, true));
            norm = registerChild("norm", new LayerNorm(dim));
        }

        @Override
        public Tensor forward(Tensor x) {
            return norm.forward(proj.forward(x).permute(0, 2, 3, 1));
        }
    }

    /** {@code reduction} of patch merging: a Linear without bias ({@code weight} [out, in]). */
    static final class Reduction extends Layer {
        private final Tensor weight;

        Reduction(long in, long out) {
            weight = registerParameter("weight", Init.uniformFanIn(in, out, in));
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            return Kernels.linear(x, weight, null);
        }
    }

    /** timm's PatchMerging: 2x2 neighbours concatenated (odd sides zero-padded), {@code norm}, {@code reduction}. */
    static final class PatchMerging extends Layer {
        private final LayerNorm norm;
        private final Reduction reduction;

        PatchMerging(int dim, int outDim) {
            norm = registerChild("norm", new LayerNorm(4L * dim));
            reduction = registerChild("reduction", new Reduction(4L * dim, outDim));
        }

        @Override
        public Tensor forward(Tensor x) {
            long b = x.size(0);
            long h = x.size(1);
            long w = x.size(2);
            long c = x.size(3);
            Tensor y = x;
            if (h % 2 != 0 || w % 2 != 0) {
                y = torch.constant_pad_nd(y, 0, 0, 0, w % 2, 0, h % 2);
                h += h % 2;
                w += w % 2;
            }
            y = y.reshape(b, h / 2, 2, w / 2, 2, c).permute(0, 1, 3, 4, 2, 5).flatten(3, -1);
            return reduction.forward(norm.forward(y));
        }
    }

    /** timm's Mlp: {@code fc1}, GELU, {@code fc2}. */
    static final class Mlp extends Layer {
        private final Linear fc1;
        private final Linear fc2;

        Mlp(int dim, int hidden) {
            fc1 = registerChild("fc1", new Linear(dim, hidden));
            fc2 = registerChild("fc2", new Linear(hidden, dim));
        }

        @Override
        public Tensor forward(Tensor x) {
            return fc2.forward(fc1.forwardGelu(x));
        }
    }

    /**
     * One Swin block on NHWC tokens: (shifted) window attention and MLP, each pre-norm with a
     * residual and drop-path. The shifted-window mask (non-persistent in timm) is cached as an
     * owned field for the last padded size and device, and released by {@link #close()}.
     */
    static final class Block extends Layer {
        private final LayerNorm norm1;
        private final WindowAttention attn;
        private final LayerNorm norm2;
        private final Mlp mlp;
        private final int wh;
        private final int ww;
        private final int sh;
        private final int sw;
        private final double dropPath;
        private Tensor mask;
        private long maskH = -1;
        private long maskW = -1;
        private boolean released;

        Block(int dim, int resolution, int heads, int window, boolean shifted, double mlpRatio, double dropPath) {
            // timm's _calc_window_shift: a map no larger than the window becomes the window, unshifted
            int win = Math.min(resolution, window);
            int shift = shifted ? window / 2 : 0;
            this.wh = Math.max(1, win);
            this.ww = Math.max(1, win);
            this.sh = resolution <= win ? 0 : shift;
            this.sw = resolution <= win ? 0 : shift;
            this.dropPath = dropPath;
            norm1 = registerChild("norm1", new LayerNorm(dim));
            attn = registerChild("attn", new WindowAttention(dim, heads, wh, ww, 0));
            norm2 = registerChild("norm2", new LayerNorm(dim));
            mlp = registerChild("mlp", new Mlp(dim, (int) (dim * mlpRatio)));
        }

        int windowSize() {
            return wh;
        }

        int shiftSize() {
            return sh;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            long b = x.size(0);
            long h = x.size(1);
            long w = x.size(2);
            long c = x.size(3);
            Tensor y = x.add(Ops.dropPath(attention(norm1.forward(x)), dropPath, isTraining()));
            y = y.reshape(b, -1, c);
            y = y.add(Ops.dropPath(mlp.forward(norm2.forward(y)), dropPath, isTraining()));
            return y.reshape(b, h, w, c);
        }

        private Tensor attention(Tensor x) {
            long b = x.size(0);
            long h = x.size(1);
            long w = x.size(2);
            long c = x.size(3);
            boolean shift = sh != 0 || sw != 0;
            Tensor y = shift ? torch.roll(x, new long[] {-sh, -sw}, 1, 2) : x;
            long padH = (wh - h % wh) % wh;
            long padW = (ww - w % ww) % ww;
            if (padH != 0 || padW != 0) {
                y = torch.constant_pad_nd(y, 0, 0, 0, padW, 0, padH);
            }
            long hp = h + padH;
            long wp = w + padW;
            Tensor windows = y.reshape(b, hp / wh, wh, wp / ww, ww, c).permute(0, 1, 3, 2, 4, 5).contiguous()
                    .view(-1, (long) wh * ww, c);
            Tensor out = attn.forward(windows, shift ? mask(hp, wp, x) : null);
            out = out.view(-1, hp / wh, wp / ww, wh, ww, c).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, hp, wp, c);
            if (padH != 0 || padW != 0) {
                out = out.narrow(1, 0, h).narrow(2, 0, w).contiguous();
            }
            return shift ? torch.roll(out, new long[] {sh, sw}, 1, 2) : out;
        }

        private Tensor mask(long hp, long wp, Tensor like) {
            if (mask == null || maskH != hp || maskW != wp || !mask.device().equals(like.device())
                    || mask.scalar_type().intern() != like.scalar_type().intern()) {
                Tensor m = Tensors.fromFloats(shiftMask((int) hp, (int) wp, wh, ww, sh, sw),
                        (hp / wh) * (wp / ww), (long) wh * ww, (long) wh * ww).to(like.device(), like.scalar_type());
                m.retainReference();
                if (mask != null) {
                    mask.releaseReference();
                }
                mask = m;
                maskH = hp;
                maskW = wp;
            }
            return mask;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                if (mask != null) {
                    mask.releaseReference();
                    mask = null;
                }
            }
            super.close();
        }
    }

    /**
     * timm's {@code get_attn_mask} for a padded {@code hp x wp} map, as [numWindows, N, N] floats:
     * 0 where two tokens of a window come from the same region before the cyclic shift, -100
     * otherwise. Regions follow timm's slices (0:-w, -w:-s, -s:) with Python semantics.
     */
    static float[] shiftMask(int hp, int wp, int wh, int ww, int sh, int sw) {
        int[][] label = new int[hp][wp];
        int[][] hs = {{0, -wh}, {-wh, -sh}, {-sh, Integer.MAX_VALUE}};
        int[][] ws = {{0, -ww}, {-ww, -sw}, {-sw, Integer.MAX_VALUE}};
        int cnt = 0;
        for (int[] hsl : hs) {
            for (int[] wsl : ws) {
                int h0 = pyIndex(hsl[0], hp);
                int h1 = pyIndex(hsl[1], hp);
                int w0 = pyIndex(wsl[0], wp);
                int w1 = pyIndex(wsl[1], wp);
                for (int i = h0; i < h1; i++) {
                    for (int j = w0; j < w1; j++) {
                        label[i][j] = cnt;
                    }
                }
                cnt++;
            }
        }
        int n = wh * ww;
        int nwh = hp / wh;
        int nww = wp / ww;
        float[] out = new float[nwh * nww * n * n];
        int[] tok = new int[n];
        for (int a = 0; a < nwh; a++) {
            for (int bb = 0; bb < nww; bb++) {
                for (int t = 0; t < n; t++) {
                    tok[t] = label[a * wh + t / ww][bb * ww + t % ww];
                }
                int base = (a * nww + bb) * n * n;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        out[base + i * n + j] = tok[i] == tok[j] ? 0f : -100f;
                    }
                }
            }
        }
        return out;
    }

    /** A Python slice bound on a sequence of {@code n}: negative counts from the end; clamped to [0, n]. */
    private static int pyIndex(int v, int n) {
        if (v == Integer.MAX_VALUE) {
            return n;
        }
        int i = v < 0 ? v + n : v;
        return Math.max(0, Math.min(n, i));
    }

    /** timm's SwinTransformerStage: optional {@code downsample}, then {@code blocks} (odd ones shifted). */
    static final class Stage extends Layer {
        private final PatchMerging downsample;
        private final Sequential blocks;

        Stage(int inDim, int outDim, boolean downsample, int resolution, int depth, int heads, int window, double mlpRatio,
              double[] dpr) {
            this.downsample = downsample ? registerChild("downsample", new PatchMerging(inDim, outDim)) : null;
            blocks = registerChild("blocks", new Sequential());
            for (int i = 0; i < depth; i++) {
                blocks.add(new Block(outDim, resolution, heads, window, i % 2 == 1, mlpRatio, dpr[i]));
            }
        }

        Block block(int i) {
            return (Block) blocks.children().get(Integer.toString(i));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = downsample == null ? x : downsample.forward(x);
            return blocks.forward(y);
        }
    }

    /** timm's ClassifierHead for NHWC input: average over H and W, dropout, {@code fc}. */
    static final class Head extends Layer {
        private final long features;
        private final double dropRate;
        private Linear fc;

        Head(long features, int numClasses, double dropRate) {
            this.features = features;
            this.dropRate = dropRate;
            fc = registerChild("fc", new Linear(features, numClasses));
        }

        int numClasses() {
            return (int) fc.outFeatures();
        }

        void reset(int numClasses) {
            if (numClasses < 1) {
                throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
            }
            Linear old = fc;
            Linear fresh = new Linear(features, numClasses);
            initWeights(fresh);
            fc = fresh;
            replaceChild("fc", fresh);
            old.close();
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor pooled = x.mean(new long[] {1, 2}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
            return fc.forward(Ops.dropout(pooled, dropRate, isTraining()));
        }
    }

    /** Window side and shift of block {@code block} in stage {@code stage} (for tests and docs). */
    int[] windowAndShift(int stage, int block) {
        Block b = ((Stage) layers.children().get(Integer.toString(stage))).block(block);
        return new int[] {b.windowSize(), b.shiftSize()};
    }

    /**
     * Window side and shift of block {@code block} of stage {@code stage} as built (for graph
     * exporters): {@code {window, shift}}.
     */
    public int[] blockWindowAndShift(int stage, int block) {
        return windowAndShift(stage, block);
    }

    /**
     * The additive shifted-window mask of a padded {@code hp x wp} map, [numWindows, N, N] as
     * row-major floats (0 / -100), as the blocks compute it (for graph exporters).
     */
    public static float[] shiftedWindowMask(int hp, int wp, int window, int shift) {
        return shiftMask(hp, wp, window, window, shift, shift);
    }
}
