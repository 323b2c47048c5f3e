package dev.jvision.config;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code data.img_size}: one input size for every epoch ({@code 224}), or a progressive-resize
 * schedule of {@code [epoch, size]} pairs ({@code [[0, 160], [10, 224], [20, 288]]}: 160 px
 * for epochs 0-9, 224 for 10-19, 288 from 20 on; epochs 0-based as in checkpoints). The first
 * pair must start at epoch 0, epochs must increase and sizes must not decrease, each size in
 * [16, 2048]; so the final size is the largest. An entry may name its stage's batch size as a
 * third number ({@code [0, 160, 128]}); stages without one get {@code train.batch_size}, scaled
 * by {@code data.batch_follows_size} (see {@code dev.jvision.train.EpochPlan}).
 *
 * <p>Training uses {@link #at(int)} of the current epoch; validation, checkpoints and inference
 * use {@link #finalSize()}; each stage reads an image cache at its own size (see README,
 * "Progressive resize").
 *
 * <p>Immutable and thread-safe.
 */
public final class SizeSchedule {
    private final int[] epochs;
    private final int[] sizes;
    /** Batch size per stage, -1 where the entry names none. */
    private final int[] batches;
    /** Whether it was written as a list of pairs (kept for the YAML round trip). */
    private final boolean schedule;

    private SizeSchedule(int[] epochs, int[] sizes, int[] batches, boolean schedule) {
        this.epochs = epochs;
        this.sizes = sizes;
        this.batches = batches;
        this.schedule = schedule;
    }

    /** One size for every epoch (checked by {@link #check(String)}). */
    public static SizeSchedule fixed(int size) {
        return new SizeSchedule(new int[] {0}, new int[] {size}, new int[] {-1}, false);
    }

    /**
     * A schedule from {@code [epoch, size]} pairs or {@code [epoch, size, batch]} triples,
     * unchecked: {@link #check(String)} validates (the config record does, so that errors carry
     * file and line).
     *
     * @throws IllegalArgumentException for an entry of other than 2 or 3 numbers
     */
    public static SizeSchedule of(List<int[]> pairs) {
        int[] e = new int[pairs.size()];
        int[] s = new int[pairs.size()];
        int[] b = new int[pairs.size()];
        for (int i = 0; i < e.length; i++) {
            int[] p = pairs.get(i);
            if (p.length != 2 && p.length != 3) {
                throw new IllegalArgumentException("entry " + i + ": " + p.length + " numbers (expected: [epoch, size] "
                        + "or [epoch, size, batch])");
            }
            e[i] = p[0];
            s[i] = p[1];
            b[i] = p.length == 3 ? p[2] : -1;
        }
        return new SizeSchedule(e, s, b, true);
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
            List<Integer> pair = named(i) ? List.of(epochs[i], sizes[i], batches[i])
                    : List.of(epochs[i], sizes[i]);
            if (i == 0 && epochs[0] != 0) {
                throw Checks.fail(k, pair, "the first pair starts at epoch 0, e.g. [[0, 160], [10, 224]]");
            }
            if (i > 0 && epochs[i] <= epochs[i - 1]) {
                throw Checks.fail(k, pair, "epochs increasing, after epoch " + epochs[i - 1]);
            }
            if (sizes[i] < 16 || sizes[i] > 2048) {
                throw Checks.fail(k, pair, "a size in [16, 2048]");
            }
            if (named(i) && batches[i] < 1) {
                throw Checks.fail(k, pair, "a batch size >= 1 as the third number");
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

    /**
     * The batch size the entry in force at 0-based {@code epoch} names (its third number), or 0
     * when it names none.
     */
    public int batchAt(int epoch) {
        int b = batches[0];
        for (int i = 0; i < epochs.length && epochs[i] <= epoch; i++) {
            b = batches[i];
        }
        return Math.max(0, b);
    }

    private boolean named(int i) {
        return batches[i] != -1;
    }

    /** The epochs at which a stage starts, ascending (the first is 0). */
    public int[] stageEpochs() {
        return epochs.clone();
    }

    /** The size of the last pair (the largest): validation, checkpoints and inference. */
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
            out.add(named(i) ? List.of(epochs[i], sizes[i], batches[i]) : List.of(epochs[i], sizes[i]));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SizeSchedule s && java.util.Arrays.equals(epochs, s.epochs)
                && java.util.Arrays.equals(sizes, s.sizes) && java.util.Arrays.equals(batches, s.batches)
                && isFixed() == s.isFixed();
    }

    @Override
    public int hashCode() {
        return 31 * (31 * java.util.Arrays.hashCode(epochs) + java.util.Arrays.hashCode(sizes))
                + java.util.Arrays.hashCode(batches);
    }

    @Override
    public String toString() {
        return String.valueOf(toConfig());
    }
}
