package dev.jvision.runtime;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads jvision's own native libraries (libtorch, OpenBLAS, OpenCV) exactly once.
 *
 * <p>A cold JavaCPP cache extracts libraries one by one while loading them; between two
 * extractions the dynamic linker may resolve {@code libtorch_cpu.so} or {@code libc10.so} from
 * the system (Debian's libtorch1.13, say) and crash the JVM. {@link #init()} therefore extracts
 * every bundled library of the platform first and only then loads them, so the system's copies
 * are never consulted. Call it before any other native call; every public entry point of
 * jvision does. Thread-safe and idempotent.
 */
public final class NativeRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(NativeRuntime.class);
    private static final String[] PRESETS = {"org/bytedeco/openblas", "org/bytedeco/pytorch", "org/bytedeco/opencv"};
    private static volatile Info info;

    /** What was loaded and from where. */
    public record Info(String platform, Path cacheDir, List<Path> extracted, boolean cuda) {}

    private NativeRuntime() {}

    /** Extracts and loads the natives once; later calls return the same {@link Info}. */
    public static Info init() {
        Info i = info;
        if (i != null) {
            return i;
        }
        synchronized (NativeRuntime.class) {
            if (info == null) {
                info = load();
            }
            return info;
        }
    }

    private static Info load() {
        String platform = Loader.getPlatform();
        List<Path> extracted = new ArrayList<>();
        Path cacheDir;
        try {
            cacheDir = Loader.getCacheDir().toPath();
            for (String preset : PRESETS) {
                String folder = "/" + preset + "/" + platform + "/";
                if (NativeRuntime.class.getResource(folder) == null) {
                    continue; // not on the class path (e.g. OpenCV in a torch-only embedding)
                }
                File[] files = Loader.cacheResources(folder);
                if (files != null) {
                    for (File f : files) {
                        extracted.add(f.toPath());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract jvision's native libraries to the JavaCPP cache "
                    + "(set -Dorg.bytedeco.javacpp.cachedir=DIR to a writable folder)", e);
        }
        try {
            Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            Loader.load(org.bytedeco.pytorch.global.torch.class);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load libtorch for platform " + platform + " from "
                    + cacheDir + ": " + e.getMessage(), e);
        }
        boolean cuda = org.bytedeco.pytorch.global.torch.cuda_is_available();
        LOG.debug("natives for {} loaded from {} ({} files), cuda={}", platform, cacheDir, extracted.size(), cuda);
        return new Info(platform, cacheDir, List.copyOf(extracted), cuda);
    }

    /**
     * The shared objects mapped into this process whose file name starts with {@code prefix}
     * (read from /proc/self/maps; empty where that file does not exist).
     */
    public static List<Path> mappedLibraries(String prefix) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return List.of();
        }
        try {
            return Files.readAllLines(maps).stream()
                    .map(line -> line.indexOf('/') >= 0 ? line.substring(line.indexOf('/')) : "")
                    .filter(p -> !p.isEmpty())
                    .map(Path::of)
                    .filter(p -> p.getFileName() != null && p.getFileName().toString().startsWith(prefix))
                    .distinct()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
