package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.infer.ServingFixtures;
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

/** The Java client example of docs/http-server.md compiles on its own and gets an answer from a server. */
class HttpClientExampleTest {
    @TempDir
    Path tmp;

    static String example() throws Exception {
        String doc = Files.readString(Path.of("docs/http-server.md"));
        int start = doc.indexOf("<!-- http-client-example:start -->");
        int end = doc.indexOf("<!-- http-client-example:end -->");
        assertTrue(start >= 0 && end > start, "docs/http-server.md must hold the example between its markers");
        String block = doc.substring(start, end);
        return block.substring(block.indexOf("```java") + "```java".length(), block.lastIndexOf("```"));
    }

    @Test
    void docsJavaClient_compilesWithoutJvision_andPrintsTheAnswer() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src")).resolve("HttpClientExample.java");
        Files.writeString(src, example());
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, javac.run(null, null, err, "-d", classes.toString(), src.toString()),
                "the example does not compile with the JDK alone:\n" + err.toString(StandardCharsets.UTF_8));

        Path ck = ServingFixtures.checkpoint(tmp.resolve("run"), 7);
        Path image = tmp.resolve("page.jpg");
        Files.write(image, ServeTestSupport.image(3));
        ServeConfig.Model m = ServeConfig.Model.of("quickstart", "1", ServeConfig.Source.CHECKPOINT, ck)
                .withInference("cpu", 5, List.of());
        try (InferenceServer server = InferenceServer.start(ServeConfig.of(List.of(m)).withAddress("127.0.0.1", 0));
             URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                     ClassLoader.getPlatformClassLoader())) {
            server.awaitReady();
            Method main = loader.loadClass("HttpClientExample").getMethod("main", String[].class);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream old = System.out;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                main.invoke(null, (Object) new String[] {server.uri().toString(), image.toString()});
            } finally {
                System.setOut(old);
            }
            String printed = out.toString(StandardCharsets.UTF_8);
            assertTrue(printed.startsWith("200 {\"model\":\"quickstart\""), printed);
            assertEquals(3, ServeTestSupport.JSON.readTree(printed.substring(4)).get("predictions").get(0).get("top")
                    .size(), printed);
        }
    }
}
