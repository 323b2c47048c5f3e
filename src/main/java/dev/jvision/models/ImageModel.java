package dev.jvision.models;

import dev.jvision.nn.Layer;
import org.bytedeco.pytorch.Tensor;

/**
 * A classification model: {@code forward(x) = forwardHead(forwardFeatures(x))} on a float NCHW
 * batch normalised with {@link #spec()}'s mean and std. The caller owns the returned tensors
 * (inside its step scope); the model owns its weights until {@link #close()}. Not thread-safe.
 */
public abstract class ImageModel extends Layer {
    private ModelSpec spec;

    protected ImageModel(ModelSpec spec) {
        this.spec = spec;
    }

    /** The registry entry this model was built from (name, pretrained config). */
    public final ModelSpec spec() {
        return spec;
    }

    /**
     * Replaces the preprocessing this model expects (input size, mean, std, interpolation, crop
     * fraction) by {@code pretrained}'s, e.g. what a pretrained checkpoint's {@code config.json}
     * says; {@link #spec()} returns it from then on (training, validation and checkpoints
     * normalise with it).
     *
     * @throws IllegalArgumentException when {@code pretrained} names another model or family
     */
    public final void usePreprocessing(ModelSpec pretrained) {
        if (!pretrained.name().equals(spec.name()) || !pretrained.family().equals(spec.family())) {
            throw new IllegalArgumentException("preprocessing of '" + pretrained.name() + "' (" + pretrained.family()
                    + ") (expected: one of model '" + spec.name() + "' (" + spec.family() + "))");
        }
        spec = pretrained;
    }

    /** Number of output classes of the head. */
    public abstract int numClasses();

    /** The unpooled feature map of the last stage. */
    public abstract Tensor forwardFeatures(Tensor x);

    /** Pooling and classifier on a feature map (logits, un-normalised). */
    public abstract Tensor forwardHead(Tensor features);

    /** Replaces the classifier with a freshly initialised one of {@code numClasses} outputs. */
    public abstract void resetClassifier(int numClasses);

    /** Dotted name prefix of the classifier parameters (dropped when class counts differ). */
    public abstract String classifierName();

    /**
     * Freezes ({@code true}) or unfreezes every parameter outside the classifier: frozen
     * parameters get no gradients, so optimisers leave them as they are (fine-tuning only the
     * head of a pretrained backbone). Buffers such as BatchNorm statistics still update in
     * training mode.
     */
    public final void freezeBackbone(boolean frozen) {
        String head = classifierName() + ".";
        for (var e : namedParameters().entrySet()) {
            if (!e.getKey().startsWith(head)) {
                e.getValue().requires_grad_(!frozen);
            }
        }
    }

    @Override
    public final Tensor forward(Tensor x) {
        return forwardHead(forwardFeatures(x));
    }

    /**
     * The outputs of the stages at strides 8, 16 and 32 (in that order), for dense prediction
     * heads such as the detector's feature pyramid. The caller owns the tensors (inside its step
     * scope). Families that do not expose their stages throw {@link UnsupportedOperationException}.
     */
    public Tensor[] forwardPyramid(Tensor x) {
        throw new UnsupportedOperationException(spec.name() + " does not expose its stage outputs (strides 8/16/32)");
    }

    /** Channels of the three maps {@link #forwardPyramid} returns. */
    public int[] pyramidChannels() {
        throw new UnsupportedOperationException(spec.name() + " does not expose its stage outputs (strides 8/16/32)");
    }
}
