package dev.jvision.runtime;

/**
 * The device (CUDA, or the CPU allocator) ran out of memory during a training step, a
 * validation pass, an auto-batch trial or a memory profile: the one type every jvision component
 * throws for it, whatever libtorch's message said. {@link #detect} recognises libtorch's errors
 * (also as the cause of another exception); {@link #of} wraps one with the device, the batch size
 * and a smaller batch size to try. The message names config keys, never command-line flags.
 * Immutable and thread-safe.
 */
public final class DeviceOutOfMemoryException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final String device;
    private final int batchSize;

    /**
     * @param message   what ran out of memory and what to try
     * @param device    e.g. {@code cuda:0}
     * @param batchSize the batch size that did not fit, 0 when not known
     * @param cause     libtorch's error
     */
    public DeviceOutOfMemoryException(String message, String device, int batchSize, Throwable cause) {
        super(message, cause);
        this.device = device;
        this.batchSize = batchSize;
    }

    /** The device, e.g. {@code cuda:0}. */
    public String device() {
        return device;
    }

    /** The batch size that did not fit, 0 when not known. */
    public int batchSize() {
        return batchSize;
    }

    /** True when {@code e} or one of its causes is a device out-of-memory error. */
    public static boolean detect(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DeviceOutOfMemoryException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("out of memory") || m.contains("OutOfMemory")
                    || m.contains("DefaultCPUAllocator: can't allocate memory"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code e} as a {@link DeviceOutOfMemoryException} when it is one ({@link #detect}), with the
     * peak memory and half the batch size as a hint; otherwise {@code e} unchanged.
     *
     * @param what      what was running, e.g. {@code "training"} or {@code "resnet18 at 224 px"}
     * @param peakBytes the device's peak memory, for the message
     */
    public static RuntimeException of(RuntimeException e, String what, int batchSize, Device device, long peakBytes) {
        if (e instanceof DeviceOutOfMemoryException || !detect(e)) {
            return e;
        }
        long peak = peakBytes >> 20;
        return new DeviceOutOfMemoryException(String.format("out of memory on %s in %s at batch size %d (peak %d MB; "
                + "%s); try train.batch_size: %d, train.amp: bf16, or train.auto_batch_size: true", device, what,
                batchSize, peak, firstLine(e.getMessage()), Math.max(1, batchSize / 2)), device.toString(), batchSize, e);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
