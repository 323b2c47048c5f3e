package dev.jvision.optim;

import dev.jvision.runtime.Device;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Dynamic loss scaling for float16 training, as {@code torch.amp.GradScaler}: the loss is
 * multiplied by the scale before backward; {@link #unscale} divides the gradients by it and
 * detects infinities/NaNs ({@code _amp_foreach_non_finite_check_and_unscale_}); a step with
 * non-finite gradients is skipped and the scale multiplied by {@code backoff}; after
 * {@code growthInterval} clean steps it grows by {@code growth} ({@code _amp_update_scale_}).
 * A disabled scaler is the identity and never skips. Owns its state tensors; not thread-safe.
 */
public final class LossScaler implements AutoCloseable {
    private final boolean enabled;
    private final double growth;
    private final double backoff;
    private final long growthInterval;
    private final Tensor scale;
    private final Tensor growthTracker;
    private final Tensor foundInf;
    private long skipped;
    private boolean closed;

    public LossScaler(boolean enabled, double initScale, double growth, double backoff, long growthInterval,
                      Device device) {
        this.enabled = enabled;
        this.growth = growth;
        this.backoff = backoff;
        this.growthInterval = growthInterval;
        TensorOptions f = new TensorOptions(torch.ScalarType.Float).device(new org.bytedeco.pytorch.DeviceOptional(device.toNative()));
        TensorOptions i = new TensorOptions(torch.ScalarType.Int).device(new org.bytedeco.pytorch.DeviceOptional(device.toNative()));
        scale = keep(torch.full(new long[] {1}, new Scalar(initScale), f));
        growthTracker = keep(torch.zeros(new long[] {1}, i));
        foundInf = keep(torch.zeros(new long[] {1}, f));
    }

    /** A scaler that does nothing (bf16 / fp32 training). */
    public static LossScaler disabled(Device device) {
        return new LossScaler(false, 1.0, 2.0, 0.5, 2000, device);
    }

    private static Tensor keep(Tensor t) {
        t.retainReference();
        return t;
    }

    /** Whether scaling is on. */
    public boolean enabled() {
        return enabled;
    }

    /** {@code loss * scale} (the loss itself when disabled). */
    public Tensor scale(Tensor loss) {
        return enabled ? loss.mul(scale) : loss;
    }

    /**
     * Divides every gradient by the scale in place and records whether any is non-finite.
     * Returns true when the step must be skipped. Reads one flag from the device.
     */
    public boolean unscale(List<Tensor> params) {
        if (!enabled) return false;
        List<Tensor> grads = new ArrayList<>();
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g.defined()) grads.add(g);
        }
        try (NoGradGuard ng = new NoGradGuard()) {
            foundInf.zero_();
            Tensor inv = scale.reciprocal();
            AtenOps.unscaleAndCheck(grads, foundInf, inv);
        }
        return foundInf.item_float() != 0f;
    }

    /** Updates the scale after a step (call after {@link #unscale}; counts a skipped step). */
    public void update() {
        if (!enabled) return;
        if (foundInf.item_float() != 0f) skipped++;
        AtenOps.updateScale(scale, growthTracker, foundInf, growth, backoff, growthInterval);
    }

    /** The current scale. */
    public double currentScale() {
        return enabled ? scale.item_double() : 1.0;
    }

    /** Steps skipped so far because of non-finite gradients. */
    public long skippedSteps() {
        return skipped;
    }

    /** State tensors for checkpoints (not copies). */
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("scale", scale);
        m.put("growth_tracker", growthTracker);
        return m;
    }

    /** Restores {@link #state()} and the skipped-step count. */
    public void load(Map<String, Tensor> state, long skippedSteps) {
        scale.copy_(state.get("scale"));
        growthTracker.copy_(state.get("growth_tracker"));
        skipped = skippedSteps;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        scale.releaseReference();
        growthTracker.releaseReference();
        foundInf.releaseReference();
    }
}
