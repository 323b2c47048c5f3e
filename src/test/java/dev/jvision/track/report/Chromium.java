package dev.jvision.track.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Headless Chromium for report tests: loads an HTML file with a probe script appended and
 * returns, per image, whether it loaded. In CI (environment CI=true) a missing browser fails the
 * test (.ci/run installs Debian's chromium); elsewhere the test is skipped with a message.
 */
final class Chromium {
    private static final String PROBE = """
            <script>
            window.addEventListener('load', () => {
              const lines = Array.from(document.images).map(i =>
                (i.complete && i.naturalWidth > 0 ? 'LOADED ' : 'BROKEN ') + i.naturalWidth + 'x' + i.naturalHeight + ' ' + i.alt);
              const pre = document.createElement('pre');
              pre.id = 'jv-image-check';
              pre.textContent = 'IMAGES ' + document.images.length + '\\n' + lines.join('\\n');
              document.body.appendChild(pre);
            });
            </script>
            """;

    private Chromium() {}

    /** The browser executable, or a skip (outside CI) / failure (in CI) when there is none. */
    static Path require() {
        Optional<Path> found = find();
        if (found.isEmpty()) {
            String msg = "headless Chromium not found (looked for $JV_CHROMIUM, chromium, chromium-browser, google-chrome on "
                    + "PATH); install Debian's package: apt-get install -y chromium";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError(msg + " (.ci/run installs it)");
            }
            Assumptions.abort(msg);
        }
        return found.get();
    }

    static Optional<Path> find() {
        String env = System.getenv("JV_CHROMIUM");
        if (env != null && Files.isExecutable(Path.of(env))) return Optional.of(Path.of(env));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** One image's state after the page loaded. */
    record Image(boolean loaded, int width, int height, String alt) {}

    /** Opens {@code html} (a copy with the probe script) and returns every image's state. */
    static List<Image> images(Path html, Path work) throws IOException, InterruptedException {
        Path browser = require();
        String page = Files.readString(html, StandardCharsets.UTF_8);
        int end = page.lastIndexOf("</body>");
        assertTrue(end > 0, html + ": no </body>");
        Path probe = work.resolve("probe-" + html.getFileName());
        Files.writeString(probe, page.substring(0, end) + PROBE + page.substring(end), StandardCharsets.UTF_8);
        Path profile = Files.createDirectories(work.resolve("chromium-profile"));
        List<String> cmd = List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=20000",
                "--dump-dom", probe.toUri().toString());
        Process p = new ProcessBuilder(cmd).redirectError(work.resolve("chromium.err").toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        String dom = new String(out, StandardCharsets.UTF_8);
        String marker = "<pre id=\"jv-image-check\">";
        int a = dom.indexOf(marker);
        assertTrue(a >= 0, "chromium exit " + p.exitValue() + ": no image report in the DOM; stderr: "
                + Files.readString(work.resolve("chromium.err")));
        a += marker.length();
        String[] lines = dom.substring(a, dom.indexOf("</pre>", a)).split("\n");
        int n = Integer.parseInt(lines[0].substring("IMAGES ".length()).trim());
        List<Image> images = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String[] f = lines[i].split(" ", 3);
            String[] wh = f[1].split("x");
            images.add(new Image(f[0].equals("LOADED"), Integer.parseInt(wh[0]), Integer.parseInt(wh[1]),
                    f.length > 2 ? f[2] : ""));
        }
        assertEquals(n, images.size());
        return images;
    }
}
