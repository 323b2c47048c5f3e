package dev.jvision.bench;

import dev.jvision.config.Experiment;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.Dataset;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.TorchSettings;
import dev.jvision.train.FitResult;
import dev.jvision.train.Callback;
import dev.jvision.train.FitContext;
import dev.jvision.train.Trainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Trains one epoch over a CSV manifest ({@code image_path,label}; paths absolute or relative to
 * the CSV's folder; labels integers or class names) through the streaming loader and the disk
 * cache, and reports the process's peak resident memory ({@code VmHWM}) after building the cache
 * and after the epoch. For the bounded-memory check of the data path: the peak should be the same
 * at 20k and at 200k images.
 *
 * <pre>
 * OPENBLAS_NUM_THREADS=1 java -Xmx2g -cp benchmarks/target/benchmarks.jar dev.jvision.bench.LoaderEpoch \
 *     --manifest /data/scale/train.csv --cache-dir /data/scale/.jvision_cache [--size 64] [--model resnet18] \
 *     [--batch 64] [--workers 0] [--threads 2] [--device cpu] [--limit N] [--epochs 1] [--reduced-decode true]
 * </pre>
 */
public final class LoaderEpoch {
    private LoaderEpoch() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> o = new TreeMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("argument " + args[i] + " (expected: --name value)");
            o.put(args[i].substring(2), args[i + 1]);
        }
        Path manifest = Path.of(req(o, "manifest"));
        int size = Integer.parseInt(o.getOrDefault("size", "64"));
        int batch = Integer.parseInt(o.getOrDefault("batch", "64"));
        int workers = Integer.parseInt(o.getOrDefault("workers", "0"));
        int limit = Integer.parseInt(o.getOrDefault("limit", "0"));
        Path cacheDir = Path.of(o.getOrDefault("cache-dir", manifest.toAbsolutePath().getParent().resolve(".jvision_cache").toString()));
        NativeRuntime.init();
        TorchSettings.setThreads(Integer.parseInt(o.getOrDefault("threads", "2")));
        if (workers > 0) BatchLoader.setDefaultWorkers(workers);

        List<String> names = new ArrayList<>();
        List<Sample> samples = read(manifest, limit, names);
        int classes = names.size();
        System.out.printf("manifest %s: %d images, %d classes; loader workers %d; peak RSS %d MiB%n", manifest,
                samples.size(), classes, BatchLoader.defaultWorkers(), peakRssMiB());

        long t0 = System.nanoTime();
        ImageCache cache = new ImageCache(size, cacheDir, workers, Boolean.parseBoolean(o.getOrDefault("reduced-decode", "false")));
        List<String> failed = cache.preload(samples, "cache " + size + " px");
        Set<String> bad = new HashSet<>();
        for (String f : failed) bad.add(f.substring(0, f.indexOf(": ")));
        List<Sample> ok = samples.stream().filter(s -> !bad.contains(s.where())).toList();
        System.out.printf("disk cache %s: %d images (%d failed) in %.1f s; peak RSS %d MiB%n", cacheDir, cache.diskCount(),
                failed.size(), (System.nanoTime() - t0) / 1e9, peakRssMiB());

        int nVal = Math.min(1000, Math.max(1, ok.size() / 100));
        List<Sample> train = ok.subList(0, ok.size() - nVal);
        List<Sample> val = ok.subList(ok.size() - nVal, ok.size());
        Experiment exp = Experiment.defaults().with("data.img_size=" + size, "train.epochs=" + o.getOrDefault("epochs", "1"),
                "train.batch_size=" + batch, "train.warmup_epochs=0", "model.name=" + o.getOrDefault("model", "resnet18"),
                "model.num_classes=" + classes, "data.workers=" + workers, "infer.batch_size=" + batch,
                "train.n_folds=2");
        Device device = Device.parse(o.getOrDefault("device", "cpu"));
        long t1 = System.nanoTime();
        Trainer trainer = Trainer.builder(exp).device(device).seed(1).callback(new Callback() {
            @Override
            public void onStepEnd(FitContext fit, Step step) {
                if (step.batch() % 200 == 0) {
                    System.out.printf("epoch %d batch %d/%d loss %.3f %.0f img/s; RSS %d MiB (peak %d MiB)%n", step.epoch(),
                            step.batch(), fit.batchesAt(step.epoch()), step.loss(), step.imagesPerSecond(), rssMiB("VmRSS"),
                            peakRssMiB());
                }
            }
        }).build();
        FitResult r;
        try (ImageModel model = Models.create(exp.model().name(), ModelOptions.of(classes))) {
            r = trainer.fit(model, Dataset.of(train, cache), Dataset.of(val, cache));
        }
        System.out.printf("trained %d images x %s epochs in %.1f s (best val macro-F1 %.4f); peak RSS %d MiB%n", train.size(),
                o.getOrDefault("epochs", "1"), (System.nanoTime() - t1) / 1e9, r.best().metric("val_f1"), peakRssMiB());
        cache.close();
    }

    private static String req(Map<String, String> o, String k) {
        String v = o.get(k);
        if (v == null) throw new IllegalArgumentException("--" + k + " is required");
        return v;
    }

    /** Rows of an {@code image_path,label} CSV (header required); class names are sorted, integer labels kept. */
    static List<Sample> read(Path csv, int limit, List<String> classNamesOut) throws IOException {
        List<String[]> rows = new ArrayList<>();
        int pathCol = 0, labelCol = 1;
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            String[] head = r.readLine().split(",", -1);
            for (int i = 0; i < head.length; i++) {
                String h = head[i].trim().toLowerCase();
                if (h.equals("image_path") || h.equals("path") || h.equals("id")) pathCol = i;
                if (h.equals("label") || h.equals("target") || h.equals("class")) labelCol = i;
            }
            for (String line; (line = r.readLine()) != null && (limit <= 0 || rows.size() < limit); ) {
                if (!line.isBlank()) rows.add(line.split(",", -1));
            }
        }
        final int lc = labelCol;
        boolean numeric = rows.stream().allMatch(x -> isInt(x[lc]));
        TreeMap<String, Integer> classes = new TreeMap<>();
        for (String[] x : rows) classes.put(x[labelCol].trim(), 0);
        int k = 0;
        for (Map.Entry<String, Integer> e : classes.entrySet()) e.setValue(k++);
        int maxInt = -1;
        if (numeric) for (String[] x : rows) maxInt = Math.max(maxInt, Integer.parseInt(x[labelCol].trim()));
        classNamesOut.clear();
        if (numeric) for (int i = 0; i <= maxInt; i++) classNamesOut.add(Integer.toString(i));
        else classNamesOut.addAll(classes.keySet());
        Path base = csv.toAbsolutePath().getParent();
        List<Sample> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] x = rows.get(i);
            String p = x[pathCol].trim();
            String l = x[labelCol].trim();
            out.add(new Sample(p, numeric ? Integer.parseInt(l) : classes.get(l), base.resolve(p), csv, i + 2));
        }
        return out;
    }

    private static boolean isInt(String s) {
        try {
            Integer.parseInt(s.trim());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static long peakRssMiB() {
        return rssMiB("VmHWM");
    }

    static long rssMiB(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}
