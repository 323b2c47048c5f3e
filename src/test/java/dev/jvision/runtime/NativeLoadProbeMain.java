package dev.jvision.runtime;

import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Child-JVM entry point for {@link NativeLoadingTest}: loads libtorch, runs one tensor op and
 * prints what it found, one {@code KEY=value} line each.
 *
 * <p>Argument {@code jvision} (default) loads through {@link NativeRuntime#init()};
 * {@code raw} calls {@code Loader.load(torch.class)} directly, without jvision's pre-extraction,
 * to show what plain JavaCPP does under the same conditions.
 */
public final class NativeLoadProbeMain {
    private NativeLoadProbeMain() {}

    public static void main(String[] args) throws java.io.IOException {
        String mode = args.length > 0 ? args[0] : "jvision";
        if (mode.equals("raw")) {
            Loader.load(torch.class);
        } else {
            NativeRuntime.init();
        }
        System.out.println("CACHEDIR=" + Loader.getCacheDir());
        try (Tensor ones = torch.ones(2, 2); Tensor sum = ones.sum()) {
            System.out.println("SUM=" + sum.item_float());
        }
        for (String prefix : new String[] {"libtorch", "libc10", "libopenblas", "libgomp", "libjnitorch"}) {
            for (Path p : NativeRuntime.mappedLibraries(prefix)) {
                System.out.println("MAPPED=" + p);
            }
        }
        System.out.flush();
    }
}
