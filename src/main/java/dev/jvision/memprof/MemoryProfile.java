package dev.jvision.memprof;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link MemoryProfiler} measured for one model, image size, batch size and precision:
 * bytes by component at the peak of a training (or inference) step, the measured peak, and how
 * it was measured. Weights, gradients, optimizer state, EMA copy and input batch are exact
 * (sums of tensor sizes); activations and the peak are measured; {@code workspace} is the rest
 * of the measured peak (kernel workspaces, backward temporaries, allocator slack; on the CPU
 * also the process's own growth during the step, so it can be slightly negative). Immutable.
 *
 * @param model          model name
 * @param imgSize        image side in pixels
 * @param batch          batch size
 * @param amp            precision: {@code off}, {@code bf16} or {@code fp16}
 * @param channelsLast   whether weights and input were channels-last
 * @param mode           {@code train} or {@code infer}
 * @param device         e.g. {@code cpu}, {@code cuda:0}
 * @param weights        parameters and buffers
 * @param gradients      one gradient per trainable parameter (0 in infer mode)
 * @param optimizerState optimizer moments and step counters (0 in infer mode)
 * @param ema            the EMA shadow copy (0 when off or in infer mode)
 * @param activations    bytes held after the forward pass for the backward pass (0 in infer mode)
 * @param workspace      measured peak minus every other component
 * @param input          the input batch and targets
 * @param peak           measured peak above the memory in use before the model was built
 * @param reserved       CUDA: the caching allocator's peak reserved bytes (allocated plus cached
 *                       blocks) above the same baseline; CPU: equal to {@code peak}
 * @param context        CUDA: device memory used outside the caching allocator (CUDA context,
 *                       cuBLAS/cuDNN handles), measured with cudaMemGetInfo; CPU: the process's
 *                       resident set before the model was built (JVM + libraries)
 * @param method         one line saying how activations and peak were measured and their error
 */
public record MemoryProfile(String model, int imgSize, int batch, String amp, boolean channelsLast, String mode,
                            String device, long weights, long gradients, long optimizerState, long ema,
                            long activations, long workspace, long input, long peak, long reserved, long context,
                            String method) {
    private static final double MIB = 1024.0 * 1024.0;

    /** Weights, gradients, optimizer state and EMA: what does not grow with the batch. */
    public long fixedBytes() {
        return weights + gradients + optimizerState + ema;
    }

    /** Input, activations and workspace: what grows with the batch. */
    public long batchBytes() {
        return input + activations + workspace;
    }

    /** The table that {@code jvision memprof} prints (MiB, with a per-image column for the batch parts). */
    public String table() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "jvision memprof: %s, %d px, batch %d, %s, amp %s%s, %s%n", model, imgSize,
                batch, mode, amp, channelsLast ? ", channels-last" : "", device));
        s.append(String.format(Locale.ROOT, "  %-32s %10s %10s%n", "component", "MiB", "MiB/image"));
        for (Map.Entry<String, Long> e : components().entrySet()) {
            boolean perImage = e.getKey().startsWith("activations") || e.getKey().startsWith("transient")
                    || e.getKey().startsWith("input");
            s.append(String.format(Locale.ROOT, "  %-32s %10.1f %10s%n", e.getKey(), e.getValue() / MIB,
                    perImage ? String.format(Locale.ROOT, "%.2f", e.getValue() / MIB / batch) : ""));
        }
        s.append(String.format(Locale.ROOT, "  %-32s %10.1f%n", "peak (measured)", peak / MIB));
        if (device.startsWith("cuda")) {
            s.append(String.format(Locale.ROOT, "  %-32s %10.1f%n", "reserved by the allocator (peak)", reserved / MIB));
            s.append(String.format(Locale.ROOT, "  %-32s %10.1f%n", "CUDA context and libraries", context / MIB));
        } else {
            s.append(String.format(Locale.ROOT, "  %-32s %10.1f%n", "process before the model (RSS)", context / MIB));
        }
        s.append("  method: ").append(method).append(System.lineSeparator());
        return s.toString();
    }

    /** The components in table order, by their printed names. */
    public Map<String, Long> components() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("weights", weights);
        m.put("gradients", gradients);
        m.put("optimizer state", optimizerState);
        m.put("EMA copy", ema);
        m.put("activations kept for backward", activations);
        m.put("transient/workspace", workspace);
        m.put("input batch", input);
        return m;
    }

    /** The profile as a JSON-ready map (bytes; {@code --json}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("img_size", imgSize);
        m.put("batch", batch);
        m.put("amp", amp);
        m.put("channels_last", channelsLast);
        m.put("mode", mode);
        m.put("device", device);
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("weights", weights);
        c.put("gradients", gradients);
        c.put("optimizer_state", optimizerState);
        c.put("ema", ema);
        c.put("activations", activations);
        c.put("workspace", workspace);
        c.put("input", input);
        m.put("bytes", c);
        m.put("peak_bytes", peak);
        m.put("reserved_bytes", reserved);
        m.put("context_bytes", context);
        m.put("method", method);
        return m;
    }
}
