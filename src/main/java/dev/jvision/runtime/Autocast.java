package dev.jvision.runtime;

import org.bytedeco.pytorch.global.torch;

/**
 * A mixed-precision region: while it is open, eligible ops on its device (convolutions,
 * matrix products) run in bfloat16 or float16 and the rest stays float32, as
 * {@code torch.autocast} does. Closing it restores exactly the autocast state found on entry
 * (enabled flag and dtype) and, when the outermost region closes, drops the cast-weight cache.
 *
 * <pre>{@code
 * try (Autocast ac = Autocast.bf16(device)) {
 *     logits = model.forward(x);
 * }
 * }</pre>
 *
 * <p>Autocast state is per thread in libtorch: open and close a region on the same thread, and
 * nest regions properly. Not thread-safe; {@link #close()} is idempotent.
 */
public final class Autocast implements AutoCloseable {
    private static final Autocast OFF = new Autocast(null, false, null);

    private final torch.DeviceType type;
    private final boolean wasEnabled;
    private final torch.ScalarType previous;
    private boolean closed;

    private Autocast(torch.DeviceType type, boolean wasEnabled, torch.ScalarType previous) {
        this.type = type;
        this.wasEnabled = wasEnabled;
        this.previous = previous;
    }

    /** Opens a bfloat16 region on {@code device} (CPU or CUDA). */
    public static Autocast bf16(Device device) {
        return open(device, torch.ScalarType.BFloat16);
    }

    /** Opens a float16 region on {@code device} (meant for CUDA, with a loss scaler). */
    public static Autocast fp16(Device device) {
        return open(device, torch.ScalarType.Half);
    }

    /** A region that changes nothing: full precision. Shared; closing it does nothing. */
    public static Autocast off() {
        return OFF;
    }

    private static Autocast open(Device device, torch.ScalarType dtype) {
        NativeRuntime.init();
        torch.DeviceType dt = device.isCuda() ? torch.DeviceType.CUDA : torch.DeviceType.CPU;
        Autocast a = new Autocast(dt, torch.is_autocast_enabled(dt), torch.get_autocast_dtype(dt));
        torch.set_autocast_dtype(dt, dtype);
        torch.set_autocast_enabled(dt, true);
        torch.increment_nesting();
        return a;
    }

    /** True when this region casts (false for {@link #off()}). */
    public boolean enabled() {
        return type != null;
    }

    /** Leaves the region and restores the previous autocast state. Idempotent. */
    @Override
    public void close() {
        if (closed || type == null) {
            return;
        }
        closed = true;
        if (torch.decrement_nesting() == 0) {
            torch.clear_cache();
        }
        torch.set_autocast_enabled(type, wasEnabled);
        torch.set_autocast_dtype(type, previous);
    }
}
