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
 * <p>Two things can make the dynamic linker pick a system libtorch (Debian's libtorch1.13, say)
 * instead of the bundled one, which crashes the JVM:
 * <ul>
 *   <li>A cold JavaCPP cache extracts libraries one by one while loading them. JavaCPP loads
 *       {@code libtorch.so} before {@code libtorch_cpu.so}; when {@code libtorch.so} is mapped,
 *       its dependency {@code libtorch_cpu.so} is not yet next to it ({@code RUNPATH $ORIGIN}
 *       finds nothing) and the linker falls back to the system folders.
 *   <li>{@code LD_LIBRARY_PATH} is searched <em>before</em> {@code RUNPATH}, so a folder on it
 *       that holds a {@code libtorch_cpu.so} wins even over a fully extracted cache.
 * </ul>
 * {@link #init()} therefore first extracts every bundled library of the platform
 * ({@code Loader.cacheResources} on each preset folder, which returns that folder), checks that
 * the core libraries are on disk, then loads libgomp, libc10, libtorch_cpu and libtorch by
 * absolute path in dependency order (a library already mapped satisfies later lookups of its
 * soname, so no search path is consulted), and only then lets JavaCPP load the JNI bindings.
 * Afterwards it checks in {@code /proc/self/maps} that every mapped libtorch/libc10 comes from
 * the cache and fails otherwise. Last, it runs the native self-check ({@link KernelCheck}),
 * which puts any kernel that computes wrong results on this CPU on a safe path. Call it before
 * any other native call; every public entry point of jvision does. Thread-safe and idempotent.
 */
public final class NativeRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(NativeRuntime.class);
    private static final String[] PRESETS = {
        "org/bytedeco/javacpp", "org/bytedeco/openblas", "org/bytedeco/pytorch", "org/bytedeco/opencv"
    };
    /** Must be in the extracted pytorch folder before anything is loaded. */
    private static final String[] REQUIRED_TORCH = {"libc10.so", "libtorch_cpu.so", "libtorch.so", "libjnitorch.so"};
    /** Loaded by absolute path in this order (dependencies first); absent ones are skipped. */
    private static final String[] TORCH_LOAD_ORDER = {
        "libgomp.so.1", "libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"
    };
    private static volatile Info info;

    /**
     * What was loaded and from where.
     *
     * @param platform JavaCPP platform, e.g. {@code linux-x86_64}
     * @param cacheDir the JavaCPP cache folder
     * @param presetDirs the extracted folder of each preset found on the class path
     * @param extracted every shared library ({@code *.so*}) in those folders
     * @param cuda whether libtorch reports a usable CUDA device
     * @param selfCheck the native self-check's result on this host ({@link KernelCheck})
     */
    public record Info(String platform, Path cacheDir, List<Path> presetDirs, List<Path> extracted, boolean cuda,
                       KernelCheck.Result selfCheck) {}

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
        // JavaCPP's version check warns about the OpenBLAS and OpenCV presets, which stay on
        // 1.5.13 until 1.5.14 builds are published (see pom.xml); route its logging through
        // SLF4J so that logback.xml can keep that expected warning off the console.
        if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
            System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
        }
        String platform = Loader.getPlatform();
        List<Path> presetDirs = new ArrayList<>();
        Path cacheDir;
        Path torchDir = null;
        try {
            cacheDir = Loader.getCacheDir().toPath();
            for (String preset : PRESETS) {
                String folder = "/" + preset + "/" + platform + "/";
                if (NativeRuntime.class.getResource(folder) == null) {
                    continue; // not on the class path (e.g. OpenCV in a torch-only embedding)
                }
                // returns the extracted folder(s), not the files: one entry per class-path root
                File[] dirs = Loader.cacheResources(folder);
                if (dirs == null) {
                    continue;
                }
                for (File d : dirs) {
                    presetDirs.add(d.toPath());
                    if (preset.endsWith("/pytorch") && torchDir == null
                            && Files.isRegularFile(d.toPath().resolve("libtorch_cpu.so"))) {
                        torchDir = d.toPath();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract jvision's native libraries to the JavaCPP cache "
                    + "(set -Dorg.bytedeco.javacpp.cachedir=DIR to a writable folder)", e);
        }
        if (torchDir == null) {
            throw new IllegalStateException("libtorch for platform " + platform + " is not on the class path "
                    + "(expected org/bytedeco/pytorch/" + platform + "/libtorch_cpu.so in the pytorch-*-" + platform
                    + " jar; extracted: " + presetDirs + ")");
        }
        for (String lib : REQUIRED_TORCH) {
            Path p = torchDir.resolve(lib);
            if (!Files.isRegularFile(p) || sizeOf(p) == 0) {
                throw new IllegalStateException("bundled " + lib + " is missing or empty in " + torchDir
                        + " after extraction (delete that folder and retry)");
            }
        }
        List<Path> extracted = sharedLibraries(presetDirs);
        try {
            Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            for (String lib : TORCH_LOAD_ORDER) {
                Path p = torchDir.resolve(lib);
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                try {
                    System.load(p.toString());
                } catch (UnsatisfiedLinkError e) {
                    if (!lib.contains("cuda")) {
                        throw e;
                    }
                    LOG.debug("{} not loaded ({}); JavaCPP will report CUDA as unavailable", p, e.getMessage());
                }
            }
            Loader.load(org.bytedeco.pytorch.global.torch.class);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load libtorch for platform " + platform + " from "
                    + torchDir + ": " + e.getMessage(), e);
        }
        checkMappedFromCache(presetDirs);
        boolean cuda = org.bytedeco.pytorch.global.torch.cuda_is_available();
        LOG.debug("natives for {} loaded from {} ({} preset folders, {} shared libraries), cuda={}",
                platform, cacheDir, presetDirs.size(), extracted.size(), cuda);
        KernelCheck.Result check = KernelCheck.runAtStartup();
        return new Info(platform, cacheDir, List.copyOf(presetDirs), List.copyOf(extracted), cuda, check);
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static List<Path> sharedLibraries(List<Path> dirs) {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            try (var s = Files.list(d)) {
                s.filter(p -> p.getFileName().toString().matches("lib.*\\.so(\\..*)?")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    /** Fails when a libtorch or libc10 mapped into this process does not come from the cache. */
    private static void checkMappedFromCache(List<Path> presetDirs) {
        List<Path> roots = new ArrayList<>();
        for (Path d : presetDirs) {
            roots.add(realPath(d));
        }
        List<Path> mapped = new ArrayList<>(mappedLibraries("libtorch"));
        mapped.addAll(mappedLibraries("libc10"));
        for (Path m : mapped) {
            Path real = realPath(m);
            if (roots.stream().noneMatch(real::startsWith)) {
                throw new IllegalStateException("a libtorch not bundled with jvision is loaded: " + m
                        + " (expected under " + presetDirs + "); remove it from LD_LIBRARY_PATH / LD_PRELOAD");
            }
        }
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
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
