package dev.jvision.models.detect;

import dev.jvision.nn.Layer;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * An anchor-free one-stage detector: a backbone giving maps at strides 8, 16 and 32, a
 * {@link PanNeck} and a {@link DecoupledHead}. Input: float RGB [B, 3, H, W] with values in
 * [0, 1] (letterboxed, H and W multiples of 32); the detector normalises with its backbone's
 * mean and std itself (buffers {@code input_mean}, {@code input_std}). Children:
 * {@code backbone} (timm names for zoo backbones, so timm weights load into it), {@code neck},
 * {@code head}. Train with {@link DetectionLoss}, decode with {@link DetectionDecoder}.
 *
 * <p>Build through {@link Detectors#create}. The caller owns the detector and closes it;
 * returned tensors belong to the caller's step scope. Not thread-safe.
 */
public final class Detector extends Layer {
    /** Strides of the three pyramid levels. */
    public static final int[] STRIDES = {8, 16, 32};
    private final String name;
    private final Layer backbone;
    private final Function<Tensor, Tensor[]> features;
    private final PanNeck neck;
    private final DecoupledHead head;
    private final Tensor mean;
    private final Tensor std;
    private final int inputSize;

    Detector(String name, Layer backbone, Function<Tensor, Tensor[]> features, int[] backboneChannels,
             double[] mean, double[] std, int[] neckChannels, int neckDepth, int inputSize, DetectorOptions options) {
        this.name = name;
        this.backbone = registerChild("backbone", backbone);
        this.features = features;
        this.neck = registerChild("neck", new PanNeck(backboneChannels, neckChannels, neckDepth));
        this.head = registerChild("head", new DecoupledHead(neckChannels, options.numClasses(), options.regMax()));
        this.inputSize = inputSize;
        if (mean != null) {
            this.mean = registerBuffer("input_mean", dev.jvision.runtime.Tensors.fromFloats(toFloats(mean), 1, 3, 1, 1));
            this.std = registerBuffer("input_std", dev.jvision.runtime.Tensors.fromFloats(toFloats(std), 1, 3, 1, 1));
        } else {
            this.mean = null;
            this.std = null;
        }
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** The registered name ({@code det_tiny}, ...). */
    public String name() {
        return name;
    }

    public int numClasses() {
        return head.numClasses();
    }

    public int regMax() {
        return head.regMax();
    }

    /** The default (square) training and inference size in pixels. */
    public int inputSize() {
        return inputSize;
    }

    /** The backbone (a zoo {@code ImageModel} or a {@link CspBackbone}): load pretrained weights into it. */
    public Layer backbone() {
        return backbone;
    }

    /** The largest stride: input sides must be multiples of it. */
    public int maxStride() {
        return STRIDES[STRIDES.length - 1];
    }

    /**
     * Predictions for a batch of images.
     *
     * @param images float [B, 3, H, W] in [0, 1], H and W multiples of 32
     */
    public DetectorOutput forwardDetect(Tensor images) {
        checkOpen();
        if (images.dim() != 4 || images.size(1) != 3 || images.size(2) % maxStride() != 0
                || images.size(3) % maxStride() != 0) {
            throw new IllegalArgumentException("detector input: " + TaskAlignedAssigner.shape(images)
                    + " (expected: [B, 3, H, W] with H and W multiples of " + maxStride() + ")");
        }
        Tensor x = images;
        if (mean != null) {
            x = x.sub(mean.to(x.scalar_type())).div(std.to(x.scalar_type()));
        }
        Tensor[] maps = neck.forwardPyramid(features.apply(x));
        Tensor[] out = head.forwardLevels(maps);
        long[][] sizes = new long[3][];
        for (int i = 0; i < 3; i++) {
            sizes[i] = new long[] {maps[i].size(2), maps[i].size(3)};
        }
        Anchors anchors = Anchors.of(sizes, STRIDES, T.floats(images));
        return new DetectorOutput(out[0], out[1], anchors, regMax());
    }

    /**
     * The packed predictions {@code [B, A, 4 * regMax + numClasses]} (box logits, then class
     * logits), for engines that carry one tensor; {@link #unpack} turns it back.
     */
    @Override
    public Tensor forward(Tensor images) {
        return forwardDetect(images).packed();
    }

    /** A {@link DetectorOutput} from {@link #forward}'s tensor for an input of {@code height x width}. */
    public DetectorOutput unpack(Tensor packed, long height, long width) {
        long r = 4L * regMax();
        long[][] sizes = new long[3][];
        for (int i = 0; i < 3; i++) {
            sizes[i] = new long[] {height / STRIDES[i], width / STRIDES[i]};
        }
        Anchors anchors = Anchors.of(sizes, STRIDES, T.floats(packed));
        if (packed.dim() != 3 || packed.size(1) != anchors.count() || packed.size(2) != r + numClasses()) {
            throw new IllegalArgumentException("packed predictions: " + TaskAlignedAssigner.shape(packed)
                    + " (expected: [B, " + anchors.count() + ", " + (r + numClasses()) + "] for " + height + "x" + width + ")");
        }
        return new DetectorOutput(packed.narrow(2, 0, r), packed.narrow(2, r, numClasses()), anchors, regMax());
    }

    /** Eval-mode convenience: forward (no autograd) and decode with {@code options}. */
    public Detections predict(Tensor images, DetectionDecoder.Options options) {
        try (var ng = new org.bytedeco.pytorch.NoGradGuard()) {
            return DetectionDecoder.decode(forwardDetect(images), options);
        }
    }
}
