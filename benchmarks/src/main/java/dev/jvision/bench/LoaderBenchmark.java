package dev.jvision.bench;

import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.Dataset;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The data loader alone (no model): read JPEG files, decode, resize to {@code size} and assemble
 * uint8 NHWC batches with {@link BatchLoader} ({@code workers} threads, shuffled epochs that run
 * on from one operation to the next). One operation is one batch; the {@code images} secondary
 * row is images/s. Pair it with {@code benchmarks/python/loader_bench.py} (PyTorch DataLoader)
 * over the same folder.
 *
 * <p>{@code source}: {@code cold} decodes every image on every epoch (an empty disk cache, so
 * nothing is kept); {@code disk} reads the shard cache, built in the trial set-up (not timed);
 * {@code memory} reads decoded images held in memory.
 *
 * <p>Images: every {@code *.jpg} under {@code dir}; when {@code dir} has none, {@code images}
 * JPEGs of {@code srcSize} x ~3/4 {@code srcSize} px (random shapes on a gradient, quality 90) are
 * written there first (a temporary folder when {@code dir} is empty), so the Python script can
 * read the same files.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.awt.headless=true")
@Warmup(iterations = 1, time = 10, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
public class LoaderBenchmark {
    @Param({"cold", "disk"})
    public String source;

    /** Folder of JPEGs (generated when it holds none); empty = a temporary folder. */
    @Param({""})
    public String dir;

    /** Images generated when {@code dir} holds none. */
    @Param({"2000"})
    public int images;

    /** Long side of generated images. */
    @Param({"384"})
    public int srcSize;

    @Param({"224"})
    public int size;

    @Param({"32"})
    public int batch;

    @Param({"2"})
    public int workers;

    /** Decode large JPEGs at reduced scale first ({@code data.reduced_decode}). */
    @Param({"false"})
    public boolean reduced;

    /** Disk cache folder; empty = {@code <dir>/.jvision_cache}. */
    @Param({""})
    public String cacheDir;

    private Path folder;
    private Path emptyCache;
    private ImageCache cache;
    private BatchLoader loader;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        folder = dir.isEmpty() ? Files.createTempDirectory("jvision-loader-bench") : Path.of(dir);
        List<Path> files = jpegs(folder);
        if (files.isEmpty()) {
            generate(folder, images, srcSize, 7);
            files = jpegs(folder);
        }
        List<Sample> samples = new ArrayList<>(files.size());
        for (int i = 0; i < files.size(); i++) {
            samples.add(new Sample(files.get(i).getFileName().toString(), i % 10, files.get(i), null, i + 2));
        }
        switch (source) {
            case "cold" -> {
                emptyCache = Files.createTempDirectory("jvision-loader-bench-empty");
                cache = new ImageCache(size, emptyCache, workers, reduced);
            }
            case "disk" -> {
                cache = new ImageCache(size, cacheDir.isEmpty() ? folder.resolve(".jvision_cache") : Path.of(cacheDir), workers,
                        reduced);
                check(cache.preload(samples, "disk cache"));
            }
            case "memory" -> {
                cache = new ImageCache(size, null, workers, reduced);
                check(cache.preload(samples, "memory cache"));
            }
            default -> throw new IllegalArgumentException("source: " + source + " (expected: cold, disk or memory)");
        }
        loader = new BatchLoader(Dataset.of(samples, cache), size, batch, true, 1, true, 2, workers);
    }

    private static void check(List<String> failed) {
        if (!failed.isEmpty()) throw new IllegalStateException(failed.size() + " images failed: " + failed.get(0));
    }

    @Benchmark
    public Batch nextBatch(ImageCounter counter) {
        if (!loader.hasNext()) {
            loader.nextEpoch();
        }
        Batch b = loader.next();
        counter.images += b.size();
        return b;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        loader.close();
        cache.close();
        if (emptyCache != null) {
            try (Stream<Path> s = Files.walk(emptyCache)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static List<Path> jpegs(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) return List.of();
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(p -> p.toString().endsWith(".jpg") && !p.toString().contains(".jvision_cache"))
                    .sorted().toList();
        }
    }

    /** Writes {@code n} JPEGs ({@code side} x 3/4 side px) into {@code folder}/images. */
    static void generate(Path folder, int n, int side, long seed) throws IOException {
        Path out = folder.resolve("images");
        Files.createDirectories(out);
        SplittableRandom r = new SplittableRandom(seed);
        int w = side, h = side * 3 / 4;
        Mat[] noise = new Mat[4];
        for (int t = 0; t < noise.length; t++) {
            byte[] px = new byte[w * h * 3];
            for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(24);
            noise[t] = new Mat(h, w, opencv_core.CV_8UC3);
            noise[t].data().put(px);
        }
        try (BytePointer buf = new BytePointer();
             org.bytedeco.javacpp.IntPointer params = new org.bytedeco.javacpp.IntPointer(
                     opencv_imgcodecs.IMWRITE_JPEG_QUALITY, 90)) {
            for (int i = 0; i < n; i++) {
                try (Mat m = new Mat(h, w, opencv_core.CV_8UC3, new Scalar(r.nextInt(256), r.nextInt(256), r.nextInt(256), 0))) {
                    for (int k = 0; k < 12; k++) {
                        try (Scalar c = new Scalar(r.nextInt(256), r.nextInt(256), r.nextInt(256), 0);
                             Point p = new Point(r.nextInt(w), r.nextInt(h))) {
                            if (k % 2 == 0) {
                                opencv_imgproc.circle(m, p, 5 + r.nextInt(side / 4), c, -1, opencv_imgproc.LINE_AA, 0);
                            } else {
                                try (Point q = new Point(r.nextInt(w), r.nextInt(h))) {
                                    opencv_imgproc.rectangle(m, p, q, c, -1, opencv_imgproc.LINE_8, 0);
                                }
                            }
                        }
                    }
                    opencv_core.add(m, noise[r.nextInt(noise.length)], m); // sensor-like noise: JPEGs of realistic size
                    opencv_imgcodecs.imencode(".jpg", m, buf, params);
                    byte[] b = new byte[(int) buf.limit()];
                    buf.get(b);
                    Files.write(out.resolve(String.format("%06d.jpg", i)), b);
                }
            }
        } finally {
            for (Mat m : noise) m.close();
        }
    }

    /** Generates images without running a benchmark: {@code LoaderBenchmark DIR N [SIDE]}. */
    public static void main(String[] args) throws IOException {
        generate(Path.of(args[0]), Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 384, 7);
    }
}
