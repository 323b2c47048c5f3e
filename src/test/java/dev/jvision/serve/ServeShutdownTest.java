package dev.jvision.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jvision.cli.Main;
import dev.jvision.infer.ServingFixtures;
import dev.jvision.runtime.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvision serve} in a child JVM, SIGTERM while 8 clients keep sending: the server stops
 * accepting, answers every prediction it accepted, and exits 143. Each client request ends as a
 * 200, a 503 {@code shutting_down}, or a connection the server refused or closed before reading
 * the request; the number of 200s the clients got equals the predictions the server says it
 * accepted and answered, so none was lost.
 */
class ServeShutdownTest {
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    private static final Pattern STOPPED = Pattern.compile("predict requests accepted (\\d+), answered (\\d+)");

    @TempDir
    Path dir;

    @Test
    void sigterm_underLoad_answersEveryAcceptedRequest() throws Exception {
        Path ck = ServeTestSupport.checkpointAt(dir, 6, 96);
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.command(List.of("-Xmx1g", "-Djava.awt.headless=true"),
                Main.class, "serve", "--checkpoint", ck.toString(), "--port", "0", "--threads", "1",
                "--max-batch", "8")).redirectErrorStream(true);
        pb.environment().put("OPENBLAS_NUM_THREADS", "1");
        Process p = pb.start();
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.add(line);
                }
            } catch (IOException e) {
                out.add("reader: " + e);
            }
        });
        reader.start();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            URI base = awaitReady(out, p);
            HttpClient http = ServeTestSupport.client();
            AtomicInteger ok = new AtomicInteger();
            List<Future<String>> ends = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int client = c;
                ends.add(clients.submit(() -> {
                    for (int i = 0; ; i++) {
                        HttpResponse<String> r;
                        try {
                            r = ServeTestSupport.post(http, base, "/v1/models/model:predict",
                                    ServeTestSupport.image(client * 100 + i), "image/png", null);
                        } catch (IOException e) {
                            return "io"; // refused, or closed before the request was read
                        }
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                        } else {
                            assertEquals(503, r.statusCode(), () -> r.body() + "\nserver output:\n" + String.join("\n", out));
                            assertEquals("shutting_down", ServeTestSupport.json(r).get("error").asText(), r.body());
                            return "503";
                        }
                    }
                }));
            }
            ServeTestSupport.awaitCondition(() -> ok.get() >= 40, Duration.ofSeconds(120),
                    () -> "40 answers; clients got only " + ok.get() + "\n" + out);
            new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
            for (Future<String> f : ends) {
                f.get(120, TimeUnit.SECONDS);
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the server did not exit\n" + out);
            reader.join(10_000);
            assertEquals(143, p.exitValue(), String.join("\n", out));
            Matcher m = out.stream().map(STOPPED::matcher).filter(Matcher::find).findFirst().orElse(null);
            assertNotNull(m, "no summary line in\n" + String.join("\n", out));
            assertEquals(ok.get(), Integer.parseInt(m.group(1)), "accepted = 200s received\n" + out);
            assertEquals(ok.get(), Integer.parseInt(m.group(2)), "answered = 200s received");
        } finally {
            clients.shutdownNow();
            p.destroyForcibly();
        }
    }

    private static URI awaitReady(List<String> out, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        URI base = null;
        while (true) {
            synchronized (out) {
                for (String line : out) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        base = URI.create(m.group(1));
                    }
                    if (base != null && line.contains("ready: POST")) {
                        return base;
                    }
                }
            }
            assertTrue(p.isAlive(), "the server exited:\n" + String.join("\n", out));
            if (System.nanoTime() - deadline > 0) { // a hung start, not a speed check
                fail("the server did not get ready:\n" + String.join("\n", out));
            }
            Thread.sleep(20);
        }
    }
}
