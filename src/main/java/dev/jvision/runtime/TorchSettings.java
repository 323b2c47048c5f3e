package dev.jvision.runtime;

import org.bytedeco.pytorch.global.torch;

/**
 * Process-wide libtorch settings: intra-op threads, seeds and deterministic mode. These are
 * global in libtorch, so calls affect every model in the process; call them from one thread at
 * start-up.
 */
public final class TorchSettings {
    private TorchSettings() {}

    /**
     * Sets libtorch's intra-op threads ({@code threads <= 0}: all available processors).
     * OpenBLAS threads are set to 1 by the launcher (OPENBLAS_NUM_THREADS): two thread pools
     * on few cores stall each other.
     *
     * @return the thread count in effect
     */
    public static int setThreads(int threads) {
        NativeRuntime.init();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        torch.set_num_threads(n);
        return torch.get_num_threads();
    }

    /** Seeds libtorch's generators (CPU and CUDA). Java-side randomness is seeded by its owners. */
    public static void seed(long seed) {
        NativeRuntime.init();
        torch.manual_seed(seed);
        if (torch.cuda_is_available()) {
            torch.cuda_manual_seed_all(seed);
        }
    }

    /**
     * Deterministic mode: libtorch picks deterministic kernels (and warns instead of failing
     * where none exists) and cuDNN benchmarking is turned off.
     */
    public static void deterministic(boolean on) {
        NativeRuntime.init();
        var ctx = torch.globalContext();
        ctx.setDeterministicAlgorithms(on, true);
        ctx.setDeterministicCuDNN(on);
        ctx.setBenchmarkCuDNN(!on);
    }
}
