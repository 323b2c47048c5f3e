package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.Tta;
import dev.jvision.config.AugmentConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.ImageCache;
import dev.jvision.data.Sample;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.models.Weights;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.Tensors;
import dev.jvision.train.CheckpointInfo;
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
 * are predicted one checkpoint at a time (one model in memory), in batches of an explicit size;
 * per batch the uint8 images go to the device once and every TTA view is derived there. Per
 * checkpoint and view the logits are divided by the member's temperature and turned into
 * float32 probabilities; a member's probability is the mean over its checkpoints and views; the
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
                CheckpointInfo info = CheckpointInfo.read(CheckpointInfo.sidecarOf(ckpt));
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
        int identityAt = -1;
        for (int v = 0; v < views.size(); v++) {
            if (views.get(v).isIdentity()) {
                identityAt = v;
                break;
            }
        }
        int c = info.numClasses();
        try (ImageModel model = Models.create(info.model(), ModelOptions.of(c))) {
            Weights.load(model, ckpt, false);
            model.to(device);
            if (cl) {
                model.toChannelsLast();
            }
            model.train(false);
            try (BatchTransform t = new BatchTransform(AugmentConfig.defaults(), info.mean(), info.std(), device, cl);
                 NoGradGuard ng = new NoGradGuard();
                 BatchLoader loader = new BatchLoader(cache, samples, s.batchSize(), false, 0, false, s.prefetch())) {
                int row = 0;
                while (loader.hasNext()) {
                    Batch b = loader.next();
                    try (var scope = Memory.step()) {
                        Tensor x = Tensors.fromBytes(b.pixels(), b.size(), b.height(), b.width(), 3)
                                .to(device.toNative(), torch.ScalarType.Byte);
                        float[] plain = identityAt < 0 ? forward(model, t, x, Tta.identity()) : null;
                        double[][] viewSum1 = new double[b.size()][c];
                        double[][] viewSumT = new double[b.size()][c];
                        for (int v = 0; v < views.size(); v++) {
                            float[] logits = forward(model, t, x, views.get(v));
                            if (v == identityAt) {
                                plain = logits;
                            }
                            addSoftmax(logits, b.size(), c, 1.0, 1.0, viewSum1);
                            addSoftmax(logits, b.size(), c, temperature, 1.0, viewSumT);
                        }
                        double[][] p1 = new double[b.size()][c];
                        double[][] pT = new double[b.size()][c];
                        addSoftmax(plain, b.size(), c, 1.0, 1.0, p1);
                        addSoftmax(plain, b.size(), c, temperature, 1.0, pT);
                        double perView = share / views.size();
                        for (int i = 0; i < b.size(); i++) {
                            for (int k = 0; k < c; k++) {
                                acc[0][row + i][k] += share * p1[i][k];
                                acc[1][row + i][k] += share * pT[i][k];
                                acc[2][row + i][k] += perView * viewSum1[i][k];
                                acc[3][row + i][k] += perView * viewSumT[i][k];
                            }
                        }
                        row += b.size();
                    }
                }
            }
        }
    }

    private static float[] forward(ImageModel model, BatchTransform t, Tensor x, Tta.View view) {
        Tensor in = Tta.applyScale(t.eval(Tta.applyPixels(x, view)), view);
        return Tensors.toFloats(model.forward(in));
    }

    /** {@code out[i] += weight * softmax(logits[i] / temperature)} for a flat {@code [n, c]} row-major array. */
    static void addSoftmax(float[] logits, int n, int c, double temperature, double weight, double[][] out) {
        double[] e = new double[c];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                max = Math.max(max, logits[i * c + k] / temperature);
            }
            double sum = 0;
            for (int k = 0; k < c; k++) {
                e[k] = Math.exp(logits[i * c + k] / temperature - max);
                sum += e[k];
            }
            for (int k = 0; k < c; k++) {
                out[i][k] += weight * e[k] / sum;
            }
        }
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
