package dev.jvision.nn;

import dev.jvision.runtime.Device;
import dev.jvision.runtime.Kernels;
import dev.jvision.runtime.NativeRuntime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A node of a model: named parameters, buffers and child layers, with dotted names exactly as
 * PyTorch's {@code state_dict} (for example {@code layer1.0.bn1.running_mean}), so that timm
 * checkpoints load without a mapping table.
 *
 * <p>A layer owns its parameter and buffer tensors: they survive any {@code PointerScope} open
 * while the layer is built, and are freed by {@link #close()} (idempotent; closes children).
 * Using a closed layer throws {@link IllegalStateException}. Not thread-safe: one thread trains
 * or runs a layer at a time.
 */
public abstract class Layer implements AutoCloseable {
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Layer> children = new LinkedHashMap<>();
    private boolean training = true;
    private boolean closed;

    protected Layer() {
        NativeRuntime.init();
    }

    /** Runs the layer on {@code x}; the result belongs to the caller's scope. */
    public abstract Tensor forward(Tensor x);

    /** Registers a trainable parameter; the layer takes ownership of {@code t}. */
    protected final Tensor registerParameter(String name, Tensor t) {
        t.retainReference();
        t.requires_grad_(true);
        params.put(name, t);
        return t;
    }

    /** Registers a non-trainable state tensor (running statistics); the layer takes ownership. */
    protected final Tensor registerBuffer(String name, Tensor t) {
        t.retainReference();
        buffers.put(name, t);
        return t;
    }

    /** Registers a child layer under {@code name}. */
    protected final <L extends Layer> L registerChild(String name, L child) {
        children.put(name, child);
        return child;
    }

    /**
     * Replaces the child registered as {@code name} (keeping its position); the caller closes the
     * old one. The new child takes the old one's place in every sense: its training mode, and its
     * tensors move to the device and floating-point dtype of the old child's (so a head reset
     * after {@code model.to(cuda)} or a dtype conversion is where the rest of the model is).
     */
    protected final void replaceChild(String name, Layer child) {
        Layer old = children.get(name);
        if (old == null) {
            throw new IllegalArgumentException("no child layer '" + name + "'");
        }
        Tensor ref = old.stateDict().values().stream().filter(Tensor::is_floating_point).findFirst().orElse(null);
        if (ref != null) {
            child.placeLike(ref);
        }
        children.put(name, child);
        child.train(training);
    }

    /** Moves every tensor to {@code ref}'s device, and floating-point ones to its dtype, keeping identities. */
    private void placeLike(Tensor ref) {
        Device device = Device.of(ref.device());
        for (Tensor t : stateDict().values()) {
            torch.ScalarType dtype = t.is_floating_point() ? ref.scalar_type() : t.scalar_type();
            if (dtype.value == t.scalar_type().value && device.equals(Device.of(t.device()))) {
                continue;
            }
            try (Tensor moved = t.to(device.toNative(), dtype)) {
                t.set_data(moved);
            }
        }
    }

    /** Parameters by dotted name, in registration order. */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return Collections.unmodifiableMap(out);
    }

    /** Buffers by dotted name, in registration order. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false, true);
        return Collections.unmodifiableMap(out);
    }

    /** Parameters and buffers by dotted name: what a checkpoint holds. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean p, boolean b) {
        checkOpen();
        if (p) {
            params.forEach((k, v) -> out.put(prefix + k, v));
        }
        if (b) {
            buffers.forEach((k, v) -> out.put(prefix + k, v));
        }
        children.forEach((k, v) -> v.collect(prefix + k + ".", out, p, b));
    }

    /** Direct children by name. */
    public final Map<String, Layer> children() {
        return Collections.unmodifiableMap(children);
    }

    /** The parameters as a native vector, for libtorch optimizers (caller closes the vector). */
    public final TensorVector parameterVector() {
        List<Tensor> list = new ArrayList<>(namedParameters().values());
        return new TensorVector(list.toArray(new Tensor[0]));
    }

    /** Number of trainable scalars. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) {
            n += t.numel();
        }
        return n;
    }

    /** Switches this layer and its children to training (true) or evaluation (false) mode. */
    public final void train(boolean on) {
        checkOpen();
        training = on;
        children.values().forEach(c -> c.train(on));
    }

    /** True in training mode. */
    public final boolean isTraining() {
        return training;
    }

    /** Moves every parameter and buffer to {@code device}, keeping tensor identities. */
    public final void to(Device device) {
        for (Tensor t : stateDict().values()) {
            try (Tensor moved = t.to(device.toNative(), t.scalar_type())) {
                t.set_data(moved);
            }
        }
    }

    /**
     * Converts 4-d weights to channels-last memory format; CPU weights stay contiguous on a host
     * where the native self-check found channels-last convolutions wrong.
     */
    public final void toChannelsLast() {
        boolean safe = Kernels.channelsLastSafe();
        for (Tensor t : stateDict().values()) {
            if (!safe && !t.is_cuda()) {
                continue;
            }
            if (t.dim() == 4) {
                try (Tensor moved = t.contiguous(torch.MemoryFormat.ChannelsLast)) {
                    t.set_data(moved);
                }
            }
        }
    }

    /** Sets every parameter's gradient to undefined (cheaper than zero-filling). */
    public final void zeroGrad() {
        for (Tensor t : namedParameters().values()) {
            Tensor g = t.mutable_grad();
            if (g.defined()) {
                g.reset();
            }
        }
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
    }

    /** Frees the parameters and buffers of this layer and its children. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (Layer c : children.values()) {
            c.close();
        }
        for (Tensor t : params.values()) {
            t.releaseReference();
        }
        for (Tensor t : buffers.values()) {
            t.releaseReference();
        }
        closed = true;
    }
}
