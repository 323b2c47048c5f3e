package dev.jvision.models;

import dev.jvision.nn.BatchNorm2d;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Conv2dSame;
import dev.jvision.nn.Layer;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * EfficientNetV2 (Tan and Le 2021) exactly as timm's {@code EfficientNet} class builds it from an
 * architecture definition: stem {@code conv_stem/bn1}, stages {@code blocks.i.j} of
 * {@code cn} (ConvBnAct: {@code conv/bn1}), {@code ds}/{@code dsa} (depthwise-separable:
 * {@code conv_dw/bn1/se/conv_pw/bn2}), {@code er} (fused MBConv, timm's EdgeResidual:
 * {@code conv_exp/bn1/se/conv_pwl/bn2}) and {@code ir} (MBConv, timm's InvertedResidual:
 * {@code conv_pw/bn1/conv_dw/bn2/se/conv_pwl/bn3}) blocks with squeeze-excite
 * {@code se.conv_reduce/se.conv_expand}, head {@code conv_head/bn2}, {@code classifier}.
 * Parameter names, shapes, channel and depth rounding, stochastic depth (linear in the block
 * index) and initialisation (timm's {@code _init_weight_goog}) follow timm 1.0.29, so timm
 * checkpoints load without a mapping table.
 *
 * <p>The {@code tf_} variants are ports of Google's TensorFlow weights: they use TensorFlow
 * "SAME" padding, computed from each input's size ({@link Conv2dSame}) wherever it is not
 * symmetric, and BatchNorm eps 1e-3. The {@code efficientnetv2_rw_*} variants use PyTorch's
 * symmetric padding and eps 1e-5. BatchNorm momentum is PyTorch's 0.1 for all, as in timm.
 *
 * <p>{@link #create(Arch, ModelOptions)} builds any architecture definition (for example a
 * tiny one in tests). The model owns its weights until {@link #close()}. Not thread-safe.
 *
 * <p>Longer than 400 lines on purpose: like timm's efficientnet.py it keeps the block types,
 * the architecture tables of every variant and the model in one file, so the variants can be
 * read against each other.
 */
public final class EfficientNetV2 extends ImageModel {
    /** Family name in {@link ModelSpec#family()}. */
    public static final String FAMILY = "efficientnetv2";
    /** Mean and std of the TensorFlow EfficientNetV2 S/M/B3 ports (inputs scaled to [-1, 1]). */
    public static final double[] INCEPTION_MEAN = {0.5, 0.5, 0.5};
    public static final double[] INCEPTION_STD = {0.5, 0.5, 0.5};

    private static final List<List<String>> ARCH_BASE = List.of(
            List.of("cn_r1_k3_s1_e1_c16_skip"),
            List.of("er_r2_k3_s2_e4_c32"),
            List.of("er_r2_k3_s2_e4_c48"),
            List.of("ir_r3_k3_s2_e4_c96_se0.25"),
            List.of("ir_r5_k3_s1_e6_c112_se0.25"),
            List.of("ir_r8_k3_s2_e6_c192_se0.25"));
    private static final List<List<String>> ARCH_S = List.of(
            List.of("cn_r2_k3_s1_e1_c24_skip"),
            List.of("er_r4_k3_s2_e4_c48"),
            List.of("er_r4_k3_s2_e4_c64"),
            List.of("ir_r6_k3_s2_e4_c128_se0.25"),
            List.of("ir_r9_k3_s1_e6_c160_se0.25"),
            List.of("ir_r15_k3_s2_e6_c256_se0.25"));
    private static final List<List<String>> ARCH_RW_S = List.of(
            List.of("er_r2_k3_s1_e1_c24"),
            List.of("er_r4_k3_s2_e4_c48"),
            List.of("er_r4_k3_s2_e4_c64"),
            List.of("ir_r6_k3_s2_e4_c128_se0.25"),
            List.of("ir_r9_k3_s1_e6_c160_se0.25"),
            List.of("ir_r15_k3_s2_e6_c272_se0.25"));
    private static final List<List<String>> ARCH_M = List.of(
            List.of("cn_r3_k3_s1_e1_c24_skip"),
            List.of("er_r5_k3_s2_e4_c48"),
            List.of("er_r5_k3_s2_e4_c80"),
            List.of("ir_r7_k3_s2_e4_c160_se0.25"),
            List.of("ir_r14_k3_s1_e6_c176_se0.25"),
            List.of("ir_r18_k3_s2_e6_c304_se0.25"),
            List.of("ir_r5_k3_s1_e6_c512_se0.25"));

    /** TensorFlow BatchNorm epsilon of the {@code tf_} ports. */
    public static final double BN_EPS_TF = 1e-3;
    private static final double BN_MOMENTUM = 0.1;

    /**
     * An architecture: timm's block definition strings per stage (for example
     * {@code ir_r2_k3_s2_e4_c16_se0.25}), channel and depth multipliers, the {@code round_limit}
     * of channel rounding (0 for timm's EfficientNetV2-B*, 0.9 otherwise), stem and head widths
     * before channel rounding, padding style and BatchNorm epsilon. Immutable.
     *
     * @param stages            block definitions, one list per stage
     * @param channelMultiplier width multiplier (> 0)
     * @param depthMultiplier   depth multiplier (> 0), applied per stage with timm's 'ceil'
     * @param roundLimit        {@code round_limit} of timm's {@code round_channels}
     * @param stemSize          stem channels before rounding
     * @param numFeatures       head ({@code conv_head}) channels before rounding
     * @param tfSamePadding     TensorFlow "SAME" padding (true) or PyTorch symmetric padding
     * @param bnEps             BatchNorm epsilon
     */
    public record Arch(List<List<String>> stages, double channelMultiplier, double depthMultiplier,
                       double roundLimit, int stemSize, int numFeatures, boolean tfSamePadding, double bnEps) {
        public Arch {
            stages = stages.stream().map(List::copyOf).toList();
            if (stages.isEmpty() || stages.stream().anyMatch(List::isEmpty)) {
                throw new IllegalArgumentException("stages: " + stages + " (expected: non-empty stages of block strings)");
            }
            if (!(channelMultiplier > 0) || !(depthMultiplier > 0)) {
                throw new IllegalArgumentException("channel/depth multiplier: " + channelMultiplier + "/" + depthMultiplier
                        + " (expected: > 0)");
            }
            if (stemSize < 1 || numFeatures < 1) {
                throw new IllegalArgumentException("stem_size/num_features: " + stemSize + "/" + numFeatures + " (expected: >= 1)");
            }
            if (!(bnEps > 0)) {
                throw new IllegalArgumentException("bn_eps: " + bnEps + " (expected: > 0)");
            }
        }

        /** Channels after timm's {@code round_channels(channels, channelMultiplier, 8, None, roundLimit)}. */
        public int roundChannels(double channels) {
            return makeDivisible(channels * channelMultiplier, 8, roundLimit);
        }
    }

    static void register(Map<String, ModelSpec> registry) {
        double[] im = ModelSpec.IMAGENET_MEAN;
        double[] is = ModelSpec.IMAGENET_STD;
        addBase(registry, "tf_efficientnetv2_b0", 1.0, 1.0, 192, im, is, 0.875);
        addBase(registry, "tf_efficientnetv2_b1", 1.0, 1.1, 192, im, is, 0.882);
        addBase(registry, "tf_efficientnetv2_b2", 1.1, 1.2, 208, im, is, 0.890);
        // timm's default tf_efficientnetv2_b3 weights are in21k_ft_in1k (Inception mean/std)
        addBase(registry, "tf_efficientnetv2_b3", 1.2, 1.4, 240, INCEPTION_MEAN, INCEPTION_STD, 0.9);
        add(registry, "tf_efficientnetv2_s", new Arch(ARCH_S, 1.0, 1.0, 0.9, 24, 1280, true, BN_EPS_TF),
                300, INCEPTION_MEAN, INCEPTION_STD, 1.0);
        add(registry, "tf_efficientnetv2_m", new Arch(ARCH_M, 1.0, 1.0, 0.9, 24, 1280, true, BN_EPS_TF),
                384, INCEPTION_MEAN, INCEPTION_STD, 1.0);
        add(registry, "efficientnetv2_rw_t", new Arch(ARCH_S, 0.8, 0.9, 0.9, 24, 1280, false, 1e-5), 224, im, is, 1.0);
        add(registry, "efficientnetv2_rw_s", new Arch(ARCH_RW_S, 1.0, 1.0, 0.9, 24, 1792, false, 1e-5), 288, im, is, 1.0);
    }

    private static void addBase(Map<String, ModelSpec> registry, String name, double cm, double dm, int size,
                                double[] mean, double[] std, double crop) {
        add(registry, name, new Arch(ARCH_BASE, cm, dm, 0.0, 32, 1280, true, BN_EPS_TF), size, mean, std, crop);
    }

    private static void add(Map<String, ModelSpec> registry, String name, Arch arch, int size, double[] mean,
                            double[] std, double crop) {
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec(name, FAMILY, size, mean, std, crop, "bicubic", o -> new EfficientNetV2(self[0], arch, o));
        registry.put(name, self[0]);
    }

    /** Builds {@code arch} under a generic spec named {@code efficientnetv2_custom} (ImageNet mean/std, 224 px). */
    public static EfficientNetV2 create(Arch arch, ModelOptions options) {
        ModelSpec spec = new ModelSpec(FAMILY + "_custom", FAMILY, 224, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD,
                0.875, "bicubic", null);
        return create(spec, arch, options);
    }

    /** Builds {@code arch} under {@code spec}; the caller owns (and closes) the model. */
    public static EfficientNetV2 create(ModelSpec spec, Arch arch, ModelOptions options) {
        return new EfficientNetV2(spec, arch, options);
    }

    private final Arch arch;
    private final Layer convStem;
    private final BatchNorm2d bn1;
    private final Sequential blocks;
    private final Layer convHead;
    private final BatchNorm2d bn2;
    private final int numFeatures;
    private final double dropRate;
    private Linear classifier;

    private EfficientNetV2(ModelSpec spec, Arch arch, ModelOptions o) {
        super(spec);
        this.arch = arch;
        this.dropRate = o.dropRate();
        List<List<BlockArgs>> stages = decode(arch.stages(), arch.depthMultiplier());
        int stem = arch.roundChannels(arch.stemSize());
        convStem = registerChild("conv_stem", conv(arch, 3, stem, 3, 2, 1, false));
        bn1 = registerChild("bn1", norm(arch, stem));
        int total = 0;
        for (List<BlockArgs> s : stages) {
            total += s.size();
        }
        blocks = registerChild("blocks", new Sequential());
        int in = stem;
        int index = 0;
        for (List<BlockArgs> stageArgs : stages) {
            Sequential stage = new Sequential();
            for (int j = 0; j < stageArgs.size(); j++) {
                BlockArgs b = stageArgs.get(j);
                int stride = j == 0 ? b.stride() : 1;
                int out = arch.roundChannels(b.outChs());
                double dropPath = o.dropPathRate() * index / total;
                stage.add(switch (b.type()) {
                    case "cn" -> new ConvBnAct(arch, b, in, out, stride, dropPath);
                    case "ds", "dsa" -> new DepthwiseSeparable(arch, b, in, out, stride, dropPath);
                    case "er" -> new EdgeResidual(arch, b, in, out, stride, dropPath);
                    case "ir" -> new InvertedResidual(arch, b, in, out, stride, dropPath);
                    default -> throw new IllegalStateException(b.type());
                });
                in = out;
                index++;
            }
            blocks.add(stage);
        }
        numFeatures = arch.roundChannels(arch.numFeatures());
        convHead = registerChild("conv_head", conv(arch, in, numFeatures, 1, 1, 1, false));
        bn2 = registerChild("bn2", norm(arch, numFeatures));
        classifier = registerChild("classifier", classifier(numFeatures, o.numClasses()));
    }

    /** The architecture this model was built from. */
    public Arch arch() {
        return arch;
    }

    /** Channels of the feature map that {@link #forwardFeatures} returns. */
    public int numFeatures() {
        return numFeatures;
    }

    @Override
    public int numClasses() {
        return (int) classifier.outFeatures();
    }

    @Override
    public String classifierName() {
        return "classifier";
    }

    @Override
    public Tensor forwardFeatures(Tensor x) {
        checkOpen();
        Tensor y = Ops.silu(bn1.forward(convStem.forward(x)));
        y = blocks.forward(y);
        return Ops.silu(bn2.forward(convHead.forward(y)));
    }

    @Override
    public Tensor forwardHead(Tensor features) {
        Tensor pooled = Ops.globalAvgPool(features);
        return classifier.forward(Ops.dropout(pooled, dropRate, isTraining()));
    }

    @Override
    public void resetClassifier(int numClasses) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
        }
        Linear old = classifier;
        classifier = classifier(numFeatures, numClasses);
        replaceChild("classifier", classifier);
        old.close();
    }

    // ---- architecture decoding (timm's _decode_block_str, _scale_stage_depth, make_divisible) ----

    /** timm's {@code make_divisible(v, divisor, None, roundLimit)}. */
    static int makeDivisible(double v, int divisor, double roundLimit) {
        int nv = Math.max(divisor, (int) (long) (v + divisor / 2.0) / divisor * divisor);
        if (nv < roundLimit * v) {
            nv += divisor;
        }
        return nv;
    }

    /** Python's round(): half to even. */
    private static int pyRound(double v) {
        return (int) Math.rint(v);
    }

    /**
     * One decoded block definition (timm's block args before the builder fills in channels).
     * {@code act} is null for the model default (SiLU).
     */
    record BlockArgs(String source, String type, int kernel, int stride, double expRatio, int outChs, double seRatio,
                     boolean noskip, boolean skip, Act act, int expKernel, int pwKernel, int forceInChs) {}

    /** Decodes and depth-scales every stage, as timm's {@code decode_arch_def(arch, depthMultiplier, 'ceil')}. */
    static List<List<BlockArgs>> decode(List<List<String>> stages, double depthMultiplier) {
        List<List<BlockArgs>> out = new ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            List<BlockArgs> args = new ArrayList<>();
            List<Integer> repeats = new ArrayList<>();
            for (String str : stages.get(s)) {
                int[] repeat = new int[1];
                args.add(decodeBlock(s, str, repeat));
                repeats.add(repeat[0]);
            }
            // timm's _scale_stage_depth with depth_trunc='ceil'; allocation in reverse
            int numRepeat = repeats.stream().mapToInt(Integer::intValue).sum();
            int scaled = (int) Math.ceil(numRepeat * depthMultiplier);
            int[] per = new int[repeats.size()];
            for (int i = repeats.size() - 1; i >= 0; i--) {
                int r = repeats.get(i);
                int rs = Math.max(1, pyRound((double) r / numRepeat * scaled));
                per[i] = rs;
                numRepeat -= r;
                scaled -= rs;
            }
            List<BlockArgs> stage = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                for (int k = 0; k < per[i]; k++) {
                    stage.add(args.get(i));
                }
            }
            out.add(stage);
        }
        return out;
    }

    private static BlockArgs decodeBlock(int stage, String str, int[] repeatOut) {
        String where = "efficientnet arch stage " + stage + " block '" + str + "'";
        String[] ops = str.split("_");
        String type = ops[0];
        if (!List.of("cn", "ds", "dsa", "er", "ir").contains(type)) {
            throw new IllegalArgumentException(where + ": block type '" + type + "' (expected: cn, ds, dsa, er or ir)");
        }
        Boolean skip = null;
        Act act = null;
        Map<String, String> opts = new java.util.HashMap<>();
        for (int i = 1; i < ops.length; i++) {
            String op = ops[i];
            if (op.equals("noskip")) {
                skip = false;
            } else if (op.equals("skip")) {
                skip = true;
            } else if (op.startsWith("n")) {
                act = switch (op.substring(1)) {
                    case "re" -> Act.RELU;
                    case "sw" -> Act.SILU;
                    default -> throw new IllegalArgumentException(where + ": activation '" + op + "' (expected: nre or nsw)");
                };
            } else {
                int d = 0;
                while (d < op.length() && !Character.isDigit(op.charAt(d))) {
                    d++;
                }
                String key = op.substring(0, d);
                if (d == op.length() || !List.of("r", "k", "s", "e", "c", "se", "a", "p", "fc").contains(key)) {
                    throw new IllegalArgumentException(where + ": option '" + op
                            + "' (expected: r, k, s, e, c, se, a, p, fc with a number; skip, noskip, nre, nsw)");
                }
                opts.put(key, op.substring(d));
            }
        }
        for (String required : List.of("r", "k", "s", "c")) {
            if (!opts.containsKey(required)) {
                throw new IllegalArgumentException(where + ": missing option '" + required + "'");
            }
        }
        if ((type.equals("er") || type.equals("ir")) && !opts.containsKey("e")) {
            throw new IllegalArgumentException(where + ": missing option 'e' (expansion ratio)");
        }
        try {
            repeatOut[0] = Integer.parseInt(opts.get("r"));
            int kernel = Integer.parseInt(opts.get("k"));
            int stride = Integer.parseInt(opts.get("s"));
            int out = Integer.parseInt(opts.get("c"));
            double exp = opts.containsKey("e") && !type.startsWith("ds") ? Double.parseDouble(opts.get("e")) : 1.0;
            double se = type.equals("cn") ? 0 : Double.parseDouble(opts.getOrDefault("se", "0"));
            int expKernel = type.equals("ir") ? Integer.parseInt(opts.getOrDefault("a", "1")) : kernel;
            int pwKernel = Integer.parseInt(opts.getOrDefault("p", "1"));
            int forceIn = type.equals("er") ? Integer.parseInt(opts.getOrDefault("fc", "0")) : 0;
            if (repeatOut[0] < 1 || kernel < 1 || out < 1 || exp <= 0 || se < 0) {
                throw new IllegalArgumentException(where + ": r, k, c, e must be positive and se >= 0");
            }
            if (stride != 1 && stride != 2) {
                throw new IllegalArgumentException(where + ": stride " + stride + " (expected: 1 or 2)");
            }
            boolean noskip = type.equals("dsa") || Boolean.FALSE.equals(skip);
            return new BlockArgs(str, type, kernel, stride, exp, out, se, noskip, Boolean.TRUE.equals(skip), act,
                    expKernel, pwKernel, forceIn);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage() + " (expected: numeric option values; "
                    + "mixed kernels like k3.5 are not supported)", e);
        }
    }

    // ---- layers ----

    /** A convolution with the arch's padding, initialised as timm's _init_weight_goog. */
    private static Layer conv(Arch arch, int in, int out, int kernel, int stride, int groups, boolean bias) {
        Layer c;
        if (arch.tfSamePadding() && !Conv2dSame.isStatic(kernel, stride, 1)) {
            c = new Conv2dSame(in, out, kernel, stride, 1, groups, bias);
        } else {
            int pad = arch.tfSamePadding() ? (kernel - 1) / 2 : ((stride - 1) + (kernel - 1)) / 2;
            c = new Conv2d(in, out, kernel, stride, pad, 1, groups, bias);
        }
        long fanOut = (long) kernel * kernel * out / groups;
        try (NoGradGuard ng = new NoGradGuard()) {
            c.namedParameters().get("weight").normal_(0.0, Math.sqrt(2.0 / fanOut), new GeneratorOptional());
        }
        return c;
    }

    private static BatchNorm2d norm(Arch arch, int channels) {
        return new BatchNorm2d(channels, BN_MOMENTUM, arch.bnEps());
    }

    /** Linear head initialised as timm's _init_weight_goog: uniform(+-1/sqrt(out)), zero bias. */
    private static Linear classifier(int in, int classes) {
        Linear l = new Linear(in, classes);
        double range = 1.0 / Math.sqrt(classes);
        try (NoGradGuard ng = new NoGradGuard()) {
            l.namedParameters().get("weight").uniform_(-range, range, new GeneratorOptional());
            l.namedParameters().get("bias").zero_();
        }
        return l;
    }

    /** Block activations that timm's block strings can select ({@code nre}, {@code nsw}). */
    enum Act {
        SILU, RELU;

        Tensor apply(Tensor x) {
            return this == RELU ? Ops.relu(x) : Ops.silu(x);
        }
    }

    private static Tensor act(Act a, Tensor x) {
        return a.apply(x);
    }

    private static Act actOf(BlockArgs b) {
        return b.act() == null ? Act.SILU : b.act();
    }

    /** timm's SqueezeExcite: mean over H, W, conv_reduce, block activation, conv_expand, sigmoid gate. */
    static final class SqueezeExcite extends Layer {
        private final Layer convReduce;
        private final Layer convExpand;
        private final Act act;

        SqueezeExcite(int channels, double rdRatio, Act act) {
            int rd = pyRound(channels * rdRatio);
            if (rd < 1) {
                throw new IllegalArgumentException("squeeze-excite of " + channels + " channels with ratio " + rdRatio
                        + " has no reduced channels (expected: channels * ratio >= 0.5)");
            }
            convReduce = registerChild("conv_reduce", seConv(channels, rd));
            convExpand = registerChild("conv_expand", seConv(rd, channels));
            this.act = act;
        }

        private static Layer seConv(int in, int out) {
            Conv2d c = new Conv2d(in, out, 1, 1, 0, true);
            try (NoGradGuard ng = new NoGradGuard()) {
                c.namedParameters().get("weight").normal_(0.0, Math.sqrt(2.0 / out), new GeneratorOptional());
            }
            return c;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor s = x.mean(new long[] {2, 3}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
            s = convExpand.forward(act(act, convReduce.forward(s)));
            return x.mul(Ops.sigmoid(s));
        }
    }

    private static SqueezeExcite se(BlockArgs b, int channels) {
        if (b.seRatio() <= 0) {
            return null;
        }
        // timm's builder (se_from_exp=False): ratio relative to the block input, applied to mid channels
        return new SqueezeExcite(channels, b.seRatio() / b.expRatio(), actOf(b));
    }

    private static Tensor residual(Tensor y, Tensor shortcut, double dropPath, boolean training) {
        return Ops.dropPath(y, dropPath, training).add(shortcut);
    }

    /** timm's ConvBnAct ({@code cn}): conv, bn1 + act, optional skip. */
    static final class ConvBnAct extends Layer {
        private final Layer conv;
        private final BatchNorm2d bn1;
        private final Act act;
        private final boolean hasSkip;
        private final double dropPath;

        ConvBnAct(Arch arch, BlockArgs b, int in, int out, int stride, double dropPath) {
            conv = registerChild("conv", conv(arch, in, out, b.kernel(), stride, 1, false));
            bn1 = registerChild("bn1", norm(arch, out));
            act = actOf(b);
            hasSkip = b.skip() && stride == 1 && in == out;
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = act(act, bn1.forward(conv.forward(x)));
            return hasSkip ? residual(y, x, dropPath, isTraining()) : y;
        }
    }

    /** timm's DepthwiseSeparableConv ({@code ds}, {@code dsa}): conv_dw, bn1 + act, se, conv_pw, bn2 (+ act for dsa). */
    static final class DepthwiseSeparable extends Layer {
        private final Layer convDw;
        private final BatchNorm2d bn1;
        private final SqueezeExcite se;
        private final Layer convPw;
        private final BatchNorm2d bn2;
        private final Act act;
        private final boolean pwAct;
        private final boolean hasSkip;
        private final double dropPath;

        DepthwiseSeparable(Arch arch, BlockArgs b, int in, int out, int stride, double dropPath) {
            convDw = registerChild("conv_dw", conv(arch, in, in, b.kernel(), stride, in, false));
            bn1 = registerChild("bn1", norm(arch, in));
            SqueezeExcite s = se(b, in);
            se = s == null ? null : registerChild("se", s);
            convPw = registerChild("conv_pw", conv(arch, in, out, b.pwKernel(), 1, 1, false));
            bn2 = registerChild("bn2", norm(arch, out));
            act = actOf(b);
            pwAct = b.type().equals("dsa");
            hasSkip = stride == 1 && in == out && !b.noskip();
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = act(act, bn1.forward(convDw.forward(x)));
            if (se != null) {
                y = se.forward(y);
            }
            y = bn2.forward(convPw.forward(y));
            if (pwAct) {
                y = act(act, y);
            }
            return hasSkip ? residual(y, x, dropPath, isTraining()) : y;
        }
    }

    /** timm's EdgeResidual / fused MBConv ({@code er}): conv_exp, bn1 + act, se, conv_pwl, bn2. */
    static final class EdgeResidual extends Layer {
        private final Layer convExp;
        private final BatchNorm2d bn1;
        private final SqueezeExcite se;
        private final Layer convPwl;
        private final BatchNorm2d bn2;
        private final Act act;
        private final boolean hasSkip;
        private final double dropPath;

        EdgeResidual(Arch arch, BlockArgs b, int in, int out, int stride, double dropPath) {
            int base = b.forceInChs() > 0 ? arch.roundChannels(b.forceInChs()) : in;
            int mid = makeDivisible(base * b.expRatio(), 8, 0.9);
            convExp = registerChild("conv_exp", conv(arch, in, mid, b.expKernel(), stride, 1, false));
            bn1 = registerChild("bn1", norm(arch, mid));
            SqueezeExcite s = se(b, mid);
            se = s == null ? null : registerChild("se", s);
            convPwl = registerChild("conv_pwl", conv(arch, mid, out, b.pwKernel(), 1, 1, false));
            bn2 = registerChild("bn2", norm(arch, out));
            act = actOf(b);
            hasSkip = stride == 1 && in == out && !b.noskip();
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = act(act, bn1.forward(convExp.forward(x)));
            if (se != null) {
                y = se.forward(y);
            }
            y = bn2.forward(convPwl.forward(y));
            return hasSkip ? residual(y, x, dropPath, isTraining()) : y;
        }
    }

    /** timm's InvertedResidual / MBConv ({@code ir}): conv_pw, bn1 + act, conv_dw, bn2 + act, se, conv_pwl, bn3. */
    static final class InvertedResidual extends Layer {
        private final Layer convPw;
        private final BatchNorm2d bn1;
        private final Layer convDw;
        private final BatchNorm2d bn2;
        private final SqueezeExcite se;
        private final Layer convPwl;
        private final BatchNorm2d bn3;
        private final Act act;
        private final boolean hasSkip;
        private final double dropPath;

        InvertedResidual(Arch arch, BlockArgs b, int in, int out, int stride, double dropPath) {
            int mid = makeDivisible(in * b.expRatio(), 8, 0.9);
            convPw = registerChild("conv_pw", conv(arch, in, mid, b.expKernel(), 1, 1, false));
            bn1 = registerChild("bn1", norm(arch, mid));
            convDw = registerChild("conv_dw", conv(arch, mid, mid, b.kernel(), stride, mid, false));
            bn2 = registerChild("bn2", norm(arch, mid));
            SqueezeExcite s = se(b, mid);
            se = s == null ? null : registerChild("se", s);
            convPwl = registerChild("conv_pwl", conv(arch, mid, out, b.pwKernel(), 1, 1, false));
            bn3 = registerChild("bn3", norm(arch, out));
            act = actOf(b);
            hasSkip = stride == 1 && in == out && !b.noskip();
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            checkOpen();
            Tensor y = act(act, bn1.forward(convPw.forward(x)));
            y = act(act, bn2.forward(convDw.forward(y)));
            if (se != null) {
                y = se.forward(y);
            }
            y = bn3.forward(convPwl.forward(y));
            return hasSkip ? residual(y, x, dropPath, isTraining()) : y;
        }
    }

    /**
     * The outputs of the last block stage at each of strides 8, 16 and 32 (the stem has stride 2;
     * {@code conv_head} is not applied).
     */
    @Override
    public Tensor[] forwardPyramid(Tensor x) {
        checkOpen();
        int[] last = pyramidStages();
        Tensor y = Ops.silu(bn1.forward(convStem.forward(x)));
        Tensor[] out = new Tensor[3];
        for (int s = 0; s <= last[2]; s++) {
            y = blocks.children().get(Integer.toString(s)).forward(y);
            for (int k = 0; k < 3; k++) {
                if (last[k] == s) {
                    out[k] = y;
                }
            }
        }
        return out;
    }

    @Override
    public int[] pyramidChannels() {
        List<List<BlockArgs>> stages = decode(arch.stages(), arch.depthMultiplier());
        int[] last = pyramidStages();
        int[] out = new int[3];
        for (int k = 0; k < 3; k++) {
            out[k] = arch.roundChannels(stages.get(last[k]).get(0).outChs());
        }
        return out;
    }

    /** Index of the last block stage at strides 8, 16 and 32. */
    private int[] pyramidStages() {
        List<List<BlockArgs>> stages = decode(arch.stages(), arch.depthMultiplier());
        int[] last = {-1, -1, -1};
        int stride = 2;
        for (int s = 0; s < stages.size(); s++) {
            stride *= stages.get(s).get(0).stride();
            int k = stride == 8 ? 0 : stride == 16 ? 1 : stride == 32 ? 2 : -1;
            if (k >= 0) {
                last[k] = s;
            }
        }
        if (last[0] < 0 || last[1] < 0 || last[2] < 0) {
            throw new UnsupportedOperationException(spec().name() + ": no stages at strides 8/16/32");
        }
        return last;
    }
}
