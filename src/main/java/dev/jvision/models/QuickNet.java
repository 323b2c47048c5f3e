package dev.jvision.models;

import dev.jvision.nn.BatchNorm2d;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Layer;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.nn.Sequential;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * QuickNet: a compact network for fast training on small images, written from the airbench
 * paper (Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU", arXiv 2404.00498). A 2x2
 * {@code stem} convolution with {@code 2 x 3 x 2 x 2 = 24} outputs (meant to be set by patch
 * whitening, {@link #whiten}), GELU, then one stage per width: {@code depth} blocks of conv3x3
 * (no bias) -> BatchNorm -> GELU, the first block of a stage max-pooling by 2 between its conv
 * and its norm; global max pooling and a linear classifier {@code fc} whose logits are scaled by
 * {@value #LOGIT_SCALE_TEXT}. A 32 px input leaves the stages at 15, 7 and 3 px; 28 px at 13, 6
 * and 3. There is no timm counterpart: the PyTorch twin is {@code benchmarks/python/quicknet.py}
 * (the numerics test's reference and the paired benchmark's model).
 *
 * <p>Parameter names: {@code stem.weight}, {@code stem.bias},
 * {@code stages.<i>.blocks.<j>.conv.weight}, {@code stages.<i>.blocks.<j>.bn.*}, {@code fc.*}.
 * Owns its weights until {@link #close()}; not thread-safe.
 */
public final class QuickNet extends ImageModel {
    /** The classifier's logit scale (a fixed temperature, as in airbench). */
    public static final double LOGIT_SCALE = 1.0 / 9.0;
    static final String LOGIT_SCALE_TEXT = "1/9";
    /** Kernel of the whitening stem. */
    public static final int STEM_KERNEL = 2;
    /** Mean and std the small-image recipes normalise with (the data's own statistics are close for greyscale sets). */
    static final double[] MEAN = {0.5, 0.5, 0.5};
    static final double[] STD = {0.25, 0.25, 0.25};

    private final Conv2d stem;
    private final Sequential stages;
    private final int[] widths;
    private final double dropRate;
    private Linear fc;

    static void register(Map<String, ModelSpec> registry) {
        add(registry, "quicknet_s", 2, 32, 64, 128);
        add(registry, "quicknet_m", 2, 64, 128, 256);
        add(registry, "quicknet_l", 2, 64, 256, 256);
    }

    private static void add(Map<String, ModelSpec> registry, String name, int depth, int... widths) {
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec(name, "quicknet", 32, MEAN, STD, 1.0, "bilinear",
                o -> new QuickNet(self[0], widths, depth, o));
        registry.put(name, self[0]);
    }

    /**
     * A QuickNet with the given widths (one stage each) and blocks per stage, outside the
     * registry (its spec is {@code quicknet_custom}); the caller owns it.
     *
     * @throws IllegalArgumentException for no widths, a width below 1 or a depth below 1
     */
    public static QuickNet create(int[] widths, int depth, ModelOptions options) {
        ModelSpec spec = new ModelSpec("quicknet_custom", "quicknet", 32, MEAN, STD, 1.0, "bilinear", null);
        return new QuickNet(spec, widths, depth, options);
    }

    private QuickNet(ModelSpec spec, int[] widths, int depth, ModelOptions o) {
        super(spec);
        if (widths.length == 0 || Arrays.stream(widths).anyMatch(w -> w < 1)) {
            throw new IllegalArgumentException("widths: " + Arrays.toString(widths) + " (expected: at least one, each >= 1)");
        }
        if (depth < 1) {
            throw new IllegalArgumentException("depth: " + depth + " (expected: >= 1)");
        }
        this.widths = widths.clone();
        this.dropRate = o.dropRate();
        int stemWidth = 2 * 3 * STEM_KERNEL * STEM_KERNEL;
        stem = registerChild("stem", new Conv2d(3, stemWidth, STEM_KERNEL, 1, 0, true));
        stages = registerChild("stages", new Sequential());
        int in = stemWidth;
        for (int w : widths) {
            stages.add(new Stage(in, w, depth));
            in = w;
        }
        fc = registerChild("fc", new Linear(in, o.numClasses()));
    }

    /** The stage widths. */
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public int numClasses() {
        return (int) fc.outFeatures();
    }

    @Override
    public String classifierName() {
        return "fc";
    }

    @Override
    public Tensor forwardFeatures(Tensor x) {
        checkOpen();
        return stages.forward(Ops.gelu(stem.forward(x)));
    }

    @Override
    public Tensor forwardHead(Tensor features) {
        Tensor pooled = torch.adaptive_max_pool2d(features, 1, 1).get0().flatten(1, -1);
        Tensor logits = fc.forward(Ops.dropout(pooled, dropRate, isTraining()));
        try (Scalar s = new Scalar(LOGIT_SCALE)) {
            return logits.mul(s);
        }
    }

    @Override
    public void resetClassifier(int numClasses) {
        Linear old = fc;
        fc = new Linear(old.inFeatures(), numClasses);
        replaceChild("fc", fc);
        old.close();
    }

    /**
     * Sets the stem to patch whitening: for the covariance of the (centred) 2x2 patches of
     * {@code images}, its eigenvectors scaled by {@code 1 / sqrt(eigenvalue + eps)}, largest
     * eigenvalue first, as the first half of the filters and their negations as the second half;
     * the bias centres the patches. Afterwards the first half of the stem's outputs has (about)
     * identity covariance over those patches. With {@code freeze} the stem's weight gets no
     * gradient (its bias still trains). {@code images} is a normalised float [N, 3, H, W] batch
     * of training images (not modified); see {@link Whitening}.
     */
    public void whiten(Tensor images, double eps, boolean freeze) {
        checkOpen();
        Whitening.initialise(stem.namedParameters().get("weight"), stem.namedParameters().get("bias"), images, eps);
        if (freeze) {
            stem.namedParameters().get("weight").requires_grad_(false);
        }
    }

    /** One stage: {@code blocks.0} pools, the others keep the size. */
    static final class Stage extends Layer {
        private final Sequential blocks;

        Stage(int in, int out, int depth) {
            blocks = registerChild("blocks", new Sequential());
            for (int j = 0; j < depth; j++) {
                blocks.add(new ConvBn(j == 0 ? in : out, out, j == 0));
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            return blocks.forward(x);
        }
    }

    /** conv3x3 (no bias) -> [max-pool 2] -> BatchNorm -> GELU. */
    static final class ConvBn extends Layer {
        private final Conv2d conv;
        private final BatchNorm2d bn;
        private final boolean pool;

        ConvBn(int in, int out, boolean pool) {
            conv = registerChild("conv", new Conv2d(in, out, 3, 1, 1, false));
            bn = registerChild("bn", new BatchNorm2d(out));
            this.pool = pool;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = conv.forward(x);
            if (pool) {
                y = Ops.maxPool(y, 2, 2, 0);
            }
            return Ops.gelu(bn.forward(y));
        }
    }
}
