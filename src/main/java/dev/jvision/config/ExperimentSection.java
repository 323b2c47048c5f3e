package dev.jvision.config;

import java.util.regex.Pattern;

/**
 * The {@code experiment:} section: run identity, seeding and where/how to run.
 *
 * <p>Immutable and thread-safe; values are validated in the constructor.
 *
 * @param name run name, used for the output sub-directory (default {@code experiment})
 * @param seed global random seed, any value (default 42)
 * @param device {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N} (default {@code auto})
 * @param outputDir root directory for run outputs (default {@code runs})
 * @param deterministic request deterministic kernels (default true)
 * @param threads intra-op CPU threads, 0 = all cores (default 0)
 * @param distributed data-parallel settings (backend, SyncBatchNorm, overlap, bucket size)
 */
public record ExperimentSection(
        String name, long seed, String device, String outputDir, boolean deterministic, int threads,
        DistributedSection distributed) {

    private static final Pattern DEVICE = Pattern.compile("auto|cpu|cuda|cuda:\\d+");

    public ExperimentSection {
        Checks.nonBlank("name", name);
        Checks.matches("device", device, DEVICE, "auto, cpu, cuda or cuda:N");
        Checks.nonBlank("output_dir", outputDir);
        Checks.atLeast("threads", threads, 0);
        if (distributed == null) {
            distributed = DistributedSection.defaults();
        }
        if (device.equals("cpu") && distributed.backend().equals("nccl")) {
            throw Checks.fail("distributed.backend", "nccl", "auto or gloo with experiment.device: cpu; NCCL needs CUDA");
        }
    }

    /** The section with the default {@code distributed} settings. */
    public ExperimentSection(String name, long seed, String device, String outputDir, boolean deterministic, int threads) {
        this(name, seed, device, outputDir, deterministic, threads, DistributedSection.defaults());
    }

    /** @return the section with every field at its default */
    public static ExperimentSection defaults() {
        return new ExperimentSection("experiment", 42L, "auto", "runs", true, 0, DistributedSection.defaults());
    }
}
