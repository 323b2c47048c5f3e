package dev.jvision.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code data.img_size}: one input size for every epoch ({@code 224}), or a progressive-resize
 * schedule of {@code [epoch, size]} pairs ({@code [[0, 160], [10, 224], [20, 288]]}: 160 px
 * for epochs 0-9, 224 for 10-19, 288 from 20 on; epochs 0-based as in checkpoints). The first
 * pair must start at epoch 0, epochs must increase and sizes must not decrease, each size in
 * [16, 2048]; so the final size is the largest.
 *
 * <p>Training uses {@link #at(int)} of the current epoch; validation, checkpoints, the image
 * cache and inference use {@link #finalSize()} (see README, "Progressive resize").
 *
 * <p>Immutable and thread-safe.
 */
public final class SizeSchedule {
    private final int[] epochs;
    private final int[] sizes;
    /** Whether it was written as a list of pairs (kept for the YAML round trip). */
    private final boolean schedule;

    private SizeSchedule(int[] epochs, int[] sizes, boolean schedule) {
        this.epochs = epochs;
        this.sizes = sizes;
        this.schedule = schedule;
    }

    /** One size for every epoch (checked by {@link #check(String)}). */
    public static SizeSchedule fixed(int size) {
        return new SizeSchedule(new int[] {0}, new int[] {size}, false);
    }

    /**
     * A schedule from {@code [epoch, size]} pairs, unchecked: {@link #check(String)} validates
     * (the config record does, so that errors carry file and line).
     */
    public static SizeSchedule of(List<int[]> pairs) {
        int[] e = new int[pairs.size()];
        int[] s = new int[pairs.size()];
        for (int i = 0; i < e.length; i++) {
            e[i] = pairs.get(i)[0];
            s[i] = pairs.get(i)[1];
        }
        return new SizeSchedule(e, s, true);
    }

    /**
     * Validates the schedule.
     *
     * @param key the config key for messages ({@code img_size})
     * @throws IllegalArgumentException "key[i]: [epoch, size] (expected: ...)"
     */
    public SizeSchedule check(String key) {
        if (!schedule) {
            Checks.between(key, sizes[0], 16, 2048);
            return this;
        }
        if (epochs.length == 0) {
            throw Checks.fail(key, List.of(), "a size, or a non-empty list of [epoch, size] pairs");
        }
        for (int i = 0; i < epochs.length; i++) {
            String k = key + "[" + i + "]";
            List<Integer> pair = List.of(epochs[i], sizes[i]);
            if (i == 0 && epochs[0] != 0) {
                throw Checks.fail(k, pair, "the first pair starts at epoch 0, e.g. [[0, 160], [10, 224]]");
            }
            if (i > 0 && epochs[i] <= epochs[i - 1]) {
                throw Checks.fail(k, pair, "epochs increasing, after epoch " + epochs[i - 1]);
            }
            if (sizes[i] < 16 || sizes[i] > 2048) {
                throw Checks.fail(k, pair, "a size in [16, 2048]");
            }
            if (i > 0 && sizes[i] < sizes[i - 1]) {
                throw Checks.fail(k, pair, "sizes not decreasing, at least " + sizes[i - 1]
                        + " (validation and inference use the final size)");
            }
        }
        return this;
    }

    /** True for a plain size (no schedule). */
    public boolean isFixed() {
        return !schedule;
    }

    /** The training size of 0-based {@code epoch}: the last pair whose epoch is &lt;= it. */
    public int at(int epoch) {
        int s = sizes[0];
        for (int i = 0; i < epochs.length && epochs[i] <= epoch; i++) {
            s = sizes[i];
        }
        return s;
    }

    /** The size of the last pair (the largest): validation, checkpoints, cache and inference. */
    public int finalSize() {
        return sizes[sizes.length - 1];
    }

    /** The YAML form: an {@code Integer} for a fixed size, else a list of {@code [epoch, size]} lists. */
    public Object toConfig() {
        if (isFixed()) {
            return sizes[0];
        }
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < epochs.length; i++) {
            out.add(List.of(epochs[i], sizes[i]));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SizeSchedule s && java.util.Arrays.equals(epochs, s.epochs)
                && java.util.Arrays.equals(sizes, s.sizes) && isFixed() == s.isFixed();
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(epochs) + java.util.Arrays.hashCode(sizes);
    }

    @Override
    public String toString() {
        return String.valueOf(toConfig());
    }
}
