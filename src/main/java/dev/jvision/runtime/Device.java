package dev.jvision.runtime;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.global.torch;

/**
 * Where tensors live: the CPU or one CUDA device. jvision's public API takes and returns this
 * type rather than libtorch's; {@link #toNative()} is the one way across the native boundary.
 * Immutable value (equality by kind and index) and thread-safe.
 */
public final class Device {
    private static final Pattern CUDA_N = Pattern.compile("cuda:(\\d+)");

    /** The CPU. */
    public static final Device CPU = new Device(false, -1);

    private final boolean cuda;
    private final int index;

    private Device(boolean cuda, int index) {
        this.cuda = cuda;
        this.index = index;
    }

    /**
     * CUDA device {@code index}; does not check that it exists (use {@link #parse} for that).
     *
     * @throws IllegalArgumentException when {@code index} is negative or above 127
     */
    public static Device cuda(int index) {
        if (index < 0 || index > Byte.MAX_VALUE) {
            throw new IllegalArgumentException("cuda device index: " + index + " (expected: 0.." + Byte.MAX_VALUE + ")");
        }
        return new Device(true, index);
    }

    /**
     * Resolves a device name: {@code auto} (the first CUDA device when one is usable, else the
     * CPU), {@code cpu}, {@code cuda} ({@code cuda:0}) or {@code cuda:N}; null means auto.
     *
     * @throws IllegalArgumentException for a malformed name or a CUDA index that does not exist
     * @throws UnsupportedOperationException when CUDA is asked for but not available
     */
    public static Device parse(String name) {
        String n = name == null ? "auto" : name.trim().toLowerCase(Locale.ROOT);
        switch (n) {
            case "cpu":
                return CPU;
            case "auto":
                return cudaCount() > 0 ? cuda(0) : CPU;
            case "cuda":
                n = "cuda:0";
                break;
            default:
                break;
        }
        Matcher m = CUDA_N.matcher(n);
        if (!m.matches()) {
            throw new IllegalArgumentException("device: '" + name + "' (expected: auto, cpu, cuda or cuda:N)");
        }
        int idx = Integer.parseInt(m.group(1));
        int count = cudaCount();
        if (count == 0) {
            throw new UnsupportedOperationException("device: '" + name + "' but CUDA is not available in this build "
                    + "or on this machine (build with -Pcuda and install CUDA 13 + cuDNN 9; or use device: cpu)");
        }
        if (idx >= count) {
            throw new IllegalArgumentException("device: '" + name + "' (expected: cuda:0 .. cuda:" + (count - 1) + ")");
        }
        return cuda(idx);
    }

    /** The jvision device for a libtorch device. */
    public static Device of(org.bytedeco.pytorch.Device d) {
        return d.is_cuda() ? cuda(Math.max(0, d.index())) : CPU;
    }

    /** Number of usable CUDA devices (0 in the CPU build). */
    public static int cudaCount() {
        NativeRuntime.init();
        return torch.cuda_is_available() ? torch.cuda_device_count() : 0;
    }

    public boolean isCuda() {
        return cuda;
    }

    /** The CUDA device index, or -1 for the CPU. */
    public int index() {
        return index;
    }

    /**
     * A new libtorch device handle for native calls. The caller owns it (it is small; a scope
     * or the garbage collector frees it).
     */
    public org.bytedeco.pytorch.Device toNative() {
        NativeRuntime.init();
        return cuda ? new org.bytedeco.pytorch.Device(torch.DeviceType.CUDA, (byte) index)
                : new org.bytedeco.pytorch.Device(torch.DeviceType.CPU);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.cuda == cuda && d.index == index;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cuda, index);
    }

    /** {@code cpu} or {@code cuda:N}, as {@link #parse} accepts it. */
    @Override
    public String toString() {
        return cuda ? "cuda:" + index : "cpu";
    }
}
