package dev.jvision.track.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html and compare.html from run folders shaped as the pipeline writes them. */
class RunReportTest {
    @TempDir
    Path tmp;

    static final List<String> NAMES = List.of("invoice", "receipt", "passport", "driver_license", "letter");

    /** A run folder as `jvision pipeline` leaves it: 2 folds x {@code epochs} epochs, 5 classes. */
    static Path fakeRun(Path dir, String name, double lr, int epochs, long seed) throws IOException {
        Files.createDirectories(dir.resolve("fold0"));
        Files.createDirectories(dir.resolve("fold1"));
        Files.writeString(dir.resolve("config.yaml"), """
                experiment: {name: %s, seed: 42, device: cpu, output_dir: runs}
                data: {root: data/demo, img_size: 64}
                model: {name: resnet18, num_classes: 5}
                train: {epochs: %d, batch_size: 16, lr: %s, n_folds: 2, folds: [0, 1]}
                """.formatted(name, epochs, lr));
        Random r = new Random(seed);
        StringBuilder m = new StringBuilder("fold,epoch,train_loss,val_loss,val_f1,val_acc,val_top5,lr,img_per_s,peak_mem_mb,"
                + "skipped_steps,seconds\n");
        for (int f = 0; f < 2; f++) {
            for (int e = 1; e <= epochs; e++) {
                double p = (double) e / epochs;
                m.append(String.format(Locale.ROOT, "%d,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.6f,%.1f,%.1f,0,%.1f%n", f, e,
                        1.6 - p + 0.05 * r.nextDouble(), 1.5 - 0.8 * p + 0.05 * r.nextDouble(), 0.3 + 0.5 * p,
                        0.35 + 0.5 * p, 0.9, lr * Math.cos(Math.PI / 2 * (e - 1) / epochs), 40 + r.nextDouble() * 5,
                        700.0 + 10 * e, 12.5));
            }
        }
        Files.writeString(dir.resolve("metrics.csv"), m);
        StringBuilder o = new StringBuilder("ID,fold,target,l0,l1,l2,l3,l4\n");
        for (int i = 0; i < 60; i++) {
            int t = i % 5;
            o.append("img").append(i).append(".png,").append(i % 2).append(',').append(t);
            for (int c = 0; c < 5; c++) {
                double l = r.nextGaussian() + (c == t ? 2.5 : 0) + (c == (t + 1) % 5 ? 1.0 : 0);
                o.append(',').append((float) l);
            }
            o.append('\n');
        }
        Files.writeString(dir.resolve("oof_logits.csv"), o);
        Files.writeString(dir.resolve("calibration.json"), """
                {"temperature": 1.42, "samples": 60, "nll_before": 0.91, "nll_after": 0.84, "ece_before": 0.12, "ece_after": 0.05}
                """);
        Files.writeString(dir.resolve("submission_info.json"), """
                {"test_macro_f1": 0.71, "test_variants": [
                 {"variant": "no TTA, uncalibrated", "macro_f1": 0.69, "accuracy": 0.70, "nll": 0.95, "ece": 0.11},
                 {"variant": "no TTA, calibrated", "macro_f1": 0.69, "accuracy": 0.70, "nll": 0.88, "ece": 0.06},
                 {"variant": "TTA x3, uncalibrated", "macro_f1": 0.71, "accuracy": 0.72, "nll": 0.90, "ece": 0.10},
                 {"variant": "TTA x3, calibrated", "macro_f1": 0.71, "accuracy": 0.72, "nll": 0.83, "ece": 0.04,
                  "top5_accuracy": 0.9375}]}
                """);
        String sidecar = "{\"model\": \"resnet18\", \"numClasses\": 5, \"classNames\": [\"" + String.join("\", \"", NAMES)
                + "\"]}";
        Files.writeString(dir.resolve("fold0/best.json"), sidecar);
        Files.writeString(dir.resolve("fold1/best.json"), sidecar);
        return dir;
    }

    private static List<String> imgSources(String html) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<img src=\"([^\"]*)\"").matcher(html);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void write_pipelineRunFolder_selfContainedHtmlWithEveryChartAsPngAndEmbedded() throws IOException {
        Path run = fakeRun(tmp.resolve("run-a"), "a", 2e-3, 4, 1);
        Path html = RunReport.write(run);
        assertEquals(run.resolve("report.html"), html);
        String page = Files.readString(html);
        List<String> pngs = List.of("loss.png", "f1.png", "lr.png", "confusion.png", "per_class_f1.png", "reliability.png",
                "throughput.png", "memory.png");
        for (String f : pngs) {
            Path png = run.resolve("plots").resolve(f);
            assertTrue(Files.isRegularFile(png), f + " missing");
            assertTrue(ImageIO.read(png.toFile()).getWidth() >= Charts.WIDTH, f + " is not a chart-sized PNG");
        }
        List<String> srcs = imgSources(page);
        assertEquals(pngs.size(), srcs.size());
        assertTrue(srcs.stream().allMatch(s -> s.startsWith("data:image/png;base64,")), "images must be embedded");
        assertFalse(page.contains("http://") || page.contains("https://") || page.contains("<link")
                || page.contains("<script"), "self-contained: no network references, no scripts");
        for (String name : NAMES) assertTrue(page.contains(name), "class name " + name + " in the per-class table");
        assertTrue(page.contains("TTA x3, calibrated") && page.contains("1.4200"), "TTA/calibration tables");
        assertTrue(page.contains("<th>top-5</th>") && page.contains("0.9375"), "test top-5 column");
        assertTrue(page.contains("top-"), "out-of-fold top-k in the summary");
    }

    @Test
    void write_renderedInHeadlessChromium_everyImageLoads() throws Exception {
        Path run = fakeRun(tmp.resolve("run-b"), "b", 1e-3, 3, 2);
        Path html = RunReport.write(run);
        List<Chromium.Image> images = Chromium.images(html, tmp);
        assertEquals(8, images.size());
        for (Chromium.Image i : images) {
            assertTrue(i.loaded() && i.width() >= Charts.WIDTH && i.height() > 100, "image did not load: " + i);
        }
    }

    @Test
    void compare_twoRuns_highlightsConfigDifferencesAndOverlaysCurves_imagesLoadInChromium() throws Exception {
        Path a = fakeRun(tmp.resolve("run-a"), "a", 2e-3, 4, 1);
        Path b = fakeRun(tmp.resolve("run-b"), "b", 5e-4, 6, 2);
        Path html = RunReport.compare(List.of(a, b), tmp.resolve("cmp"));
        String page = Files.readString(html);
        assertTrue(page.contains("<td class=\"diff\">5.0E-4</td>") || page.contains("<td class=\"diff\">0.0005</td>"), page);
        assertTrue(page.contains("<td>train.epochs</td><td>4</td><td class=\"diff\">6</td>"), "epochs row highlighted");
        assertFalse(page.contains("<td>train.batch_size</td>"), "equal keys are not listed");
        assertEquals(6, imgSources(page).size());
        assertTrue(Files.isRegularFile(tmp.resolve("cmp/plots/compare_val_f1.png")));
        for (Chromium.Image i : Chromium.images(html, tmp)) {
            assertTrue(i.loaded() && i.width() > 0, "image did not load: " + i);
        }
    }

    @Test
    void configDifferences_missingKeyCountsAsDifferent() throws IOException {
        RunData a = RunData.read(fakeRun(tmp.resolve("x"), "x", 1e-3, 2, 1));
        RunData b = RunData.read(fakeRun(tmp.resolve("y"), "y", 1e-3, 2, 1));
        Map<String, String> cfg = new java.util.TreeMap<>(b.config());
        cfg.put("train.ema", "true");
        RunData b2 = new RunData(b.dir(), b.name(), cfg, b.epochs(), b.oof(), b.calibration(), b.variants(), b.testF1(),
                b.classNames());
        Map<String, List<String>> d = RunData.configDifferences(List.of(a, b2));
        assertEquals(List.of("(absent)", "true"), d.get("train.ema"));
        assertEquals(List.of("x", "y"), d.get("experiment.name"));
        assertEquals(2, d.size());
    }

    @Test
    void read_badInput_namesFileAndLine() throws IOException {
        Path run = fakeRun(tmp.resolve("bad"), "bad", 1e-3, 2, 1);
        Files.writeString(run.resolve("metrics.csv"), "fold,epoch,train_loss,val_loss,val_f1,val_acc,val_top5,lr,img_per_s,"
                + "peak_mem_mb,skipped_steps,seconds\n0,1,x,1,1,1,1,1,1,1,0,1\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunData.read(run));
        assertTrue(e.getMessage().contains("metrics.csv:2") && e.getMessage().contains("expected: numbers"), e.getMessage());
        IllegalArgumentException notRun = assertThrows(IllegalArgumentException.class,
                () -> RunReport.write(tmp.resolve("nowhere")));
        assertTrue(notRun.getMessage().contains("not a run folder"), notRun.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RunReport.compare(List.of(run), tmp.resolve("c")));
    }

    @Test
    void reliabilityBins_temperatureAboveOne_lowersConfidence() {
        RunData.Oof o = new RunData.Oof(new int[] {0, 0, 0}, new int[] {0, 1, 2},
                new float[][] {{4, 0, 0}, {0, 3, 1}, {2, 0, 0}});
        double[][] t1 = RunReport.reliabilityBins(o, 1.0);
        double[][] t3 = RunReport.reliabilityBins(o, 3.0);
        double mean1 = java.util.Arrays.stream(t1[0]).average().orElseThrow();
        double mean3 = java.util.Arrays.stream(t3[0]).average().orElseThrow();
        assertTrue(mean3 < mean1, mean3 + " vs " + mean1);
        assertTrue(java.util.Arrays.stream(t1[1]).allMatch(v -> v >= 0 && v <= 1));
    }
}
