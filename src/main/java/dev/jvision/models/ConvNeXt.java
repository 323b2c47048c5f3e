package dev.jvision.models;

import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Init;
import dev.jvision.nn.Layer;
import dev.jvision.nn.LayerNorm;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.nn.Sequential;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * ConvNeXt (Liu et al. 2022, "A ConvNet for the 2020s") exactly as timm 1.0.29's
 * {@code timm.models.convnext.ConvNeXt} with the default patch stem: parameter names, shapes
 * and order of timm's {@code state_dict} ({@code stem.0/1}, {@code stages.N.downsample.0/1},
 * {@code stages.N.blocks.M.{gamma,conv_dw,norm,mlp.fc1,mlp.fc2}}, {@code head.norm},
 * optional {@code head.pre_logits.fc}, {@code head.fc}), so a timm {@code model.safetensors}
 * loads without a mapping table. Fully convolutional: any input size whose sides are at least
 * 32 pixels works. LayerNorm eps is 1e-6 everywhere, as in timm; layer scale ({@code gamma})
 * starts at {@link Config#layerScaleInit()}; stochastic depth grows linearly from 0 over all
 * blocks to {@link ModelOptions#dropPathRate()}; conv and linear weights start truncated-normal
 * (std 0.02), biases zero, the classifier scaled by {@link Config#headInitScale()}.
 *
 * <p>The model owns its weights until {@link #close()}; tensors returned by {@code forward}
 * belong to the caller's scope. Not thread-safe.
 */
public final class ConvNeXt extends ImageModel {
    private static final double EPS = 1e-6;
    private static final double INIT_STD = 0.02;

    private final Sequential stem;
    private final Sequential stages;
    private final Head head;

    /**
     * Architecture of one ConvNeXt: the four stage depths and widths, whether the block MLP uses
     * 1x1 convolutions on NCHW (timm's {@code conv_mlp}, used by atto..nano), the layer-scale
     * initial value (null: no {@code gamma}), the hidden size of the optional pre-logits MLP in
     * the head (0: none) and the classifier init scale. Immutable (arrays are copied) and
     * thread-safe.
     */
    public record Config(int[] depths, int[] dims, boolean convMlp, Double layerScaleInit, int headHiddenSize,
                         double headInitScale) {
        public Config {
            if (depths == null || depths.length != 4) {
                throw new IllegalArgumentException("depths: " + Arrays.toString(depths) + " (expected: 4 stage depths)");
            }
            if (dims == null || dims.length != 4) {
                throw new IllegalArgumentException("dims: " + Arrays.toString(dims) + " (expected: 4 stage widths)");
            }
            for (int d : depths) {
                if (d < 1) {
                    throw new IllegalArgumentException("depths: " + Arrays.toString(depths) + " (expected: each >= 1)");
                }
            }
            for (int d : dims) {
                if (d < 1) {
                    throw new IllegalArgumentException("dims: " + Arrays.toString(dims) + " (expected: each >= 1)");
                }
            }
            if (layerScaleInit != null && !Double.isFinite(layerScaleInit)) {
                throw new IllegalArgumentException("layer_scale_init: " + layerScaleInit + " (expected: finite or null)");
            }
            if (headHiddenSize < 0) {
                throw new IllegalArgumentException("head_hidden_size: " + headHiddenSize + " (expected: >= 0, 0 = none)");
            }
            if (!Double.isFinite(headInitScale)) {
                throw new IllegalArgumentException("head_init_scale: " + headInitScale + " (expected: finite)");
            }
            depths = depths.clone();
            dims = dims.clone();
        }

        /** timm's defaults for everything but depths, dims and conv_mlp (layer scale 1e-6, no head MLP, scale 1). */
        public static Config of(int[] depths, int[] dims, boolean convMlp) {
            return new Config(depths, dims, convMlp, 1e-6, 0, 1.0);
        }

        @Override
        public int[] depths() {
            return depths.clone();
        }

        @Override
        public int[] dims() {
            return dims.clone();
        }
    }

    static void register(Map<String, ModelSpec> registry) {
        add(registry, "convnext_atto", 0.875, new int[] {2, 2, 6, 2}, new int[] {40, 80, 160, 320}, true);
        add(registry, "convnext_femto", 0.875, new int[] {2, 2, 6, 2}, new int[] {48, 96, 192, 384}, true);
        add(registry, "convnext_pico", 0.875, new int[] {2, 2, 6, 2}, new int[] {64, 128, 256, 512}, true);
        add(registry, "convnext_nano", 0.95, new int[] {2, 2, 8, 2}, new int[] {80, 160, 320, 640}, true);
        add(registry, "convnext_tiny", 0.95, new int[] {3, 3, 9, 3}, new int[] {96, 192, 384, 768}, false);
        add(registry, "convnext_small", 0.95, new int[] {3, 3, 27, 3}, new int[] {96, 192, 384, 768}, false);
        add(registry, "convnext_base", 0.875, new int[] {3, 3, 27, 3}, new int[] {128, 256, 512, 1024}, false);
        add(registry, "convnext_large", 0.875, new int[] {3, 3, 27, 3}, new int[] {192, 384, 768, 1536}, false);
    }

    /** crop_pct follows the default pretrained tag of each variant in timm 1.0.29. */
    private static void add(Map<String, ModelSpec> registry, String name, double cropPct, int[] depths, int[] dims,
                            boolean convMlp) {
        Config config = Config.of(depths, dims, convMlp);
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec(name, "convnext", 224, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, cropPct, "bicubic",
                o -> new ConvNeXt(self[0], config, o));
        registry.put(name, self[0]);
    }

    /**
     * A ConvNeXt of any architecture (for example a tiny one in tests), with the spec
     * {@code convnext_custom} (224 px, ImageNet mean/std). The caller owns (and closes) the model.
     */
    public static ConvNeXt create(Config config, ModelOptions options) {
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec("convnext_custom", "convnext", 224, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD,
                0.875, "bicubic", o -> new ConvNeXt(self[0], config, o));
        return new ConvNeXt(self[0], config, options);
    }

    /** Builds {@code config} under {@code spec}; the caller owns (and closes) the model. */
    public ConvNeXt(ModelSpec spec, Config config, ModelOptions options) {
        super(spec);
        int[] depths = config.depths();
        int[] dims = config.dims();
        stem = registerChild("stem", new Sequential(new Conv2d(3, dims[0], 4, 4, 0, true), new LayerNorm(dims[0], EPS, true)));
        int total = Arrays.stream(depths).sum();
        int blockIndex = 0;
        int prev = dims[0];
        stages = registerChild("stages", new Sequential());
        for (int s = 0; s < 4; s++) {
            double[] dpr = new double[depths[s]];
            for (int b = 0; b < depths[s]; b++, blockIndex++) {
                // torch.linspace(0, rate, total) as timm's calculate_drop_path_rates
                dpr[b] = total == 1 ? 0 : options.dropPathRate() * blockIndex / (total - 1);
            }
            stages.add(new Stage(prev, dims[s], s > 0, dpr, config));
            prev = dims[s];
        }
        head = registerChild("head", new Head(prev, config.headHiddenSize(), options.numClasses(), options.dropRate()));
        initWeights(this, config.headInitScale());
    }

    @Override
    public int numClasses() {
        return head.numClasses();
    }

    @Override
    public String classifierName() {
        return "head.fc";
    }

    @Override
    public Tensor forwardFeatures(Tensor x) {
        checkOpen();
        return stages.forward(stem.forward(x));
    }

    @Override
    public Tensor forwardHead(Tensor features) {
        checkOpen();
        return head.forward(features);
    }

    @Override
    public void resetClassifier(int numClasses) {
        checkOpen();
        head.resetClassifier(numClasses);
    }

    /** timm's _init_weights: trunc-normal(std .02) conv/linear weights, zero biases, head.fc scaled. */
    private static void initWeights(Layer model, double headInitScale) {
        java.util.Set<String> normKeys = new java.util.HashSet<>();
        collectNormKeys("", model, normKeys);
        try (NoGradGuard ng = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                String k = e.getKey();
                Tensor t = e.getValue();
                if (k.endsWith(".gamma") || normKeys.contains(k)) {
                    continue;
                }
                if (k.endsWith(".weight")) {
                    truncNormal(t, INIT_STD);
                    if (k.equals("head.fc.weight") || k.equals("head.pre_logits.fc.weight")) {
                        scale(t, headInitScale);
                    }
                } else if (k.endsWith(".bias")) {
                    t.zero_();
                }
            }
        }
    }

    private static void collectNormKeys(String prefix, Layer layer, java.util.Set<String> out) {
        for (Map.Entry<String, Layer> c : layer.children().entrySet()) {
            String name = prefix + c.getKey() + ".";
            if (c.getValue() instanceof LayerNorm) {
                c.getValue().namedParameters().keySet().forEach(k -> out.add(name + k));
            } else {
                collectNormKeys(name, c.getValue(), out);
            }
        }
    }

    private static void scale(Tensor t, double s) {
        if (s != 1.0) {
            try (Scalar sc = new Scalar(s)) {
                t.mul_(sc);
            }
        }
    }

    /**
     * timm's {@code trunc_normal_(std=std, a=-2, b=2)}: the bounds are absolute, 100 standard
     * deviations out for std 0.02, so a normal draw clamped to them has the same distribution.
     */
    private static void truncNormal(Tensor t, double std) {
        t.normal_(0.0, std, new GeneratorOptional());
        try (Scalar lo = new Scalar(-2.0); Scalar hi = new Scalar(2.0)) {
            t.clamp_(new ScalarOptional(lo), new ScalarOptional(hi));
        }
    }

    /** {@code stages.N}: optional {@code downsample} (LayerNorm2d + 2x2 stride-2 conv), then {@code blocks}. */
    static final class Stage extends Layer {
        private final Sequential downsample;
        private final Sequential blocks;

        Stage(int in, int out, boolean down, double[] dpr, Config config) {
            downsample = down ? registerChild("downsample", new Sequential(new LayerNorm(in, EPS, true),
                    new Conv2d(in, out, 2, 2, 0, true))) : null;
            blocks = registerChild("blocks", new Sequential());
            for (double p : dpr) {
                blocks.add(new Block(out, config.convMlp(), config.layerScaleInit(), p));
            }
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = downsample == null ? x : downsample.forward(x);
            return blocks.forward(y);
        }
    }

    /**
     * timm's ConvNeXtBlock: depthwise 7x7 {@code conv_dw}, {@code norm}, {@code mlp} (fc1, GELU,
     * fc2; 1x1 convs on NCHW with conv_mlp, else linears on NHWC), {@code gamma} layer scale,
     * drop path, identity shortcut.
     */
    static final class Block extends Layer {
        private final Tensor gamma;
        private final Conv2d convDw;
        private final LayerNorm norm;
        private final Mlp mlp;
        private final boolean convMlp;
        private final double dropPath;

        Block(int dim, boolean convMlp, Double layerScaleInit, double dropPath) {
            // own parameters come first in a PyTorch state_dict, whatever the registration order
            gamma = layerScaleInit == null ? null : registerParameter("gamma", Init.constant(layerScaleInit, dim));
            convDw = registerChild("conv_dw", new Conv2d(dim, dim, 7, 1, 3, 1, dim, true));
            norm = registerChild("norm", new LayerNorm(dim, EPS, convMlp));
            mlp = registerChild("mlp", new Mlp(dim, 4 * dim, convMlp));
            this.convMlp = convMlp;
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = convDw.forward(x);
            if (convMlp) {
                y = mlp.forward(norm.forward(y));
                if (gamma != null) {
                    y = y.mul(gamma.view(1, -1, 1, 1));
                }
            } else {
                y = mlp.forward(norm.forward(y.permute(0, 2, 3, 1)));
                if (gamma != null) {
                    y = y.mul(gamma);
                }
                y = y.permute(0, 3, 1, 2);
            }
            return Ops.dropPath(y, dropPath, isTraining()).add(x);
        }
    }

    /** timm's Mlp: {@code fc1}, GELU, {@code fc2}; 1x1 convolutions when {@code conv}. */
    static final class Mlp extends Layer {
        private final Layer fc1;
        private final Layer fc2;

        Mlp(int dim, int hidden, boolean conv) {
            fc1 = registerChild("fc1", conv ? new Conv2d(dim, hidden, 1, 1, 0, true) : new Linear(dim, hidden));
            fc2 = registerChild("fc2", conv ? new Conv2d(hidden, dim, 1, 1, 0, true) : new Linear(hidden, dim));
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor h = fc1 instanceof Linear l ? l.forwardGelu(x) : Ops.gelu(fc1.forward(x));
            return fc2.forward(h);
        }
    }

    /** timm's NormMlpClassifierHead (avg pool, {@code norm}, optional {@code pre_logits.fc} + GELU, dropout, {@code fc}). */
    static final class Head extends Layer {
        private final LayerNorm norm;
        private final PreLogits preLogits;
        private final int features;
        private final double dropRate;
        private Linear fc;

        Head(int in, int hidden, int numClasses, double dropRate) {
            // LayerNorm2d on the pooled [N, C, 1, 1] map equals a last-dim LayerNorm on [N, C]
            norm = registerChild("norm", new LayerNorm(in, EPS, false));
            preLogits = hidden > 0 ? registerChild("pre_logits", new PreLogits(in, hidden)) : null;
            features = hidden > 0 ? hidden : in;
            this.dropRate = dropRate;
            fc = registerChild("fc", new Linear(features, numClasses));
        }

        int numClasses() {
            return (int) fc.outFeatures();
        }

        void resetClassifier(int numClasses) {
            if (numClasses < 1) {
                throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
            }
            Linear old = fc;
            Linear fresh = new Linear(features, numClasses);
            try (NoGradGuard ng = new NoGradGuard()) {
                Tensor w = fresh.namedParameters().get("weight");
                truncNormal(w, INIT_STD);
                fresh.namedParameters().get("bias").zero_();
                Tensor ref = old.namedParameters().get("weight");
                fresh.to(dev.jvision.runtime.Device.of(ref.device()));
            }
            fc = fresh;
            replaceChild("fc", fc);
            old.close();
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = norm.forward(Ops.globalAvgPool(x));
            if (preLogits != null) {
                y = preLogits.forward(y);
            }
            return fc.forward(Ops.dropout(y, dropRate, isTraining()));
        }
    }

    /** {@code head.pre_logits}: {@code fc} then GELU. */
    static final class PreLogits extends Layer {
        private final Linear fc;

        PreLogits(int in, int hidden) {
            fc = registerChild("fc", new Linear(in, hidden));
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            return Ops.gelu(fc.forward(x));
        }
    }

    /** Outputs of {@code stages.1}, {@code stages.2} and {@code stages.3} (strides 8, 16, 32). */
    @Override
    public Tensor[] forwardPyramid(Tensor x) {
        checkOpen();
        Tensor y = stem.forward(x);
        Tensor[] out = new Tensor[3];
        for (int s = 0; s < 4; s++) {
            y = stages.children().get(Integer.toString(s)).forward(y);
            if (s > 0) {
                out[s - 1] = y;
            }
        }
        return out;
    }

    @Override
    public int[] pyramidChannels() {
        int[] dims = pyramidDims;
        if (dims == null) {
            dims = new int[3];
            for (int s = 1; s < 4; s++) {
                Tensor w = stages.children().get(Integer.toString(s)).namedParameters().get("downsample.1.weight");
                dims[s - 1] = (int) w.size(0);
            }
            pyramidDims = dims;
        }
        return dims.clone();
    }

    private int[] pyramidDims;
}
