package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.Tta;
import dev.jvision.config.AugmentConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.models.ImageModel;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multi-member ensemble inference with test-time augmentation and temperature scaling. Members
 * are predicted one checkpoint at a time (one model in memory, loaded by {@link Checkpoint#load}),
 * in batches of an explicit size; per batch the uint8 images go to the device once and every TTA
 * view is derived there ({@link Preprocessing}). Per checkpoint and view the logits are divided
 * by the member's temperature and turned into probabilities on the device
 * ({@link ProbabilityMetrics}); a member's probability is the mean over its checkpoints and views; the
 * ensemble's is the weighted mean over members ({@link Ensemble}).
 *
 * <p>Four variants come out of one pass, so a caller can show what TTA and calibration buy:
 * without/with TTA (identity view only / all views) x without/with calibration (T = 1 / the
 * member's T). Stateless; not thread-safe with respect to the device (run one at a time).
 *
 * <p>{@link #predict} returns the whole test set's tables ({@code 4 x rows x classes} floats,
 * plus a float64 accumulator of twice that while it runs): for small test sets. A large one is
 * predicted in chunks of rows through a {@link Session} ({@link #open}), which keeps every
 * checkpoint loaded across chunks; both give the same numbers bit for bit when the chunks are
 * whole batches (each row's probabilities are summed over the same checkpoints in the same
 * order, from the same batches).
 */
public final class EnsemblePredictor {
    private static final Logger LOG = LoggerFactory.getLogger(EnsemblePredictor.class);

    private EnsemblePredictor() {}

    /**
     * How to predict.
     *
     * @param batchSize    images per forward pass, &gt;= 1
     * @param prefetch     batches decoded ahead by the loader thread, &gt;= 1
     * @param views        TTA views (the identity is always computed as well, for the no-TTA variant)
     * @param channelsLast use channels-last memory format on CUDA
     */
    public record Settings(int batchSize, int prefetch, List<Tta.View> views, boolean channelsLast) {
        public Settings {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size: " + batchSize + " (expected: >= 1)");
            }
            views = List.copyOf(views);
            if (views.isEmpty()) {
                throw new IllegalArgumentException("no TTA views (expected: at least identity)");
            }
        }
    }

    /** What one member contributed. */
    public record MemberReport(EnsembleMember member, double normalisedWeight, double temperature,
                               List<CheckpointInfo> checkpoints) {}

    /**
     * The ensemble's probabilities {@code [samples][classes]} in four variants (float32, rows sum
     * to 1) and the members' reports.
     */
    public record Predictions(float[][] plain, float[][] plainCalibrated, float[][] tta, float[][] ttaCalibrated,
                              List<MemberReport> members, int numClasses) {
        /** The variant selected by the two switches. */
        public float[][] select(boolean useTta, boolean calibrated) {
            if (useTta) {
                return calibrated ? ttaCalibrated : tta;
            }
            return calibrated ? plainCalibrated : plain;
        }
    }

    /**
     * Predicts {@code samples} with every member, loading one checkpoint at a time.
     *
     * @param temperatures one temperature per member (1 = uncalibrated)
     * @param caches       the image cache for an image size (members may differ in size)
     */
    public static Predictions predict(List<EnsembleMember> members, double[] temperatures, List<Sample> samples,
                                      IntFunction<ImageCache> caches, Settings settings, Device device) throws IOException {
        checkTemperatures(members, temperatures);
        double[] w = Ensemble.normalise(members.stream().mapToDouble(EnsembleMember::weight).toArray());
        int n = samples.size();
        double[][][] acc = null; // [variant][sample][class]
        int numClasses = -1;
        List<MemberReport> reports = new ArrayList<>();
        for (int m = 0; m < members.size(); m++) {
            EnsembleMember member = members.get(m);
            List<CheckpointInfo> infos = new ArrayList<>();
            double share = w[m] / member.checkpoints().size();
            for (Path ckpt : member.checkpoints()) {
                CheckpointInfo info = Checkpoint.readInfo(ckpt);
                if (numClasses < 0) {
                    numClasses = info.numClasses();
                    acc = new double[4][n][numClasses];
                } else {
                    checkClasses(ckpt, info, numClasses);
                }
                infos.add(info);
                long t0 = System.nanoTime();
                try (Loaded l = Loaded.load(ckpt, info, settings, device)) {
                    l.accumulate(samples, caches.apply(info.imgSize()), settings, temperatures[m], share, acc);
                }
                LOG.info("member {} checkpoint {}: {} images x {} views in {} s", member.name(), ckpt.getFileName(), n,
                        settings.views().size(), String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            }
            reports.add(new MemberReport(member, w[m], temperatures[m], List.copyOf(infos)));
        }
        return new Predictions(toFloat(acc[0]), toFloat(acc[1]), toFloat(acc[2]), toFloat(acc[3]), List.copyOf(reports),
                numClasses);
    }

    /**
     * Opens the ensemble for prediction in chunks of rows ({@link Session#predict}): reads every
     * checkpoint's sidecar and, when the checkpoints' weights (the sum of their file sizes) take
     * at most half of the memory free on {@code device} (CUDA: free device memory; CPU: the
     * kernel's MemAvailable), loads them all once, for every chunk; otherwise each chunk loads
     * them one at a time (logged: a checkpoint load per chunk and checkpoint).
     *
     * @param temperatures one temperature per member (1 = uncalibrated)
     * @return a session the caller owns and closes (it owns the loaded models)
     * @throws IllegalArgumentException when the members disagree on the number of classes
     */
    public static Session open(List<EnsembleMember> members, double[] temperatures, Settings settings, Device device)
            throws IOException {
        return open(members, temperatures, settings, device, -1);
    }

    /** As {@link #open(List, double[], Settings, Device)} with an explicit budget for resident weights (-1: from the device). */
    static Session open(List<EnsembleMember> members, double[] temperatures, Settings settings, Device device,
                        long residentBudget) throws IOException {
        checkTemperatures(members, temperatures);
        double[] w = Ensemble.normalise(members.stream().mapToDouble(EnsembleMember::weight).toArray());
        List<Path> files = new ArrayList<>();
        List<CheckpointInfo> infos = new ArrayList<>();
        List<Integer> memberOf = new ArrayList<>();
        List<MemberReport> reports = new ArrayList<>();
        int numClasses = -1;
        long bytes = 0;
        for (int m = 0; m < members.size(); m++) {
            List<CheckpointInfo> mine = new ArrayList<>();
            for (Path ckpt : members.get(m).checkpoints()) {
                CheckpointInfo info = Checkpoint.readInfo(ckpt);
                if (numClasses < 0) {
                    numClasses = info.numClasses();
                } else {
                    checkClasses(ckpt, info, numClasses);
                }
                files.add(ckpt);
                infos.add(info);
                memberOf.add(m);
                mine.add(info);
                bytes += Files.size(ckpt);
            }
            reports.add(new MemberReport(members.get(m), w[m], temperatures[m], List.copyOf(mine)));
        }
        long budget = residentBudget >= 0 ? residentBudget : residentBudget(device);
        boolean resident = bytes <= budget;
        if (resident) {
            LOG.info("ensemble: {} checkpoints, {} MiB of weights, kept loaded on {} for every chunk", files.size(),
                    bytes >> 20, device);
        } else {
            LOG.warn("ensemble: {} checkpoints, {} MiB of weights, more than half the free memory of {} ({} MiB): each "
                    + "chunk of rows loads them one at a time", files.size(), bytes >> 20, device, budget >> 20);
        }
        Session s = new Session(files, infos, memberOf, temperatures.clone(), List.copyOf(reports), numClasses, settings,
                device, bytes, resident);
        if (resident) {
            try {
                for (int k = 0; k < files.size(); k++) {
                    s.loaded[k] = Loaded.load(files.get(k), infos.get(k), settings, device);
                }
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }
        return s;
    }

    /**
     * An ensemble opened by {@link #open} for prediction in chunks of rows: the checkpoints'
     * sidecars, and their models with evaluation transforms when they are kept loaded. Each
     * {@link #predict} call gives the chunk's four probability tables, as {@link EnsemblePredictor#predict}
     * would for the same rows. Owns the loaded models until {@link #close()} (idempotent; use after
     * close throws {@link IllegalStateException}). Not thread-safe: one caller, one chunk at a time.
     */
    public static final class Session implements AutoCloseable {
        private final List<Path> files;
        private final List<CheckpointInfo> infos;
        private final List<Integer> memberOf;
        private final double[] temperatures;
        private final List<MemberReport> reports;
        private final int numClasses;
        private final Settings settings;
        private final Device device;
        private final long weightBytes;
        private final Loaded[] loaded;
        private final boolean resident;
        private double[][][] acc; // [variant][row][class], reused by the chunks (the largest chunk's rows)
        private boolean closed;

        private Session(List<Path> files, List<CheckpointInfo> infos, List<Integer> memberOf, double[] temperatures,
                        List<MemberReport> reports, int numClasses, Settings settings, Device device, long weightBytes,
                        boolean resident) {
            this.files = List.copyOf(files);
            this.infos = List.copyOf(infos);
            this.memberOf = List.copyOf(memberOf);
            this.temperatures = temperatures;
            this.reports = reports;
            this.numClasses = numClasses;
            this.settings = settings;
            this.device = device;
            this.weightBytes = weightBytes;
            this.loaded = new Loaded[files.size()];
            this.resident = resident;
        }

        /** The number of classes every checkpoint predicts. */
        public int numClasses() {
            return numClasses;
        }

        /** What each member contributes (weights, temperatures, checkpoint sidecars). */
        public List<MemberReport> members() {
            return reports;
        }

        /** The distinct image sizes of the checkpoints, in ensemble order. */
        public List<Integer> imageSizes() {
            return infos.stream().map(CheckpointInfo::imgSize).distinct().toList();
        }

        /** The summed sizes of the checkpoint files (about the memory of the loaded weights). */
        public long weightBytes() {
            return weightBytes;
        }

        /** Whether the checkpoints stay loaded across chunks (else each chunk loads them one at a time). */
        public boolean resident() {
            return resident;
        }

        /**
         * Predicts {@code rows} with every checkpoint, view and temperature. Returns new tables
         * owned by the caller ({@code 4 x rows x classes} floats); the session keeps a float64
         * accumulator of twice that for the largest chunk, reused by the next chunks.
         *
         * @param caches the image cache for an image size, holding (or able to read) every row
         */
        public Predictions predict(List<Sample> rows, IntFunction<ImageCache> caches) throws IOException {
            if (closed) {
                throw new IllegalStateException("ensemble session: closed");
            }
            int n = rows.size();
            if (acc == null || acc[0].length < n) {
                acc = new double[4][n][numClasses];
            } else {
                for (double[][] variant : acc) {
                    for (int i = 0; i < n; i++) {
                        Arrays.fill(variant[i], 0.0);
                    }
                }
            }
            if (!rows.isEmpty()) {
                for (int k = 0; k < files.size(); k++) {
                    int m = memberOf.get(k);
                    MemberReport r = reports.get(m);
                    double share = r.normalisedWeight() / r.member().checkpoints().size();
                    ImageCache cache = caches.apply(infos.get(k).imgSize());
                    if (loaded[k] != null) {
                        loaded[k].accumulate(rows, cache, settings, temperatures[m], share, acc);
                    } else {
                        try (Loaded l = Loaded.load(files.get(k), infos.get(k), settings, device)) {
                            l.accumulate(rows, cache, settings, temperatures[m], share, acc);
                        }
                    }
                }
            }
            return new Predictions(toFloat(acc[0], n), toFloat(acc[1], n), toFloat(acc[2], n), toFloat(acc[3], n),
                    reports, numClasses);
        }

        /** Frees the loaded models; idempotent. */
        @Override
        public void close() {
            closed = true;
            acc = null;
            for (int k = 0; k < loaded.length; k++) {
                if (loaded[k] != null) {
                    loaded[k].close();
                    loaded[k] = null;
                }
            }
        }
    }

    /** One checkpoint's model on the device with its evaluation transform. Owns both. */
    private static final class Loaded implements AutoCloseable {
        private final Checkpoint checkpoint;
        private final BatchTransform transform;
        private final Device device;

        private Loaded(Checkpoint checkpoint, BatchTransform transform, Device device) {
            this.checkpoint = checkpoint;
            this.transform = transform;
            this.device = device;
        }

        static Loaded load(Path ckpt, CheckpointInfo info, Settings s, Device device) throws IOException {
            boolean cl = s.channelsLast() && device.isCuda();
            Checkpoint ck = Checkpoint.load(ckpt, device);
            try {
                if (cl) {
                    ck.model().toChannelsLast();
                }
                return new Loaded(ck, new BatchTransform(AugmentConfig.defaults(), info.mean(), info.std(), device, cl),
                        device);
            } catch (RuntimeException e) {
                ck.close();
                throw e;
            }
        }

        /**
         * Adds {@code share} x the checkpoint's four variants of {@code samples} to
         * {@code acc[variant][row][class]} (the TTA variants: {@code share / views} x the sum
         * over views), batch by batch in sample order.
         */
        void accumulate(List<Sample> samples, ImageCache cache, Settings s, double temperature, double share,
                        double[][][] acc) {
            ImageModel model = checkpoint.model();
            List<Tta.View> views = s.views();
            int c = checkpoint.info().numClasses();
            try (NoGradGuard ng = new NoGradGuard();
                 BatchLoader loader = new BatchLoader(cache, samples, s.batchSize(), false, 0, false, s.prefetch())) {
                int row = 0;
                double perView = share / views.size();
                while (loader.hasNext()) {
                    Batch b = loader.next();
                    try (var scope = Memory.step()) {
                        Tensor x = Preprocessing.upload(b.pixels(), b.size(), b.height(), b.width(), device);
                        double[] p = Tensors.toDoubles(variants(model, transform, x, views, temperature));
                        int n = b.size();
                        for (int v = 0; v < 4; v++) {
                            double w = v < 2 ? share : perView;
                            for (int i = 0; i < n; i++) {
                                for (int k = 0; k < c; k++) {
                                    acc[v][row + i][k] += w * p[(v * n + i) * c + k];
                                }
                            }
                        }
                        row += n;
                    }
                }
            }
        }

        @Override
        public void close() {
            try {
                transform.close();
            } finally {
                checkpoint.close();
            }
        }
    }

    private static void checkTemperatures(List<EnsembleMember> members, double[] temperatures) {
        if (members.size() != temperatures.length) {
            throw new IllegalArgumentException(members.size() + " members for " + temperatures.length + " temperatures");
        }
    }

    private static void checkClasses(Path ckpt, CheckpointInfo info, int numClasses) {
        if (info.numClasses() != numClasses) {
            throw new IllegalArgumentException(ckpt + ": " + info.numClasses() + " classes (expected: " + numClasses
                    + ", as the first ensemble member)");
        }
    }

    /** Half the memory free on {@code device}: CUDA free device memory, CPU MemAvailable (unbounded when unknown). */
    private static long residentBudget(Device device) {
        if (device.isCuda()) {
            return dev.jvision.runtime.CudaMemory.freeBytes(device) / 2;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 2;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no estimate
        }
        return Long.MAX_VALUE;
    }

    /**
     * The four probability variants of one checkpoint for a uint8 NHWC batch on the model's
     * device, as a float64 {@code [4, N, C]} tensor in the caller's scope: softmax of the
     * identity view's logits at T = 1 and at {@code temperature}, then the sums over
     * {@code views} of the softmax at T = 1 and at {@code temperature} (divide by the number of
     * views for the mean). The identity is computed once even when it is also a view. The caller
     * holds a {@code NoGradGuard}.
     */
    static Tensor variants(ImageModel model, BatchTransform t, Tensor x, List<Tta.View> views, double temperature) {
        Tensor plain = null;
        Tensor sum1 = null;
        Tensor sumT = null;
        for (Tta.View view : views) {
            Tensor logits = Preprocessing.logits(model, t, x, view);
            if (view.isIdentity() && plain == null) {
                plain = logits;
            }
            Tensor p1 = ProbabilityMetrics.softmax(logits, 1.0);
            Tensor pT = ProbabilityMetrics.softmax(logits, temperature);
            sum1 = sum1 == null ? p1 : sum1.add_(p1);
            sumT = sumT == null ? pT : sumT.add_(pT);
        }
        if (plain == null) {
            plain = Preprocessing.logits(model, t, x, Tta.identity());
        }
        Tensor[] all = {ProbabilityMetrics.softmax(plain, 1.0), ProbabilityMetrics.softmax(plain, temperature), sum1, sumT};
        return torch.stack(new org.bytedeco.pytorch.TensorVector(all));
    }

    private static float[][] toFloat(double[][] a) {
        return toFloat(a, a.length);
    }

    /** The first {@code n} rows of {@code a} as float32. */
    private static float[][] toFloat(double[][] a, int n) {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = new float[a[i].length];
            for (int k = 0; k < a[i].length; k++) {
                out[i][k] = (float) a[i][k];
            }
        }
        return out;
    }
}
