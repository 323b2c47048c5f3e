package dev.jvision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar is a library a service can embed (runs in {@code verify}, after
 * {@code package}): it carries no logging configuration, and a small Maven project
 * ({@code src/test/resources/library-consumer}) that depends on it resolves, with an offline
 * nested Maven, neither a logging backend nor the launcher-only dependencies, and logs
 * jvision's lines in its own format.
 *
 * <p>The nested build reads a local repository made of links to this build's local repository
 * plus the freshly built jar and pom, so nothing is installed into the real one.
 */
class LibraryArtifactIT {
    private static final List<String> LAUNCHER_ONLY = List.of("picocli", "progressbar", "sqlite-jdbc", "postgresql", "jline");

    private static Path prop(String name) {
        String v = System.getProperty(name);
        assertTrue(v != null && !v.isBlank(), name + " is not set (run through mvn verify: pom.xml failsafe)");
        return Path.of(v);
    }

    @Test
    void jar_hasNoLoggingConfiguration() throws IOException {
        try (ZipFile zip = new ZipFile(prop("jv.jar").toFile())) {
            List<String> bad = zip.stream().map(e -> e.getName())
                    .filter(n -> n.matches("(?i)(.*/)?(logback(-test)?\\.(xml|groovy)|log4j2?(-test)?\\.(xml|properties|json|ya?ml)"
                            + "|simplelogger\\.properties|logging\\.properties)")
                            || n.startsWith("META-INF/services/org.slf4j"))
                    .toList();
            assertEquals(List.of(), bad, "logging configuration inside the library jar");
            assertTrue(zip.getEntry("dev/jvision/tune/Study.class") != null, "not the jvision jar");
        }
    }

    @Test
    void consumerProject_logsInItsOwnFormat_withoutLauncherDependencies(@TempDir Path tmp) throws Exception {
        String version = System.getProperty("jv.version");
        Path repo = overlayRepository(prop("jv.local.repository"), tmp.resolve("repo"), version);
        Path project = tmp.resolve("consumer");
        copyTree(Path.of(LibraryArtifactIT.class.getResource("/library-consumer/pom.xml").toURI()).getParent(), project);

        Path cpFile = project.resolve("cp.txt");
        String mvn = prop("jv.maven.home").resolve("bin/mvn").toString();
        Run build = run(project, 120, mvn, "-o", "-B", "-q", "-Dmaven.repo.local=" + repo, "-Djvision.version=" + version,
                "-Dmdep.outputFile=" + cpFile, "-Dmdep.includeScope=runtime",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath");
        assertEquals(0, build.rc, "nested mvn failed:\n" + build.out);
        List<String> cp = List.of(Files.readString(cpFile).trim().split(File.pathSeparator));
        List<String> names = cp.stream().map(p -> Path.of(p).getFileName().toString()).toList();
        assertTrue(names.stream().anyMatch(n -> n.startsWith("jvision-")), "jvision resolved: " + names);
        assertTrue(names.stream().anyMatch(n -> n.startsWith("slf4j-api-")), "slf4j-api comes with jvision: " + names);
        assertEquals(1, names.stream().filter(n -> n.startsWith("logback-classic-")).count(), "only the service's logback: " + names);
        for (String dep : LAUNCHER_ONLY) {
            assertFalse(names.stream().anyMatch(n -> n.startsWith(dep + "-")), dep + " leaked into a library user's class path: " + names);
        }

        Path classes = Files.createDirectories(project.resolve("target/classes"));
        String classPath = String.join(File.pathSeparator, cp);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), "-cp", classPath,
                project.resolve("src/main/java/consumer/App.java").toString());
        assertEquals(0, rc, "App.java does not compile against the jvision jar");
        Files.copy(project.resolve("src/main/resources/logback.xml"), classes.resolve("logback.xml"));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Run app = run(project, 60, java, "-cp", classes + File.pathSeparator + classPath, "consumer.App",
                tmp.resolve("study.db").toString());
        assertEquals(0, app.rc, "consumer app failed:\n" + app.out);
        List<String> lines = app.out.lines().toList();
        assertTrue(lines.contains("SERVICE|INFO|consumer.App|service started"), app.out);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("SERVICE|INFO|dev.jvision.tune.Study|Trial 1 finished")),
                "jvision's trial line in the service's format:\n" + app.out);
        Pattern launcherFormat = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d (INFO|WARN|ERROR|DEBUG) .*");
        assertFalse(lines.stream().anyMatch(l -> launcherFormat.matcher(l).matches()), "jvision's console format:\n" + app.out);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("sqlite: ") && l.contains("org.xerial:sqlite-jdbc")),
                "an optional JDBC driver that is absent gives a clear message:\n" + app.out);
    }

    /**
     * A local repository whose entries link to {@code real}'s, except dev/jvision/jvision, which
     * holds only {@code version}, copied from this build (a jar with no remote origin counts as
     * installed, so the offline build accepts it).
     */
    private static Path overlayRepository(Path real, Path overlay, String version) throws IOException {
        Path target = Path.of("dev", "jvision", "jvision");
        Path from = real;
        Path to = overlay;
        for (Path part : target) {
            Files.createDirectories(to);
            if (Files.isDirectory(from)) {
                try (Stream<Path> s = Files.list(from)) {
                    for (Path e : s.toList()) {
                        if (!e.getFileName().toString().equals(part.toString())) {
                            Files.createSymbolicLink(to.resolve(e.getFileName().toString()), e);
                        }
                    }
                }
            }
            from = from.resolve(part.toString());
            to = to.resolve(part.toString());
        }
        Path dir = Files.createDirectories(to.resolve(version));
        Files.copy(prop("jv.jar"), dir.resolve("jvision-" + version + ".jar"));
        Files.copy(prop("jv.pom"), dir.resolve("jvision-" + version + ".pom"));
        return overlay;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }

    private record Run(int rc, String out) {}

    private static Run run(Path dir, int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "out", ".txt");
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + ": no result in " + timeoutSeconds + " s:\n" + Files.readString(log));
        }
        return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
}
