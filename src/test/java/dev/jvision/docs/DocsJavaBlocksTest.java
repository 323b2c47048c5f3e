package dev.jvision.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of README.md and docs/*.md is code a test compiles:
 * <ul>
 *   <li>README.md shows only the marked examples ({@code <!-- NAME:start -->} ... {@code <!-- NAME:end -->}),
 *       which {@link ReadmeExampleTest} and {@link ReadmeServingExampleTest} compile and run;</li>
 *   <li>a marked block in docs/ must equal README's block of the same name;</li>
 *   <li>any other block in docs/ is a snippet: it is compiled as a method body, with the variables
 *       it uses declared by a {@code <!-- given: Type name, ... -->} line right before it and
 *       every jvision package imported.</li>
 * </ul>
 */
class DocsJavaBlocksTest {
    private static final Pattern BLOCK = Pattern.compile("(?:<!-- given: ([^\\n]*?) -->\\n)?```java\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern MARKER = Pattern.compile("<!-- ([a-z-]+):start -->");
    /** The README examples and the tests that compile and run them. */
    private static final Map<String, String> RUN_BY = Map.of("example", "ReadmeExampleTest", "train-example",
            "ReadmeExampleTest", "serving-example", "ReadmeServingExampleTest");
    /** Examples of a docs page (not the README) and the tests that compile and run them from that page. */
    private static final Map<String, String> DOC_RUN_BY = Map.of("http-client-example",
            "dev.jvision.serve.HttpClientExampleTest");

    @TempDir
    Path tmp;

    record Block(Path file, int line, String given, String code, String marker) {}

    static List<Block> blocks(Path file) throws Exception {
        String text = Files.readString(file);
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String before = text.substring(0, m.start());
            Matcher mk = MARKER.matcher(before);
            String marker = null;
            while (mk.find()) {
                String name = mk.group(1);
                marker = before.indexOf("<!-- " + name + ":end -->", mk.end()) < 0 ? name : null;
            }
            int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
            out.add(new Block(file, line, m.group(1), m.group(2), marker));
        }
        return out;
    }

    static List<Path> docs() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("docs"))) {
            return s.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
    }

    @Test
    void readme_showsOnlyTheExamplesThatTestsRun() throws Exception {
        List<Block> blocks = blocks(Path.of("README.md"));
        assertTrue(!blocks.isEmpty(), "README.md has Java examples");
        for (Block b : blocks) {
            assertTrue(b.marker() != null && RUN_BY.containsKey(b.marker()),
                    "README.md:" + b.line() + ": a java block outside the example markers " + RUN_BY.keySet());
            assertEquals(ReadmeExampleTest.example(b.marker()).strip(), b.code().strip());
        }
    }

    @Test
    void docs_markedBlocksEqualReadmes_andSnippetsCompile() throws Exception {
        List<String> packages = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of("src/main/java/dev/jvision"))) {
            s.filter(Files::isDirectory).forEach(d -> packages.add(Path.of("src/main/java").relativize(d).toString().replace(File.separatorChar, '.')));
        }
        StringBuilder imports = new StringBuilder();
        packages.stream().filter(p -> !p.equals("dev.jvision")).forEach(p -> imports.append("import ").append(p).append(".*;\n"));
        imports.append("import java.nio.file.*;\nimport java.util.List;\nimport java.util.Map;\nimport org.bytedeco.pytorch.Tensor;\n");
        List<Path> sources = new ArrayList<>();
        List<String> where = new ArrayList<>();
        for (Path doc : docs()) {
            for (Block b : blocks(doc)) {
                String at = doc + ":" + b.line();
                if (b.marker() != null && DOC_RUN_BY.containsKey(b.marker())) {
                    continue; // compiled and run from this page by its own test
                }
                if (b.marker() != null) {
                    assertTrue(RUN_BY.containsKey(b.marker()), at + ": unknown example " + b.marker());
                    assertEquals(ReadmeExampleTest.example(b.marker()).strip(), b.code().strip(), at + " differs from README.md's " + b.marker());
                    continue;
                }
                String cls = "Snippet" + sources.size();
                Path src = tmp.resolve(cls + ".java");
                Files.writeString(src, imports + "// " + at + "\nclass " + cls + " {\n    static void snippet("
                        + (b.given() == null ? "" : b.given()) + ") throws Exception {\n" + b.code() + "\n    }\n}\n");
                sources.add(src);
                where.add(at);
            }
        }
        assertTrue(!sources.isEmpty(), "docs/ has snippets");
        List<String> args = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"), "-d",
                Files.createDirectories(tmp.resolve("classes")).toString(), "-proc:none"));
        sources.forEach(p -> args.add(p.toString()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, err, args.toArray(new String[0]));
        assertEquals(0, rc, "doc snippets " + where + " do not compile:\n" + err.toString(StandardCharsets.UTF_8));
    }
}
