package dev.jvision.models.detect;

import dev.jvision.models.detect.CspBackbone.CspBlock;
import dev.jvision.nn.ConvBnAct;
import dev.jvision.nn.Layer;
import org.bytedeco.pytorch.Tensor;

/**
 * Feature pyramid over strides 8/16/32: a top-down path (FPN, Lin et al. 2017: lateral 1x1
 * reductions, 2x nearest upsampling, concatenation and a CSP block) followed by a bottom-up path
 * (PANet, Liu et al. 2018: stride-2 3x3 convolutions back down, concatenated with the top-down
 * laterals). Children: {@code lat5}, {@code td4}, {@code lat4}, {@code out3}, {@code down3},
 * {@code out4}, {@code down4}, {@code out5}. Not thread-safe.
 */
public final class PanNeck extends Layer {
    private final ConvBnAct lat5;
    private final CspBlock td4;
    private final ConvBnAct lat4;
    private final CspBlock out3;
    private final ConvBnAct down3;
    private final CspBlock out4;
    private final ConvBnAct down4;
    private final CspBlock out5;
    private final int[] outChannels;

    /**
     * @param in    channels of the backbone maps at strides 8, 16, 32
     * @param out   channels of the neck outputs at strides 8, 16, 32
     * @param depth bottlenecks per CSP block, &gt;= 1
     */
    public PanNeck(int[] in, int[] out, int depth) {
        if (in.length != 3 || out.length != 3 || depth < 1) {
            throw new IllegalArgumentException("neck: in " + java.util.Arrays.toString(in) + ", out "
                    + java.util.Arrays.toString(out) + ", depth " + depth + " (expected: 3 levels each, depth >= 1)");
        }
        lat5 = registerChild("lat5", new ConvBnAct(in[2], out[1], 1, 1));
        td4 = registerChild("td4", new CspBlock(out[1] + in[1], out[1], depth, false));
        lat4 = registerChild("lat4", new ConvBnAct(out[1], out[0], 1, 1));
        out3 = registerChild("out3", new CspBlock(out[0] + in[0], out[0], depth, false));
        down3 = registerChild("down3", new ConvBnAct(out[0], out[0], 3, 2));
        out4 = registerChild("out4", new CspBlock(out[0] + out[0], out[1], depth, false));
        down4 = registerChild("down4", new ConvBnAct(out[1], out[1], 3, 2));
        out5 = registerChild("out5", new CspBlock(out[1] + out[1], out[2], depth, false));
        outChannels = out.clone();
    }

    public int[] outChannels() {
        return outChannels.clone();
    }

    /** Maps {@code c3, c4, c5} (strides 8, 16, 32) to the neck's three outputs. */
    public Tensor[] forwardPyramid(Tensor[] c) {
        checkOpen();
        Tensor p5 = lat5.forward(c[2]);
        Tensor p4 = td4.forward(T.cat(1, upsample2x(p5), c[1]));
        Tensor l4 = lat4.forward(p4);
        Tensor n3 = out3.forward(T.cat(1, upsample2x(l4), c[0]));
        Tensor n4 = out4.forward(T.cat(1, down3.forward(n3), l4));
        Tensor n5 = out5.forward(T.cat(1, down4.forward(n4), p5));
        return new Tensor[] {n3, n4, n5};
    }

    /** Not a single-input layer: use {@link #forwardPyramid}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("PanNeck takes three maps: use forwardPyramid");
    }

    /** 2x nearest-neighbour upsampling (each pixel repeated 2x2). */
    static Tensor upsample2x(Tensor x) {
        long b = x.size(0);
        long c = x.size(1);
        long h = x.size(2);
        long w = x.size(3);
        return x.view(b, c, h, 1, w, 1).expand(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w);
    }
}
