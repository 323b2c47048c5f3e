package dev.jvision.infer.export;

import static dev.jvision.infer.export.Layers.child;
import static dev.jvision.infer.export.Layers.childOrNull;
import static dev.jvision.infer.export.Layers.sequence;

import dev.jvision.infer.export.Layers.Map2d;
import dev.jvision.models.SwinTransformer;
import dev.jvision.nn.Layer;
import dev.jvision.nn.LayerNorm;
import dev.jvision.nn.WindowAttention;
import java.util.List;

/**
 * The graph of a {@link SwinTransformer}, in the order of its {@code forward}: patch embedding to
 * NHWC tokens, stages of (patch merging and) blocks with window attention, shifted by the cyclic
 * roll the blocks use (Slice + Concat), and the final norm and pooled head. What the blocks keep
 * out of their state dict is computed here from the model: the relative position bias is
 * gathered from the table at export time into a [1, heads, N, N] constant, and the shifted-window
 * mask (0 / -100) of the exported map size is a constant too. Windows and shifts are the ones
 * the model was built with; a map that is not a multiple of the window is zero-padded, as the
 * model does at other input sizes. Stateless.
 */
final class SwinGraph {
    private SwinGraph() {}

    static String logits(Layers l, SwinTransformer m, Map2d x) {
        OnnxGraph g = l.g;
        Layer pe = child(m, "patch_embed");
        Map2d y = l.conv(x, child(pe, "proj"), null, "patch_embed.proj");
        y = y.with(l.layerNorm(g.transpose(y.name(), 0, 2, 3, 1), (LayerNorm) child(pe, "norm"), "patch_embed.norm"));
        List<Layer> stages = sequence(child(m, "layers"));
        for (int s = 0; s < stages.size(); s++) {
            Layer down = childOrNull(stages.get(s), "downsample");
            if (down != null) {
                y = patchMerging(l, down, y, "layers." + s + ".downsample");
            }
            List<Layer> blocks = sequence(child(stages.get(s), "blocks"));
            for (int b = 0; b < blocks.size(); b++) {
                int[] ws = m.blockWindowAndShift(s, b);
                y = block(l, blocks.get(b), y, ws[0], ws[1], "layers." + s + ".blocks." + b);
            }
        }
        String h = l.layerNorm(y.name(), (LayerNorm) child(m, "norm"), "norm");
        h = g.reduceMean(h, false, 1, 2);
        return l.linear(h, child(child(m, "head"), "fc"), true, "head.fc");
    }

    private static long channels(Layer ln) {
        return Layers.shape(ln, "weight")[0];
    }

    /** 2x2 neighbours concatenated as timm orders them (odd sides zero-padded), norm, reduction. */
    private static Map2d patchMerging(Layers l, Layer pm, Map2d x, String name) {
        OnnxGraph g = l.g;
        long c = channels(child(pm, "norm")) / 4;
        long h = x.height();
        long w = x.width();
        String y = x.name();
        if (h % 2 != 0 || w % 2 != 0) {
            y = g.pad(y, 0, 0, 0, 0, 0, h % 2, w % 2, 0);
            h += h % 2;
            w += w % 2;
        }
        y = g.reshape(y, -1, h / 2, 2, w / 2, 2, c);
        y = g.reshape(g.transpose(y, 0, 1, 3, 4, 2, 5), -1, h / 2, w / 2, 4 * c);
        y = l.layerNorm(y, (LayerNorm) child(pm, "norm"), name + ".norm");
        y = l.linear(y, child(pm, "reduction"), false, name + ".reduction");
        return new Map2d(y, h / 2, w / 2);
    }

    private static Map2d block(Layers l, Layer block, Map2d x, int window, int shift, String name) {
        OnnxGraph g = l.g;
        String a = l.layerNorm(x.name(), (LayerNorm) child(block, "norm1"), name + ".norm1");
        a = attention(l, (WindowAttention) child(block, "attn"), x.with(a), window, shift, name + ".attn");
        String y = g.add(x.name(), a);
        Layer mlp = child(block, "mlp");
        String h = l.layerNorm(y, (LayerNorm) child(block, "norm2"), name + ".norm2");
        h = g.gelu(l.linear(h, child(mlp, "fc1"), false, name + ".mlp.fc1"));
        h = l.linear(h, child(mlp, "fc2"), false, name + ".mlp.fc2");
        return x.with(g.add(y, h));
    }

    /** {@code torch.roll(x, shift, dims 1 and 2)} of an NHWC map: a cyclic shift as Slice + Concat. */
    private static String roll(OnnxGraph g, String x, long h, long w, long shift) {
        String y = x;
        long[] sizes = {h, w};
        for (int axis = 1; axis <= 2; axis++) {
            long n = sizes[axis - 1];
            long k = Math.floorMod(-shift, n); // out[i] = x[(i + k) mod n]
            if (k == 0) {
                continue;
            }
            String head = g.slice(y, new long[] {k}, new long[] {n}, new long[] {axis});
            String tail = g.slice(y, new long[] {0}, new long[] {k}, new long[] {axis});
            y = g.concat(axis, head, tail);
        }
        return y;
    }

    private static String attention(Layers l, WindowAttention attn, Map2d x, int window, int shift, String name) {
        OnnxGraph g = l.g;
        long h = x.height();
        long w = x.width();
        Layer qkv = child(attn, "qkv");
        long c = Layers.shape(qkv, "weight")[1];
        long heads = attn.numHeads();
        long n = (long) window * window;
        String y = shift != 0 ? roll(g, x.name(), h, w, -shift) : x.name();
        long padH = (window - h % window) % window;
        long padW = (window - w % window) % window;
        if (padH != 0 || padW != 0) {
            y = g.pad(y, 0, 0, 0, 0, 0, padH, padW, 0);
        }
        long hp = h + padH;
        long wp = w + padW;
        long nwh = hp / window;
        long nww = wp / window;
        y = g.reshape(y, -1, nwh, window, nww, window, c);
        y = g.reshape(g.transpose(y, 0, 1, 3, 2, 4, 5), -1, n, c);
        // [B_, N, 3C] -> [3, B_, heads, N, hd]
        String t = l.linear(y, qkv, false, name + ".qkv");
        t = g.transpose(g.reshape(t, -1, n, 3, heads, c / heads), 2, 0, 3, 1, 4);
        String q = g.node("Gather", List.of(t, g.ints(0)), OnnxGraph.attrs("axis", 0L));
        String k = g.node("Gather", List.of(t, g.ints(1)), OnnxGraph.attrs("axis", 0L));
        String v = g.node("Gather", List.of(t, g.ints(2)), OnnxGraph.attrs("axis", 0L));
        q = g.reshape(q, -1, heads, n, c / heads);
        k = g.reshape(k, -1, heads, n, c / heads);
        v = g.reshape(v, -1, heads, n, c / heads);
        String s = g.matmul(g.mul(q, g.scalar((float) attn.scale())), g.transpose(k, 0, 1, 3, 2));
        s = g.add(s, g.floats(name + ".relative_position_bias", relativeBias(attn, n, heads), 1, heads, n, n));
        if (shift != 0) {
            long nw = nwh * nww;
            float[] mask = SwinTransformer.shiftedWindowMask((int) hp, (int) wp, window, shift);
            s = g.add(g.reshape(s, -1, nw, heads, n, n), g.floats(name + ".mask", mask, 1, nw, 1, n, n));
            s = g.reshape(s, -1, heads, n, n);
        }
        s = g.softmax(s, -1);
        String o = g.reshape(g.transpose(g.matmul(s, v), 0, 2, 1, 3), -1, n, c);
        o = l.linear(o, child(attn, "proj"), false, name + ".proj");
        o = g.reshape(o, -1, nwh, nww, window, window, c);
        o = g.reshape(g.transpose(o, 0, 1, 3, 2, 4, 5), -1, hp, wp, c);
        if (padH != 0 || padW != 0) {
            o = g.slice(o, new long[] {0, 0}, new long[] {h, w}, new long[] {1, 2});
        }
        return shift != 0 ? roll(g, o, h, w, shift) : o;
    }

    /** The [heads, N, N] bias the block adds: {@code table[index[i * N + j], head]}. */
    private static float[] relativeBias(WindowAttention attn, long n, long heads) {
        float[] table = Layers.values(attn, "relative_position_bias_table");
        long[] index = attn.relativePositionIndexValues();
        int nn = (int) (n * n);
        float[] out = new float[(int) heads * nn];
        for (int hd = 0; hd < heads; hd++) {
            for (int ij = 0; ij < nn; ij++) {
                out[hd * nn + ij] = table[(int) (index[ij] * heads + hd)];
            }
        }
        return out;
    }
}
