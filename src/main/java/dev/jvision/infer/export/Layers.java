package dev.jvision.infer.export;

import dev.jvision.nn.BatchNorm2d;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Conv2dSame;
import dev.jvision.nn.Layer;
import dev.jvision.nn.LayerNorm;
import dev.jvision.runtime.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * Writes jvision's {@code nn} layers into an {@link OnnxGraph} from their own definitions
 * (weights by their state names, geometry from the layer's accessors): convolutions (symmetric
 * or TensorFlow "SAME" padding, the latter fixed for the exported input size), eval-mode
 * BatchNorm folded into the preceding convolution in float64 or emitted as
 * {@code BatchNormalization}, linear layers, layer norms (channels-last and channels-first).
 * Values that carry a spatial map track its {@link Map2d} size, because ONNX's pads are static
 * while the batch dimension stays symbolic. Not thread-safe.
 */
final class Layers {
    /** A value of the graph with the static height and width of its NCHW or NHWC map. */
    record Map2d(String name, long height, long width) {
        Map2d with(String n) {
            return new Map2d(n, height, width);
        }
    }

    final OnnxGraph g;
    private final boolean foldBatchNorm;

    Layers(OnnxGraph g, boolean foldBatchNorm) {
        this.g = g;
        this.foldBatchNorm = foldBatchNorm;
    }

    static Layer child(Layer parent, String name) {
        Layer c = parent.children().get(name);
        if (c == null) {
            throw new IllegalStateException(parent.getClass().getSimpleName() + " has no child '" + name + "' (children: "
                    + parent.children().keySet() + ")");
        }
        return c;
    }

    static Layer childOrNull(Layer parent, String name) {
        return parent.children().get(name);
    }

    /** The children of a {@code Sequential} in order. */
    static List<Layer> sequence(Layer seq) {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; seq.children().containsKey(Integer.toString(i)); i++) {
            out.add(seq.children().get(Integer.toString(i)));
        }
        return out;
    }

    static float[] values(Layer l, String name) {
        Tensor t = l.namedParameters().get(name);
        if (t == null) {
            t = l.namedBuffers().get(name);
        }
        if (t == null) {
            throw new IllegalStateException(l.getClass().getSimpleName() + " has no tensor '" + name + "'");
        }
        return Tensors.toFloats(t);
    }

    static long[] shape(Layer l, String name) {
        Tensor t = l.namedParameters().get(name);
        return Tensors.shape(t != null ? t : l.namedBuffers().get(name));
    }

    String param(Layer l, String name, String hint) {
        return g.floats(hint, values(l, name), shape(l, name));
    }

    /** A convolution ({@link Conv2d} or {@link Conv2dSame}), optionally followed by {@code bn}. */
    Map2d conv(Map2d x, Layer conv, BatchNorm2d bn, String hint) {
        long[] w = shape(conv, "weight");
        long out = w[0];
        long kh = w[2];
        long kw = w[3];
        long[] stride;
        long[] dil;
        long groups;
        long[] pads;
        if (conv instanceof Conv2d c) {
            stride = c.stride();
            dil = c.dilation();
            groups = c.groups();
            long[] p = c.padding();
            pads = new long[] {p[0], p[1], p[0], p[1]};
        } else if (conv instanceof Conv2dSame c) {
            stride = new long[] {c.stride(), c.stride()};
            dil = new long[] {c.dilation(), c.dilation()};
            groups = c.groups();
            long ph = Conv2dSame.samePadding(x.height(), c.kernel(), c.stride(), c.dilation());
            long pw = Conv2dSame.samePadding(x.width(), c.kernel(), c.stride(), c.dilation());
            pads = new long[] {ph / 2, pw / 2, ph - ph / 2, pw - pw / 2};
        } else {
            throw new IllegalStateException("not a convolution: " + conv.getClass().getName());
        }
        float[] weight = values(conv, "weight");
        float[] bias = conv.namedParameters().containsKey("bias") ? values(conv, "bias") : null;
        boolean fold = bn != null && foldBatchNorm;
        if (fold) {
            float[][] wb = fold(weight, bias, bn, out);
            weight = wb[0];
            bias = wb[1];
        }
        List<String> in = new ArrayList<>(List.of(x.name(), g.floats(hint + ".weight", weight, w)));
        if (bias != null) {
            in.add(g.floats(hint + ".bias", bias, out));
        }
        String y = g.node("Conv", in, OnnxGraph.attrs("kernel_shape", new long[] {kh, kw}, "strides", stride,
                "pads", pads, "dilations", dil, "group", groups));
        if (bn != null && !fold) {
            y = g.node("BatchNormalization", List.of(y, param(bn, "weight", hint + ".bn.weight"),
                    param(bn, "bias", hint + ".bn.bias"), param(bn, "running_mean", hint + ".bn.running_mean"),
                    param(bn, "running_var", hint + ".bn.running_var")), OnnxGraph.attrs("epsilon", bn.eps()));
        }
        long oh = (x.height() + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) / stride[0] + 1;
        long ow = (x.width() + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) / stride[1] + 1;
        return new Map2d(y, oh, ow);
    }

    /** Folds eval-mode BatchNorm into conv weights and bias, in float64: {@code w * s, (b - mean) * s + beta}. */
    static float[][] fold(float[] weight, float[] bias, BatchNorm2d bn, long out) {
        float[] gamma = values(bn, "weight");
        float[] beta = values(bn, "bias");
        float[] mean = values(bn, "running_mean");
        float[] var = values(bn, "running_var");
        int per = (int) (weight.length / out);
        float[] w = new float[weight.length];
        float[] b = new float[(int) out];
        for (int o = 0; o < out; o++) {
            double s = gamma[o] / Math.sqrt((double) var[o] + bn.eps());
            for (int i = 0; i < per; i++) {
                w[o * per + i] = (float) (weight[o * per + i] * s);
            }
            double b0 = bias == null ? 0 : bias[o];
            b[o] = (float) ((b0 - mean[o]) * s + beta[o]);
        }
        return new float[][] {w, b};
    }

    /** A linear layer: Gemm on 2-d input, else MatMul with the transposed weight and Add. */
    String linear(String x, Layer linear, boolean twoD, String hint) {
        long[] s = shape(linear, "weight");
        float[] w = values(linear, "weight");
        boolean hasBias = linear.namedParameters().containsKey("bias");
        if (twoD && hasBias) {
            return g.gemm(x, g.floats(hint + ".weight", w, s), param(linear, "bias", hint + ".bias"));
        }
        float[] t = new float[w.length];
        int out = (int) s[0];
        int in = (int) s[1];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = w[o * in + i];
            }
        }
        String y = g.matmul(x, g.floats(hint + ".weight_t", t, in, out));
        return hasBias ? g.add(y, param(linear, "bias", hint + ".bias")) : y;
    }

    /** A {@link LayerNorm}: over the last axis, or over channels of NCHW input (transposed around). */
    String layerNorm(String x, LayerNorm ln, String hint) {
        String scale = param(ln, "weight", hint + ".weight");
        String bias = param(ln, "bias", hint + ".bias");
        if (!ln.channelsFirst()) {
            return g.layerNorm(x, scale, bias, ln.eps());
        }
        String nhwc = g.transpose(x, 0, 2, 3, 1);
        return g.transpose(g.layerNorm(nhwc, scale, bias, ln.eps()), 0, 3, 1, 2);
    }

    /** Global average pooling of NCHW to [N, C]. */
    String globalAvgPool(String x) {
        return g.node("Flatten", List.of(g.node("GlobalAveragePool", x)), OnnxGraph.attrs("axis", 1L));
    }
}
