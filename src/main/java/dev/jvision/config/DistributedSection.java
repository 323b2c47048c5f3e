package dev.jvision.config;

import java.util.regex.Pattern;

/**
 * The {@code experiment.distributed:} section: how a data-parallel job (launched with
 * {@code --nproc-per-node} or the torchrun environment) synchronises its ranks. Ignored by a
 * single process.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param backend {@code auto} (NCCL on CUDA, Gloo on CPU), {@code gloo} or {@code nccl} (default {@code auto})
 * @param syncBn BatchNorm layers use the statistics of the global batch, all-reduced across
 *               ranks (SyncBatchNorm; default false: per-rank statistics)
 * @param overlap start gradient all-reduces from backward hooks as buckets fill (default true;
 *                false: all buckets after backward). Both give identical gradients
 * @param bucketMb upper bound of one gradient all-reduce bucket in MiB (default 25, as DDP)
 */
public record DistributedSection(String backend, boolean syncBn, boolean overlap, int bucketMb) {
    private static final Pattern BACKEND = Pattern.compile("auto|gloo|nccl");

    public DistributedSection {
        Checks.matches("backend", backend, BACKEND, "auto, gloo or nccl");
        Checks.between("bucket_mb", bucketMb, 1, 1024);
    }

    /** @return the section with every field at its default */
    public static DistributedSection defaults() {
        return new DistributedSection("auto", false, true, 25);
    }
}
