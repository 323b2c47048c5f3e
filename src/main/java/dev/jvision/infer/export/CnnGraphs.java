package dev.jvision.infer.export;

import static dev.jvision.infer.export.Layers.child;
import static dev.jvision.infer.export.Layers.childOrNull;
import static dev.jvision.infer.export.Layers.sequence;

import dev.jvision.infer.export.Layers.Map2d;
import dev.jvision.models.EfficientNetV2;
import dev.jvision.models.ImageModel;
import dev.jvision.nn.BatchNorm2d;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Layer;
import dev.jvision.nn.LayerNorm;
import java.util.List;

/**
 * The graphs of the convolutional families, written from each model's layer tree in the order
 * of its {@code forward}: ResNet (timm's BasicBlock/Bottleneck), ConvNeXt (with and without
 * {@code conv_mlp}, optional layer scale and head MLP) and EfficientNetV2 (ConvBnAct,
 * depthwise-separable, fused and plain MBConv blocks with squeeze-excite). Eval mode: dropout
 * and drop-path are identities. Stateless.
 */
final class CnnGraphs {
    private CnnGraphs() {}

    /**
     * ResNet: stem conv/bn/relu, 3x3 stride-2 max pool (not after the small-input stem of the
     * {@code *_cifar} variants), four stages, average pool, {@code fc}.
     */
    static String resnet(Layers l, ImageModel m, Map2d x) {
        boolean pool = ((dev.jvision.models.ResNet) m).stem() == dev.jvision.models.ResNet.Stem.IMAGENET;
        Map2d[] stages = resnetStages(l, m, x, pool);
        return l.linear(l.globalAvgPool(stages[3].name()), child(m, "fc"), true, "fc");
    }

    /** ResNet's {@code layer2..4} outputs (strides 8, 16, 32), as {@code ResNet.forwardPyramid}: always max-pooled. */
    static Map2d[] resnetPyramid(Layers l, ImageModel m, Map2d x) {
        Map2d[] s = resnetStages(l, m, x, true);
        return new Map2d[] {s[1], s[2], s[3]};
    }

    /** The outputs of {@code layer1..4} after the stem (and the stem's max pool when {@code maxPool}). */
    private static Map2d[] resnetStages(Layers l, ImageModel m, Map2d x, boolean maxPool) {
        OnnxGraph g = l.g;
        Map2d y = l.conv(x, child(m, "conv1"), (BatchNorm2d) child(m, "bn1"), "conv1");
        y = y.with(g.relu(y.name()));
        if (maxPool) {
            String pooled = g.node("MaxPool", List.of(y.name()), OnnxGraph.attrs("kernel_shape", new long[] {3, 3},
                    "strides", new long[] {2, 2}, "pads", new long[] {1, 1, 1, 1}));
            y = new Map2d(pooled, (y.height() + 2 - 3) / 2 + 1, (y.width() + 2 - 3) / 2 + 1);
        }
        Map2d[] out = new Map2d[4];
        for (int s = 1; s <= 4; s++) {
            List<Layer> blocks = sequence(child(m, "layer" + s));
            for (int b = 0; b < blocks.size(); b++) {
                y = resnetBlock(l, blocks.get(b), y, "layer" + s + "." + b);
            }
            out[s - 1] = y;
        }
        return out;
    }

    private static Map2d resnetBlock(Layers l, Layer block, Map2d x, String name) {
        OnnxGraph g = l.g;
        boolean bottleneck = block.children().containsKey("conv3");
        Map2d y = l.conv(x, child(block, "conv1"), (BatchNorm2d) child(block, "bn1"), name + ".conv1");
        y = y.with(g.relu(y.name()));
        y = l.conv(y, child(block, "conv2"), (BatchNorm2d) child(block, "bn2"), name + ".conv2");
        if (bottleneck) {
            y = y.with(g.relu(y.name()));
            y = l.conv(y, child(block, "conv3"), (BatchNorm2d) child(block, "bn3"), name + ".conv3");
        }
        Layer down = childOrNull(block, "downsample");
        String shortcut = x.name();
        if (down != null) {
            List<Layer> d = sequence(down);
            shortcut = l.conv(x, d.get(0), (BatchNorm2d) d.get(1), name + ".downsample").name();
        }
        return y.with(g.relu(g.add(y.name(), shortcut)));
    }

    /**
     * QuickNet: 2x2 stem conv, GELU; per stage, blocks of conv3x3 -> [2x2 max pool in the first
     * block] -> BatchNorm -> GELU; global max pool, {@code fc}, logits times
     * {@link dev.jvision.models.QuickNet#LOGIT_SCALE}. BatchNorm after a max pool is emitted as a
     * node, never folded into the conv: a negative scale does not commute with the max.
     */
    static String quicknet(Layers l, ImageModel m, Map2d x) {
        OnnxGraph g = l.g;
        Map2d y = l.conv(x, child(m, "stem"), null, "stem");
        y = y.with(g.gelu(y.name()));
        List<Layer> stages = sequence(child(m, "stages"));
        for (int s = 0; s < stages.size(); s++) {
            List<Layer> blocks = sequence(child(stages.get(s), "blocks"));
            for (int b = 0; b < blocks.size(); b++) {
                String name = "stages." + s + ".blocks." + b;
                BatchNorm2d bn = (BatchNorm2d) child(blocks.get(b), "bn");
                if (b == 0) { // the first block of a stage pools between its conv and its norm
                    y = l.conv(y, child(blocks.get(b), "conv"), null, name + ".conv");
                    String pooled = g.node("MaxPool", List.of(y.name()), OnnxGraph.attrs("kernel_shape",
                            new long[] {2, 2}, "strides", new long[] {2, 2}, "pads", new long[] {0, 0, 0, 0}));
                    String normed = g.node("BatchNormalization", List.of(pooled, l.param(bn, "weight", name + ".bn.weight"),
                            l.param(bn, "bias", name + ".bn.bias"), l.param(bn, "running_mean", name + ".bn.running_mean"),
                            l.param(bn, "running_var", name + ".bn.running_var")), OnnxGraph.attrs("epsilon", bn.eps()));
                    y = new Map2d(normed, y.height() / 2, y.width() / 2);
                } else {
                    y = l.conv(y, child(blocks.get(b), "conv"), bn, name + ".conv");
                }
                y = y.with(g.gelu(y.name()));
            }
        }
        String pooled = g.node("Flatten", List.of(g.node("GlobalMaxPool", y.name())), OnnxGraph.attrs("axis", 1L));
        String logits = l.linear(pooled, child(m, "fc"), true, "fc");
        return g.mul(logits, g.scalar((float) dev.jvision.models.QuickNet.LOGIT_SCALE));
    }

    /** ConvNeXt: patch stem, stages (LayerNorm2d + 2x2 conv downsample, blocks), pooled head. */
    static String convnext(Layers l, ImageModel m, Map2d x) {
        OnnxGraph g = l.g;
        Map2d[] stages = convnextStages(l, m, x);
        Layer head = child(m, "head");
        String h = l.globalAvgPool(stages[stages.length - 1].name());
        h = l.layerNorm(h, (LayerNorm) child(head, "norm"), "head.norm");
        Layer pre = childOrNull(head, "pre_logits");
        if (pre != null) {
            h = g.gelu(l.linear(h, child(pre, "fc"), true, "head.pre_logits.fc"));
        }
        return l.linear(h, child(head, "fc"), true, "head.fc");
    }

    /** ConvNeXt's {@code stages.1..3} outputs (strides 8, 16, 32), as {@code ConvNeXt.forwardPyramid}. */
    static Map2d[] convnextPyramid(Layers l, ImageModel m, Map2d x) {
        Map2d[] s = convnextStages(l, m, x);
        return new Map2d[] {s[1], s[2], s[3]};
    }

    private static Map2d[] convnextStages(Layers l, ImageModel m, Map2d x) {
        List<Layer> stem = sequence(child(m, "stem"));
        Map2d y = l.conv(x, stem.get(0), null, "stem.0");
        y = y.with(l.layerNorm(y.name(), (LayerNorm) stem.get(1), "stem.1"));
        List<Layer> stages = sequence(child(m, "stages"));
        Map2d[] out = new Map2d[stages.size()];
        for (int s = 0; s < stages.size(); s++) {
            String sn = "stages." + s;
            Layer down = childOrNull(stages.get(s), "downsample");
            if (down != null) {
                List<Layer> d = sequence(down);
                y = y.with(l.layerNorm(y.name(), (LayerNorm) d.get(0), sn + ".downsample.0"));
                y = l.conv(y, d.get(1), null, sn + ".downsample.1");
            }
            List<Layer> blocks = sequence(child(stages.get(s), "blocks"));
            for (int b = 0; b < blocks.size(); b++) {
                y = convnextBlock(l, blocks.get(b), y, sn + ".blocks." + b);
            }
            out[s] = y;
        }
        return out;
    }

    private static Map2d convnextBlock(Layers l, Layer block, Map2d x, String name) {
        OnnxGraph g = l.g;
        Layer mlp = child(block, "mlp");
        boolean convMlp = child(mlp, "fc1") instanceof Conv2d;
        boolean hasGamma = block.namedParameters().containsKey("gamma");
        Map2d y = l.conv(x, child(block, "conv_dw"), null, name + ".conv_dw");
        LayerNorm norm = (LayerNorm) child(block, "norm");
        String out;
        if (convMlp) {
            String h = l.layerNorm(y.name(), norm, name + ".norm");
            h = g.gelu(l.conv(y.with(h), child(mlp, "fc1"), null, name + ".mlp.fc1").name());
            h = l.conv(y.with(h), child(mlp, "fc2"), null, name + ".mlp.fc2").name();
            if (hasGamma) {
                long c = Layers.shape(block, "gamma")[0];
                h = g.mul(h, g.floats(name + ".gamma", Layers.values(block, "gamma"), 1, c, 1, 1));
            }
            out = h;
        } else {
            String h = l.layerNorm(g.transpose(y.name(), 0, 2, 3, 1), norm, name + ".norm");
            h = g.gelu(l.linear(h, child(mlp, "fc1"), false, name + ".mlp.fc1"));
            h = l.linear(h, child(mlp, "fc2"), false, name + ".mlp.fc2");
            if (hasGamma) {
                h = g.mul(h, l.param(block, "gamma", name + ".gamma"));
            }
            out = g.transpose(h, 0, 3, 1, 2);
        }
        return x.with(g.add(out, x.name()));
    }

    /** EfficientNetV2: stem, block stages as defined by timm's block strings, head conv, pooled classifier. */
    static String efficientnetv2(Layers l, EfficientNetV2 m, Map2d x) {
        OnnxGraph g = l.g;
        List<Map2d> stages = effStages(l, m, x, Integer.MAX_VALUE);
        Map2d y = l.conv(stages.get(stages.size() - 1), child(m, "conv_head"), (BatchNorm2d) child(m, "bn2"), "conv_head");
        y = y.with(g.silu(y.name()));
        return l.linear(l.globalAvgPool(y.name()), child(m, "classifier"), true, "classifier");
    }

    /**
     * The outputs of the last block stage at strides 8, 16 and 32 (no {@code conv_head}), as
     * {@code EfficientNetV2.forwardPyramid}; the strides come from the stages' first blocks.
     */
    static Map2d[] efficientnetv2Pyramid(Layers l, EfficientNetV2 m, Map2d x) {
        List<List<String>> defs = m.blockDefinitions();
        List<Layer> stageLayers = sequence(child(m, "blocks"));
        int[] last = {-1, -1, -1};
        long stride = 2; // the stem
        for (int s = 0; s < stageLayers.size(); s++) {
            Layer first = sequence(stageLayers.get(s)).get(0);
            stride *= stride(first, defs.get(s).get(0).split("_")[0]);
            int k = stride == 8 ? 0 : stride == 16 ? 1 : stride == 32 ? 2 : -1;
            if (k >= 0) {
                last[k] = s;
            }
        }
        if (last[0] < 0 || last[1] < 0 || last[2] < 0) {
            throw new IllegalStateException(m.spec().name() + ": no stages at strides 8/16/32 (last stages " + java.util.Arrays
                    .toString(last) + ")");
        }
        List<Map2d> stages = effStages(l, m, x, last[2]);
        return new Map2d[] {stages.get(last[0]), stages.get(last[1]), stages.get(last[2])};
    }

    /** Stem and block stages {@code 0..lastStage} (all when larger); the output of each stage. */
    private static List<Map2d> effStages(Layers l, EfficientNetV2 m, Map2d x, int lastStage) {
        OnnxGraph g = l.g;
        Map2d y = l.conv(x, child(m, "conv_stem"), (BatchNorm2d) child(m, "bn1"), "conv_stem");
        y = y.with(g.silu(y.name()));
        List<List<String>> defs = m.blockDefinitions();
        List<Layer> stages = sequence(child(m, "blocks"));
        List<Map2d> out = new java.util.ArrayList<>();
        for (int s = 0; s < stages.size() && s <= lastStage; s++) {
            List<Layer> blocks = sequence(stages.get(s));
            for (int b = 0; b < blocks.size(); b++) {
                y = effBlock(l, blocks.get(b), defs.get(s).get(b), y, "blocks." + s + "." + b);
            }
            out.add(y);
        }
        return out;
    }

    private static Map2d effBlock(Layers l, Layer block, String def, Map2d x, String name) {
        OnnxGraph g = l.g;
        List<String> tokens = List.of(def.split("_"));
        String type = tokens.get(0);
        boolean relu = tokens.contains("nre");
        Map2d y;
        long in = inChannels(block, type);
        boolean residual;
        switch (type) {
            case "cn" -> {
                y = l.conv(x, child(block, "conv"), (BatchNorm2d) child(block, "bn1"), name + ".conv");
                y = act(g, y, relu);
                residual = tokens.contains("skip");
            }
            case "ds", "dsa" -> {
                y = l.conv(x, child(block, "conv_dw"), (BatchNorm2d) child(block, "bn1"), name + ".conv_dw");
                y = se(l, block, act(g, y, relu), relu, name);
                y = l.conv(y, child(block, "conv_pw"), (BatchNorm2d) child(block, "bn2"), name + ".conv_pw");
                if (type.equals("dsa")) {
                    y = act(g, y, relu);
                }
                residual = !tokens.contains("noskip") && type.equals("ds");
            }
            case "er" -> {
                y = l.conv(x, child(block, "conv_exp"), (BatchNorm2d) child(block, "bn1"), name + ".conv_exp");
                y = se(l, block, act(g, y, relu), relu, name);
                y = l.conv(y, child(block, "conv_pwl"), (BatchNorm2d) child(block, "bn2"), name + ".conv_pwl");
                residual = !tokens.contains("noskip");
            }
            case "ir" -> {
                y = l.conv(x, child(block, "conv_pw"), (BatchNorm2d) child(block, "bn1"), name + ".conv_pw");
                y = act(g, y, relu);
                y = l.conv(y, child(block, "conv_dw"), (BatchNorm2d) child(block, "bn2"), name + ".conv_dw");
                y = se(l, block, act(g, y, relu), relu, name);
                y = l.conv(y, child(block, "conv_pwl"), (BatchNorm2d) child(block, "bn3"), name + ".conv_pwl");
                residual = !tokens.contains("noskip");
            }
            default -> throw new IllegalStateException(name + ": block type '" + type + "'");
        }
        long out = outChannels(block, type);
        // timm: a residual only where the block keeps the map size and the channels
        if (residual && in == out && stride(block, type) == 1) {
            return y.with(g.add(y.name(), x.name()));
        }
        return y;
    }

    private static long inChannels(Layer block, String type) {
        return switch (type) {
            case "cn" -> Layers.shape(child(block, "conv"), "weight")[1];
            case "ds", "dsa" -> Layers.shape(child(block, "conv_dw"), "weight")[0];
            case "er" -> Layers.shape(child(block, "conv_exp"), "weight")[1];
            default -> Layers.shape(child(block, "conv_pw"), "weight")[1];
        };
    }

    private static long stride(Layer block, String type) {
        Layer c = child(block, switch (type) {
            case "cn" -> "conv";
            case "er" -> "conv_exp";
            default -> "conv_dw";
        });
        return c instanceof Conv2d c2 ? c2.stride()[0] : ((dev.jvision.nn.Conv2dSame) c).stride();
    }

    private static long outChannels(Layer block, String type) {
        return switch (type) {
            case "cn" -> Layers.shape(child(block, "conv"), "weight")[0];
            case "ds", "dsa" -> Layers.shape(child(block, "conv_pw"), "weight")[0];
            default -> Layers.shape(child(block, "conv_pwl"), "weight")[0];
        };
    }

    private static Map2d act(OnnxGraph g, Map2d y, boolean relu) {
        return y.with(relu ? g.relu(y.name()) : g.silu(y.name()));
    }

    /** timm's SqueezeExcite: mean over H, W, conv_reduce, activation, conv_expand, sigmoid gate. */
    private static Map2d se(Layers l, Layer block, Map2d x, boolean relu, String name) {
        Layer se = childOrNull(block, "se");
        if (se == null) {
            return x;
        }
        OnnxGraph g = l.g;
        Map2d s = new Map2d(g.reduceMean(x.name(), true, 2, 3), 1, 1);
        s = l.conv(s, child(se, "conv_reduce"), null, name + ".se.conv_reduce");
        s = act(g, s, relu);
        s = l.conv(s, child(se, "conv_expand"), null, name + ".se.conv_expand");
        return x.with(g.mul(x.name(), g.sigmoid(s.name())));
    }
}
