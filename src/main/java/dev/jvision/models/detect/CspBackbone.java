package dev.jvision.models.detect;

import dev.jvision.nn.ConvBnAct;
import dev.jvision.nn.Layer;
import dev.jvision.nn.Ops;
import dev.jvision.nn.Sequential;
import org.bytedeco.pytorch.Tensor;

/**
 * A small, fast convolutional backbone for CPU latency, after CSPNet (Wang et al. 2019): a
 * stride-2 stem, then four stages of a stride-2 {@link ConvBnAct} followed by a cross-stage
 * partial block, and a spatial-pyramid pooling block (He et al. 2014, computed as three chained
 * 5x5 max-pools) after the last stage. Widths {@code 64, 128, 256, 512, 1024} and depths
 * {@code 3, 6, 6, 3} are scaled by {@code width} and {@code depth}. Children: {@code stem},
 * {@code stages.0..3}, {@code sppf}. Outputs the maps at strides 8, 16 and 32. Not thread-safe.
 */
public final class CspBackbone extends Layer {
    private static final int[] WIDTHS = {64, 128, 256, 512, 1024};
    private static final int[] DEPTHS = {3, 6, 6, 3};
    private final ConvBnAct stem;
    private final Sequential stages;
    private final Sppf sppf;
    private final int[] channels;

    /**
     * @param width multiplier of the channel widths, &gt; 0
     * @param depth multiplier of the block counts, &gt; 0
     */
    public CspBackbone(double width, double depth) {
        if (!(width > 0) || !(depth > 0)) {
            throw new IllegalArgumentException("width/depth: " + width + "/" + depth + " (expected: > 0)");
        }
        int[] c = new int[5];
        for (int i = 0; i < 5; i++) {
            c[i] = scaleWidth(WIDTHS[i], width);
        }
        stem = registerChild("stem", new ConvBnAct(3, c[0], 3, 2));
        stages = registerChild("stages", new Sequential());
        for (int s = 0; s < 4; s++) {
            stages.add(new Sequential(new ConvBnAct(c[s], c[s + 1], 3, 2),
                    new CspBlock(c[s + 1], c[s + 1], scaleDepth(DEPTHS[s], depth), true)));
        }
        sppf = registerChild("sppf", new Sppf(c[4], c[4]));
        channels = new int[] {c[2], c[3], c[4]};
    }

    /** Channels rounded to a multiple of 8 (at least 8). */
    static int scaleWidth(int channels, double width) {
        return Math.max(8, (int) Math.round(channels * width / 8.0) * 8);
    }

    /** Block count scaled and rounded (at least 1). */
    static int scaleDepth(int blocks, double depth) {
        return Math.max(1, (int) Math.round(blocks * depth));
    }

    /** Channels of the maps at strides 8, 16, 32. */
    public int[] pyramidChannels() {
        return channels.clone();
    }

    /** The maps at strides 8, 16 and 32 (new tensors in the caller's scope). */
    public Tensor[] forwardPyramid(Tensor x) {
        checkOpen();
        Tensor y = stem.forward(x);
        Tensor[] out = new Tensor[3];
        for (int s = 0; s < 4; s++) {
            y = stages.children().get(Integer.toString(s)).forward(y);
            if (s >= 1) {
                out[s - 1] = s == 3 ? sppf.forward(y) : y;
            }
        }
        return out;
    }

    /** The stride-32 map (the last entry of {@link #forwardPyramid}). */
    @Override
    public Tensor forward(Tensor x) {
        return forwardPyramid(x)[2];
    }

    /**
     * Cross-stage partial block: {@code cv1} (1x1) to two halves; the second half runs through
     * {@code n} residual bottlenecks ({@code blocks.i}); both halves and every bottleneck output are
     * concatenated and fused by {@code cv2} (1x1), so gradients reach each block by a short path.
     */
    static final class CspBlock extends Layer {
        private final ConvBnAct cv1;
        private final Sequential blocks;
        private final ConvBnAct cv2;
        private final long hidden;

        CspBlock(long in, long out, int n, boolean shortcut) {
            hidden = Math.max(8, out / 2);
            cv1 = registerChild("cv1", new ConvBnAct(in, 2 * hidden, 1, 1));
            blocks = registerChild("blocks", new Sequential());
            for (int i = 0; i < n; i++) {
                blocks.add(new Bottleneck(hidden, shortcut));
            }
            cv2 = registerChild("cv2", new ConvBnAct((2L + n) * hidden, out, 1, 1));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = cv1.forward(x);
            Tensor[] parts = new Tensor[2 + blocks.size()];
            parts[0] = y.narrow(1, 0, hidden);
            Tensor b = y.narrow(1, hidden, hidden);
            parts[1] = b;
            for (int i = 0; i < blocks.size(); i++) {
                b = blocks.children().get(Integer.toString(i)).forward(b);
                parts[2 + i] = b;
            }
            return cv2.forward(T.cat(1, parts));
        }
    }

    /** Two 3x3 {@link ConvBnAct} ({@code cv1}, {@code cv2}) with an optional identity shortcut. */
    static final class Bottleneck extends Layer {
        private final ConvBnAct cv1;
        private final ConvBnAct cv2;
        private final boolean shortcut;

        Bottleneck(long channels, boolean shortcut) {
            cv1 = registerChild("cv1", new ConvBnAct(channels, channels, 3, 1));
            cv2 = registerChild("cv2", new ConvBnAct(channels, channels, 3, 1));
            this.shortcut = shortcut;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = cv2.forward(cv1.forward(x));
            return shortcut ? y.add(x) : y;
        }
    }

    /** Spatial pyramid pooling: {@code cv1} (1x1, half width), three chained 5x5 max-pools, concat, {@code cv2}. */
    static final class Sppf extends Layer {
        private final ConvBnAct cv1;
        private final ConvBnAct cv2;

        Sppf(long in, long out) {
            long hidden = in / 2;
            cv1 = registerChild("cv1", new ConvBnAct(in, hidden, 1, 1));
            cv2 = registerChild("cv2", new ConvBnAct(hidden * 4, out, 1, 1));
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor a = cv1.forward(x);
            Tensor b = Ops.maxPool(a, 5, 1, 2);
            Tensor c = Ops.maxPool(b, 5, 1, 2);
            Tensor d = Ops.maxPool(c, 5, 1, 2);
            return cv2.forward(T.cat(1, a, b, c, d));
        }
    }
}
