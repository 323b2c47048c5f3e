package dev.jvision.runtime.dist;

import java.util.Arrays;

/**
 * Splits one epoch's permutation (the same for a seed whatever the number of ranks) among the
 * ranks: rank r takes positions r, r + N, r + 2N, ... so that each step's N local batches of B
 * together are the N x B samples a single process would take at that step. The permutation is
 * padded by wrapping to a multiple of N, so every rank runs the same number of steps (the
 * collectives stay in lockstep); with drop-last batching the padding is never reached when the
 * epoch holds whole global batches. Stateless.
 */
public final class DistributedSampler {
    private DistributedSampler() {}

    /** Rank {@code rank}'s share of {@code permutation} among {@code worldSize} ranks. */
    public static int[] shard(int[] permutation, int rank, int worldSize) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("rank: " + rank + " of " + worldSize + " (expected: 0.." + (worldSize - 1) + ")");
        }
        if (permutation.length == 0) {
            return new int[0];
        }
        int per = (permutation.length + worldSize - 1) / worldSize;
        int[] out = new int[per];
        for (int i = 0; i < per; i++) {
            out[i] = permutation[(i * worldSize + rank) % permutation.length];
        }
        return out;
    }

    /** The local batch {@code b} of size {@code batch} from {@code shard} (a copy). */
    public static int[] batch(int[] shard, int b, int batch) {
        return Arrays.copyOfRange(shard, b * batch, Math.min(shard.length, (b + 1) * batch));
    }
}
