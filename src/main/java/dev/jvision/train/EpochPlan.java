package dev.jvision.train;

import dev.jvision.config.SizeSchedule;
import dev.jvision.data.BatchLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shape of every epoch of a fit: its training image size, batch size, batches and optimiser
 * steps, and where its steps start. With a fixed {@code data.img_size} every epoch is the same;
 * with a progressive-resize schedule each stage has its own size and batch size:
 * <ul>
 *   <li>the batch size an entry names ({@code [10, 224, 64]}); else</li>
 *   <li>with {@code data.batch_follows_size} (the default), {@code train.batch_size} scaled by
 *       {@code (final size / stage size)^2}, rounded down: the same pixels per step as at the
 *       final size, so about the same activation memory (what {@code train.auto_batch_size}
 *       chose, for the final size, stays safe); never more than a rank's share of the data;</li>
 *   <li>else {@code train.batch_size}.</li>
 * </ul>
 *
 * <p>Stages then have different step counts, while the learning-rate schedules are defined
 * per step of a constant epoch length. {@link #scheduleStep} maps a real optimiser step to the
 * step of the same progress (epochs done plus the fraction of the current one) on a constant
 * epoch of {@link #referenceStepsPerEpoch()} steps, so warm-up epochs, step decay every n epochs
 * and the cosine's end keep their meaning. When every epoch has the same steps the mapping is the
 * identity, and runs are bit-identical to a fit without a plan.
 *
 * <p>Immutable and thread-safe.
 */
public final class EpochPlan {
    private final int[] sizes;
    private final int[] batchSizes;
    private final int[] batches;
    private final long[] steps;
    /** offsets[e] = optimiser steps before epoch e; offsets[epochs] = the total. */
    private final long[] offsets;
    private final long reference;
    private final boolean uniform;

    private EpochPlan(int[] sizes, int[] batchSizes, int[] batches, long[] steps) {
        this.sizes = sizes;
        this.batchSizes = batchSizes;
        this.batches = batches;
        this.steps = steps;
        this.offsets = new long[steps.length + 1];
        long ref = 1;
        boolean same = true;
        for (int e = 0; e < steps.length; e++) {
            offsets[e + 1] = offsets[e] + steps[e];
            ref = Math.max(ref, steps[e]);
            same &= steps[e] == steps[0];
        }
        this.reference = ref;
        this.uniform = same;
    }

    /**
     * The plan of a fit.
     *
     * @param sizes        {@code data.img_size}
     * @param follow       {@code data.batch_follows_size}
     * @param batchSize    {@code train.batch_size}: the batch at the final size
     * @param epochs       epochs of the fit, &gt;= 1
     * @param accumSteps   batches per optimiser step, &gt;= 1
     * @param trainImages  training images, &gt;= 1
     * @param worldSize    data-parallel ranks, &gt;= 1 (each reads {@code ceil(images / ranks)} per epoch)
     */
    public static EpochPlan of(SizeSchedule sizes, boolean follow, int batchSize, int epochs, int accumSteps,
                               int trainImages, int worldSize) {
        if (epochs < 1) throw new IllegalArgumentException("epochs: " + epochs + " (expected: >= 1)");
        if (batchSize < 1) throw new IllegalArgumentException("batch size: " + batchSize + " (expected: >= 1)");
        if (accumSteps < 1) throw new IllegalArgumentException("accum steps: " + accumSteps + " (expected: >= 1)");
        if (worldSize < 1) throw new IllegalArgumentException("world size: " + worldSize + " (expected: >= 1)");
        int perRank = (trainImages + worldSize - 1) / worldSize;
        int[] sz = new int[epochs];
        int[] bs = new int[epochs];
        int[] nb = new int[epochs];
        long[] st = new long[epochs];
        int last = sizes.finalSize();
        for (int e = 0; e < epochs; e++) {
            sz[e] = sizes.at(e);
            bs[e] = batchAt(sizes, e, follow, batchSize, last, perRank);
            nb[e] = batches(trainImages, worldSize, bs[e]);
            st[e] = (nb[e] + accumSteps - 1) / accumSteps;
        }
        return new EpochPlan(sz, bs, nb, st);
    }

    private static int batchAt(SizeSchedule sizes, int epoch, boolean follow, int batchSize, int last, int perRank) {
        int named = sizes.batchAt(epoch);
        if (named > 0) return named;
        int s = sizes.at(epoch);
        if (!follow || s == last) return batchSize;
        double scaled = Math.floor(batchSize * ((double) last / s) * ((double) last / s));
        return (int) Math.max(batchSize, Math.min(Math.max(perRank, batchSize), scaled));
    }

    /**
     * Batches per epoch for one rank: what the training loader of {@code batchSize} yields
     * (the short last batch is dropped when a rank's share is larger than a batch).
     */
    static int batches(int trainImages, int worldSize, int batchSize) {
        int perRank = (trainImages + worldSize - 1) / worldSize;
        return perRank > batchSize ? perRank / batchSize : 1;
    }

    /** Whether the loader of epoch {@code e} drops its short last batch (a rank's share exceeds a batch). */
    public boolean dropLast(int trainImages, int worldSize, int e) {
        return (trainImages + worldSize - 1) / worldSize > batchSizes[e];
    }

    /** Epochs planned. */
    public int epochs() {
        return sizes.length;
    }

    /** Training image side of 0-based epoch {@code e}. */
    public int imgSize(int e) {
        return sizes[e];
    }

    /** Batch size of 0-based epoch {@code e} (per rank). */
    public int batchSize(int e) {
        return batchSizes[e];
    }

    /** Training batches of 0-based epoch {@code e} (per rank). */
    public int batches(int e) {
        return batches[e];
    }

    /** Optimiser steps of 0-based epoch {@code e}. */
    public long steps(int e) {
        return steps[e];
    }

    /** Optimiser steps before 0-based epoch {@code e} ({@code e == epochs()}: all of them). */
    public long stepOffset(int e) {
        return offsets[e];
    }

    /** Optimiser steps of the whole fit. */
    public long totalSteps() {
        return offsets[offsets.length - 1];
    }

    /** True when every epoch has the same steps (then {@link #scheduleStep} is the identity). */
    public boolean uniform() {
        return uniform;
    }

    /** The epoch length, in steps, the learning-rate schedule is built for: the longest epoch's. */
    public long referenceStepsPerEpoch() {
        return uniform ? steps[0] : reference;
    }

    /**
     * The schedule step of real optimiser step {@code step}: the same progress through the fit on
     * epochs of {@link #referenceStepsPerEpoch()} steps. The identity when {@link #uniform()};
     * steps past the end map past the end.
     */
    public long scheduleStep(long step) {
        if (uniform) return step;
        long total = totalSteps();
        if (step >= total) return (long) sizes.length * reference + (step - total);
        int lo = 0;
        int hi = sizes.length - 1;
        while (lo < hi) { // the last epoch whose offset is <= step
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[mid] <= step) lo = mid;
            else hi = mid - 1;
        }
        long within = step - offsets[lo];
        return lo * reference + within * reference / Math.max(1, steps[lo]);
    }

    /** True when the epoch differs from the one before it in size or batch size (epoch 0: always). */
    public boolean stageStarts(int e) {
        return e == 0 || sizes[e] != sizes[e - 1] || batchSizes[e] != batchSizes[e - 1];
    }

    /**
     * One line on the stages, e.g. {@code "epochs 1-10: 160 px, batch 128, 52 steps; epochs 11-20:
     * 224 px, batch 64, 105 steps"}.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        int start = 0;
        for (int e = 1; e <= sizes.length; e++) {
            if (e == sizes.length || stageStarts(e)) {
                String range = start + 1 == e ? "epoch " + e : "epochs " + (start + 1) + "-" + e;
                parts.add(String.format(Locale.ROOT, "%s: %d px, batch %d, %d steps", range, sizes[start],
                        batchSizes[start], steps[start]));
                start = e;
            }
        }
        return String.join("; ", parts);
    }

    /** Fails when the loader built for epoch {@code e} does not yield the planned batches (a bug, not bad input). */
    static void checkAgainst(BatchLoader loader, EpochPlan plan, int e) {
        if (loader.numBatches() != plan.batches(e)) {
            throw new IllegalStateException("epoch " + e + ": loader has " + loader.numBatches() + " batches, plan "
                    + plan.batches(e));
        }
    }
}
