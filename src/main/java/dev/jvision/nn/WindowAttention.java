package dev.jvision.nn;

import dev.jvision.runtime.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Swin's window multi-head self-attention with a learned relative position bias, as timm's
 * {@code WindowAttention}: parameters {@code relative_position_bias_table}
 * [(2Wh-1)(2Ww-1), heads], {@code qkv} (Linear dim -> 3 * dim) and {@code proj}. The relative
 * position index is a non-persistent buffer in timm, so it is kept here as an owned field (not in
 * {@link #stateDict()}); it follows the table to its device on first use there.
 *
 * <p>Input: windows [B * numWindows, Wh * Ww, C]; optional additive mask [numWindows, N, N]
 * (0 / -100) for shifted windows. Owns its tensors until {@link #close()}. Not thread-safe.
 */
public final class WindowAttention extends Layer {
    private final Tensor table;
    private final Linear qkv;
    private final Linear proj;
    private final int numHeads;
    private final int windowH;
    private final int windowW;
    private final double scale;
    private final double attnDrop;
    private Tensor index; // [N * N] long, owned
    private boolean released;

    /**
     * @param dim      channels of the tokens
     * @param numHeads attention heads; {@code dim} must be divisible by it
     * @param windowH  window height in tokens
     * @param windowW  window width in tokens
     * @param attnDrop dropout on the attention weights in training (timm's attn_drop)
     */
    public WindowAttention(int dim, int numHeads, int windowH, int windowW, double attnDrop) {
        if (numHeads < 1 || dim % numHeads != 0) {
            throw new IllegalArgumentException("num_heads: " + numHeads + " (expected: a divisor of dim " + dim + ")");
        }
        if (windowH < 1 || windowW < 1) {
            throw new IllegalArgumentException("window_size: " + windowH + "x" + windowW + " (expected: >= 1)");
        }
        this.numHeads = numHeads;
        this.windowH = windowH;
        this.windowW = windowW;
        this.scale = Math.pow((double) (dim / numHeads), -0.5);
        this.attnDrop = attnDrop;
        this.table = registerParameter("relative_position_bias_table",
                SwinInit.truncNormal(0.02, (long) (2 * windowH - 1) * (2 * windowW - 1), numHeads));
        this.qkv = registerChild("qkv", new Linear(dim, 3L * dim));
        this.proj = registerChild("proj", new Linear(dim, dim));
        this.index = Tensors.fromLongs(relativePositionIndex(windowH, windowW), (long) windowH * windowW * windowH * windowW);
        index.retainReference();
    }

    /** timm's {@code get_relative_position_index}, flattened: entry (i, j) at {@code i * N + j}. */
    static long[] relativePositionIndex(int wh, int ww) {
        int n = wh * ww;
        long[] out = new long[n * n];
        for (int i = 0; i < n; i++) {
            int hi = i / ww;
            int wi = i % ww;
            for (int j = 0; j < n; j++) {
                int hj = j / ww;
                int wj = j % ww;
                out[i * n + j] = (long) (hi - hj + wh - 1) * (2 * ww - 1) + (wi - wj + ww - 1);
            }
        }
        return out;
    }

    public int windowHeight() {
        return windowH;
    }

    public int windowWidth() {
        return windowW;
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, null);
    }

    /** Attention over windows {@code x} [B_, N, C] with an optional additive {@code mask} [nW, N, N]. */
    public Tensor forward(Tensor x, Tensor mask) {
        checkOpen();
        long b = x.size(0);
        long n = x.size(1);
        long c = x.size(2);
        long area = (long) windowH * windowW;
        if (n != area) {
            throw new IllegalArgumentException("window tokens: " + n + " (expected: " + area + " = " + windowH + "x" + windowW + ")");
        }
        // unbind, as timm: its backward stacks the three gradients in one op, where three
        // selects would each zero-fill a full-size buffer, copy into it and add (profiled)
        TensorVector qkvParts = qkv.forward(x).reshape(b, n, 3, numHeads, -1).permute(2, 0, 3, 1, 4).unbind(0);
        Tensor q = qkvParts.get(0);
        Tensor k = qkvParts.get(1);
        Tensor v = qkvParts.get(2);
        Tensor attn;
        try (Scalar s = new Scalar(scale)) {
            attn = q.mul(s).matmul(k.transpose(-2, -1));
        }
        attn = attn.add(relativeBias(n));
        if (mask != null) {
            long nw = mask.size(0);
            Tensor m = mask.scalar_type().intern() == attn.scalar_type().intern() ? mask : mask.to(attn.scalar_type());
            attn = attn.view(-1, nw, numHeads, n, n).add(m.unsqueeze(1).unsqueeze(0)).view(-1, numHeads, n, n);
        }
        attn = attn.softmax(-1);
        attn = Ops.dropout(attn, attnDrop, isTraining());
        Tensor y = attn.matmul(v).transpose(1, 2).reshape(b, n, -1);
        return proj.forward(y);
    }

    /** [1, heads, N, N] bias gathered from the table. */
    private Tensor relativeBias(long n) {
        if (!index.device().equals(table.device())) {
            Tensor moved = index.to(table.device(), torch.ScalarType.Long);
            moved.retainReference();
            index.releaseReference();
            index = moved;
        }
        return table.index_select(0, index).view(n, n, -1).permute(2, 0, 1).contiguous().unsqueeze(0);
    }

    @Override
    public void close() {
        if (!released) {
            released = true;
            index.releaseReference();
        }
        super.close();
    }

    /** Number of attention heads (for graph exporters). */
    public int numHeads() {
        return numHeads;
    }

    /** The factor queries are multiplied by ({@code head_dim^-0.5}). */
    public double scale() {
        return scale;
    }

    /** The relative position index of this window, entry (i, j) at {@code i * N + j} (a new array). */
    public long[] relativePositionIndexValues() {
        return relativePositionIndex(windowH, windowW);
    }
}
