package dev.jvision.runtime;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * Resolves device names ({@code auto}, {@code cpu}, {@code cuda}, {@code cuda:N}) to libtorch
 * devices. {@code auto} picks the first CUDA device when one is usable, else the CPU.
 * Stateless and thread-safe.
 */
public final class Devices {
    private static final Pattern CUDA_N = Pattern.compile("cuda:(\\d+)");

    private Devices() {}

    /**
     * The device for {@code name}.
     *
     * @throws IllegalArgumentException for a malformed name
     * @throws UnsupportedOperationException when CUDA is asked for but not available
     */
    public static Device resolve(String name) {
        NativeRuntime.init();
        String n = name == null ? "auto" : name.trim().toLowerCase(java.util.Locale.ROOT);
        int cudaCount = cudaCount();
        switch (n) {
            case "auto":
                return cudaCount > 0 ? new Device(torch.DeviceType.CUDA, (byte) 0) : new Device(torch.DeviceType.CPU);
            case "cpu":
                return new Device(torch.DeviceType.CPU);
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
        int index = Integer.parseInt(m.group(1));
        if (cudaCount == 0) {
            throw new UnsupportedOperationException("device: '" + name + "' but CUDA is not available in this build "
                    + "or on this machine (build with -Pcuda and install CUDA 13 + cuDNN 9; or use device: cpu)");
        }
        if (index >= cudaCount) {
            throw new IllegalArgumentException("device: '" + name + "' (expected: cuda:0 .. cuda:" + (cudaCount - 1) + ")");
        }
        return new Device(torch.DeviceType.CUDA, (byte) index);
    }

    /** Number of usable CUDA devices (0 in the CPU build). */
    public static int cudaCount() {
        NativeRuntime.init();
        return torch.cuda_is_available() ? torch.cuda_device_count() : 0;
    }

    /** True when {@code device} is a CUDA device. */
    public static boolean isCuda(Device device) {
        return device.is_cuda();
    }

    /** A short name such as {@code cpu} or {@code cuda:0}. */
    public static String describe(Device device) {
        return device.is_cuda() ? "cuda:" + device.index() : "cpu";
    }
}
