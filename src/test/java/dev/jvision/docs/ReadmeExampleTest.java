package dev.jvision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java examples in README.md compile against the library and run (on tiny demo data, or images made in Java). */
class ReadmeExampleTest {
    @TempDir
    Path tmp;

    static String example() throws Exception {
        return example("example");
    }

    /** The java block between {@code <!-- NAME:start -->} and {@code <!-- NAME:end -->}. */
    static String example(String name) throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("<!-- " + name + ":start -->");
        int end = readme.indexOf("<!-- " + name + ":end -->");
        assertTrue(start >= 0 && end > start, "README.md must hold the example between " + name + ":start/end markers");
        String block = readme.substring(start, end);
        return block.substring(block.indexOf("```java") + "```java".length(), block.lastIndexOf("```"));
    }

    /** Compiles {@code code} (public class {@code className}) and runs its main, returning what it printed. */
    private String compileAndRun(String code, String className, String... args) throws Exception {
        Path src = tmp.resolve("src/" + className + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, code);
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, "-cp", System.getProperty("java.class.path"), "-d", classes.toString(),
                src.toString());
        assertEquals(0, rc, "README example does not compile:\n" + err.toString(StandardCharsets.UTF_8));
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            Method main = loader.loadClass(className).getMethod("main", String[].class);
            main.invoke(null, (Object) args);
        } finally {
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void readmeTrainingExample_trainsOnImagesMadeInJava() throws Exception {
        String code = example("train-example");
        long lines = code.lines().filter(l -> !l.isBlank() && !l.trim().startsWith("import")).count();
        assertTrue(lines <= 40, "the README training example should stay short: " + lines + " lines");
        String printed = compileAndRun(code, "TrainOnJavaImages");
        assertTrue(printed.lines().anyMatch(l -> l.matches("best epoch [123]: val accuracy [01]\\.\\d{3}")), printed);
    }

    @Test
    void readmeJavaExample_compilesAndRuns() throws Exception {
        String code = example();
        long lines = code.lines().filter(l -> !l.isBlank() && !l.trim().startsWith("import")).count();
        assertTrue(lines <= 20, "the README example should stay short: " + lines + " lines");
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, """
                experiment: {name: readme, seed: 3, output_dir: '%s', threads: 2}
                data: {root: '%s', generate_demo: true, demo_train: 34, demo_test: 5, img_size: 32}
                model: {name: resnet18}
                train: {epochs: 1, batch_size: 8, n_folds: 2, folds: [0]}
                """.formatted(tmp.resolve("runs"), tmp.resolve("data")));
        String printed = compileAndRun(code, "Example", cfg.toString());
        assertTrue(printed.contains("out-of-fold macro-F1"), printed);
        assertTrue(List.of(printed.split("\n")).stream().anyMatch(l -> l.contains(": class [")), printed);
    }
}
