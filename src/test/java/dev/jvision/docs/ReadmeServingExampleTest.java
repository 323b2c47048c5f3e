package dev.jvision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serving example in README.md compiles against the library and answers concurrent requests. */
class ReadmeServingExampleTest {
    @TempDir
    Path tmp;

    static String example() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("<!-- serving-example:start -->");
        int end = readme.indexOf("<!-- serving-example:end -->");
        assertTrue(start >= 0 && end > start, "README.md must hold the serving example between serving-example markers");
        String block = readme.substring(start, end);
        return block.substring(block.indexOf("```java") + "```java".length(), block.lastIndexOf("```"));
    }

    /** A run folder as `jvision train` leaves it: fold0/best.safetensors with its sidecar (3 named classes, 32 px). */
    private Path run() throws Exception {
        NativeRuntime.init();
        TorchSettings.setThreads(2);
        TorchSettings.seed(5);
        Path w = Files.createDirectories(tmp.resolve("run/fold0")).resolve("best.safetensors");
        try (ImageModel m = Models.create("resnet18", ModelOptions.of(3))) {
            Weights.save(m, w, Map.of());
            new CheckpointInfo("resnet18", 3, 32, m.spec().mean(), m.spec().std(), 0, 1, 0, 0, 0,
                    List.of("invoice", "passport", "receipt"), null).write(CheckpointInfo.sidecarOf(w));
        }
        return w.getParent().getParent();
    }

    @Test
    void readmeServingExample_compilesAndAnswersConcurrentRequests() throws Exception {
        Path src = tmp.resolve("src/ServeExample.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, example());
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = javac.run(null, null, err, "-cp", System.getProperty("java.class.path"), "-d", classes.toString(),
                src.toString());
        assertEquals(0, rc, "README serving example does not compile:\n" + err.toString(StandardCharsets.UTF_8));

        Path run = run();
        BufferedImage img = new BufferedImage(60, 40, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillRect(10, 5, 30, 20);
        g.dispose();
        Path request = tmp.resolve("request.png");
        ImageIO.write(img, "png", request.toFile());

        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            Method main = loader.loadClass("ServeExample").getMethod("main", String[].class);
            main.invoke(null, (Object) new String[] {run.toString(), request.toString()});
        } finally {
            System.setOut(out);
        }
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, lines.size(), lines.toString());
        for (String l : lines.subList(0, 3)) {
            assertTrue(l.matches("(invoice|passport|receipt) [01]\\.\\d{3}"), l);
        }
        assertTrue(lines.get(3).startsWith("Stats[images=64,"), lines.get(3));
    }
}
