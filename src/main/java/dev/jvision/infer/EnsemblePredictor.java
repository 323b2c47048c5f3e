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
import java.nio.file.Path;
import java.util.ArrayList;
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
     * Predicts {@code samples} with every member.
     *
     * @param temperatures one temperature per member (1 = uncalibrated)
     * @param caches       the image cache for an image size (members may differ in size)
     */
    public static Predictions predict(List<EnsembleMember> members, double[] temperatures, List<Sample> samples,
                                      IntFunction<ImageCache> caches, Settings settings, Device device) throws IOException {
        if (members.size() != temperatures.length) {
            throw new IllegalArgumentException(members.size() + " members for " + temperatures.length + " temperatures");
        }
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
                } else if (info.numClasses() != numClasses) {
                    throw new IllegalArgumentException(ckpt + ": " + info.numClasses() + " classes (expected: " + numClasses
                            + ", as the first ensemble member)");
                }
                infos.add(info);
                long t0 = System.nanoTime();
                predictCheckpoint(ckpt, info, samples, caches.apply(info.imgSize()), settings, device, temperatures[m],
                        share, acc);
                LOG.info("member {} checkpoint {}: {} images x {} views in {} s", member.name(), ckpt.getFileName(), n,
                        settings.views().size(), String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            }
            reports.add(new MemberReport(member, w[m], temperatures[m], List.copyOf(infos)));
        }
        return new Predictions(toFloat(acc[0]), toFloat(acc[1]), toFloat(acc[2]), toFloat(acc[3]), List.copyOf(reports),
                numClasses);
    }

    private static void predictCheckpoint(Path ckpt, CheckpointInfo info, List<Sample> samples, ImageCache cache,
                                          Settings s, Device device, double temperature, double share,
                                          double[][][] acc) throws IOException {
        boolean cl = s.channelsLast() && device.isCuda();
        List<Tta.View> views = s.views();
        int c = info.numClasses();
        try (Checkpoint ck = Checkpoint.load(ckpt, device)) {
            ImageModel model = ck.model();
            if (cl) {
                model.toChannelsLast();
            }
            try (BatchTransform t = new BatchTransform(AugmentConfig.defaults(), info.mean(), info.std(), device, cl);
                 NoGradGuard ng = new NoGradGuard();
                 BatchLoader loader = new BatchLoader(cache, samples, s.batchSize(), false, 0, false, s.prefetch())) {
                int row = 0;
                double perView = share / views.size();
                while (loader.hasNext()) {
                    Batch b = loader.next();
                    try (var scope = Memory.step()) {
                        Tensor x = Preprocessing.upload(b.pixels(), b.size(), b.height(), b.width(), device);
                        double[] p = Tensors.toDoubles(variants(model, t, x, views, temperature));
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
        float[][] out = new float[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = new float[a[i].length];
            for (int k = 0; k < a[i].length; k++) {
                out[i][k] = (float) a[i][k];
            }
        }
        return out;
    }
}
