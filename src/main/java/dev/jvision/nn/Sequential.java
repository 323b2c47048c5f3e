package dev.jvision.nn;

import org.bytedeco.pytorch.Tensor;

/** Children named "0", "1", ... applied in order, as PyTorch's nn.Sequential. Not thread-safe. */
public final class Sequential extends Layer {
    private final java.util.List<Layer> layers = new java.util.ArrayList<>();

    public Sequential(Layer... layers) {
        for (Layer l : layers) {
            add(l);
        }
    }

    /** Appends {@code layer} under the next index. */
    public Sequential add(Layer layer) {
        registerChild(Integer.toString(layers.size()), layer);
        layers.add(layer);
        return this;
    }

    public int size() {
        return layers.size();
    }

    @Override
    public Tensor forward(Tensor x) {
        checkOpen();
        Tensor y = x;
        for (Layer l : layers) {
            y = l.forward(y);
        }
        return y;
    }
}
