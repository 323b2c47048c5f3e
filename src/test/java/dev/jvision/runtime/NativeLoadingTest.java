package dev.jvision.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native loading under a cold JavaCPP cache with a hostile system libtorch. Each case starts a
 * child JVM ({@link NativeLoadProbeMain}) with an empty cache folder and a folder of fake
 * {@code libtorch_cpu.so}/{@code libc10.so}/{@code libtorch.so}/... on {@code LD_LIBRARY_PATH}.
 * The fakes are real shared objects whose constructor prints a marker and calls
 * {@code abort()}: if the dynamic linker ever picks one, the child dies with SIGABRT.
 * {@code LD_LIBRARY_PATH} is searched before the bundled libraries' {@code RUNPATH}, so this is
 * stricter than a system libtorch in /usr/lib.
 */
class NativeLoadingTest {
    private static final String MARKER = "HOSTILE SYSTEM LIBRARY LOADED";
    private static final String[] FAKES = {"libtorch_cpu.so", "libc10.so", "libtorch.so", "libopenblas.so.0", "libgomp.so.1"};
    private static final Path DEBIAN_LIB = Path.of("/usr/lib/x86_64-linux-gnu");

    @TempDir
    Path tmp;

    @Test
    void coldCache_withHostileSystemLibtorch_loadsBundledLibraries() throws Exception {
        Path hostile = hostileFolder();
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Child c = runChild("jvision", hostile.toString(), cache);

        assertEquals(0, c.exit, c.output);
        assertFalse(c.output.contains(MARKER), c.output);
        assertTrue(c.lines("SUM=").contains("4.0"), c.output);
        assertMappedUnder(c, cache);
    }

    @Test
    void warmCache_withHostileSystemLibtorch_loadsBundledLibraries() throws Exception {
        Path hostile = hostileFolder();
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        assertEquals(0, runChild("jvision", null, cache).exit); // warm the cache without the fakes
        Child c = runChild("jvision", hostile.toString(), cache);

        assertEquals(0, c.exit, c.output);
        assertTrue(c.lines("SUM=").contains("4.0"), c.output);
        assertMappedUnder(c, cache);
    }

    /**
     * Control: plain {@code Loader.load(torch.class)} under the same conditions does pick the
     * fake (JavaCPP maps libtorch.so before libtorch_cpu.so, and LD_LIBRARY_PATH beats RUNPATH).
     * This proves the fixture is hostile enough for the test above to mean something.
     */
    @Test
    void coldCache_withHostileSystemLibtorch_plainJavaCppLoadsTheFake() throws Exception {
        Path hostile = hostileFolder();
        Assumptions.assumeTrue(Files.exists(hostile.resolve("compiled")), "fakes are not compiled (no gcc)");
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Child c = runChild("raw", hostile.toString(), cache);

        assertNotEquals(0, c.exit, c.output);
        assertTrue(c.output.contains(MARKER), c.output);
    }

    @Test
    void coldCache_withDebianLibtorchInstalled_loadsBundledLibraries() throws Exception {
        List<Path> debian = new ArrayList<>();
        if (Files.isDirectory(DEBIAN_LIB)) {
            try (Stream<Path> s = Files.list(DEBIAN_LIB)) {
                s.filter(p -> p.getFileName().toString().startsWith("libtorch_cpu.so")).forEach(debian::add);
            }
        }
        Assumptions.assumeFalse(debian.isEmpty(), "Debian's libtorch is not installed in " + DEBIAN_LIB);
        // the Debian folder itself, plus a folder that offers its files under the bundled sonames
        Path alias = Files.createDirectories(tmp.resolve("debian-alias"));
        try (Stream<Path> s = Files.list(DEBIAN_LIB)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                for (String soname : new String[] {"libtorch_cpu.so", "libc10.so", "libtorch.so"}) {
                    if (n.startsWith(soname) && !Files.exists(alias.resolve(soname))) {
                        Files.createSymbolicLink(alias.resolve(soname), p);
                    }
                }
            }
        }
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Child c = runChild("jvision", alias + ":" + DEBIAN_LIB, cache);

        assertEquals(0, c.exit, c.output);
        assertTrue(c.lines("SUM=").contains("4.0"), c.output);
        assertMappedUnder(c, cache);
    }

    @Test
    void init_extractsEveryCoreLibraryBeforeLoading() {
        NativeRuntime.Info info = NativeRuntime.init();
        List<String> names = info.extracted().stream().map(p -> p.getFileName().toString()).toList();
        for (String lib : new String[] {"libtorch_cpu.so", "libc10.so", "libtorch.so", "libgomp.so.1",
                "libjnitorch.so", "libopenblas.so.0", "libjniopenblas_nolapack.so"}) {
            assertTrue(names.contains(lib), lib + " not in " + names);
        }
        for (Path p : info.extracted()) {
            assertTrue(p.startsWith(info.cacheDir()) || !p.toString().contains(".javacpp"), p.toString());
        }
        assertFalse(NativeRuntime.mappedLibraries("libtorch_cpu").isEmpty());
    }

    private static void assertMappedUnder(Child c, Path cache) throws IOException {
        Path root = cache.toRealPath();
        List<String> mapped = c.lines("MAPPED=");
        assertTrue(mapped.stream().anyMatch(m -> m.endsWith("/libtorch_cpu.so")), c.output);
        assertTrue(mapped.stream().anyMatch(m -> m.endsWith("/libc10.so")), c.output);
        for (String m : mapped) {
            String name = Path.of(m).getFileName().toString();
            if (name.startsWith("libtorch") || name.startsWith("libc10")) {
                assertTrue(Path.of(m).toRealPath().startsWith(root), m + " is not inside " + root + "\n" + c.output);
            }
        }
    }

    /** Fake libraries that abort the process when mapped (invalid ELF files if gcc is missing). */
    private Path hostileFolder() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("hostile"));
        Path src = dir.resolve("fake.c");
        Files.writeString(src, "#include <stdio.h>\n#include <stdlib.h>\n"
                + "__attribute__((constructor)) static void hostile(void) {\n"
                + "  fprintf(stderr, \"" + MARKER + ": %s\\n\", FAKE_NAME);\n  abort();\n}\n");
        boolean compiled = true;
        for (String name : FAKES) {
            Process p;
            try {
                p = new ProcessBuilder("gcc", "-shared", "-fPIC", "-DFAKE_NAME=\"" + name + "\"",
                        "-Wl,-soname," + name, "-o", dir.resolve(name).toString(), src.toString())
                        .redirectErrorStream(true).start();
            } catch (IOException e) {
                compiled = false;
                break;
            }
            p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                compiled = false;
                break;
            }
        }
        if (compiled) {
            Files.writeString(dir.resolve("compiled"), "");
        } else {
            for (String name : FAKES) {
                Files.writeString(dir.resolve(name), "not an ELF file: " + MARKER + "\n");
            }
        }
        return dir;
    }

    private static Child runChild(String mode, String ldLibraryPath, Path cache) throws Exception {
        List<String> cmd = ChildJvm.command(List.of("-Xmx1g", "-Dorg.bytedeco.javacpp.cachedir=" + cache),
                NativeLoadProbeMain.class, mode);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        pb.environment().put("OMP_NUM_THREADS", "1");
        if (ldLibraryPath != null) {
            pb.environment().put("LD_LIBRARY_PATH", ldLibraryPath);
        } else {
            pb.environment().remove("LD_LIBRARY_PATH");
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not finish: " + new String(out, StandardCharsets.UTF_8));
        }
        return new Child(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private record Child(int exit, String output) {
        List<String> lines(String key) {
            return output.lines().filter(l -> l.startsWith(key)).map(l -> l.substring(key.length())).toList();
        }
    }
}
