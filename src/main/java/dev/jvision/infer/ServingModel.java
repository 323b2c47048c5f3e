package dev.jvision.infer;

import dev.jvision.augment.BatchTransform;
import dev.jvision.augment.Tta;
import dev.jvision.config.AugmentConfig;
import dev.jvision.metrics.ProbabilityMetrics;
import dev.jvision.models.Checkpoint;
import dev.jvision.models.CheckpointInfo;
import dev.jvision.runtime.Device;
import dev.jvision.runtime.Memory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The models behind a {@link Classifier}, loaded and run by its batcher's worker thread: every
 * checkpoint of every ensemble member, each with its evaluation transform, on one device. A batch
 * of prepared images (uint8 HWC pixels per input size) becomes, in one native scope, the
 * weighted mean over checkpoints of the mean over TTA views of {@code softmax(logits / T)}
 * ({@link EnsemblePredictor#variants}), then the top-k on the device. Not thread-safe: only the
 * worker thread touches it.
 */
final class ServingModel implements DynamicBatcher.Engine<byte[][], Prediction> {
    /**
     * One checkpoint to load.
     *
     * @param file        the weights
     * @param info        its sidecar (or the one implied for bare weights)
     * @param bareModel   the model name for weights without a sidecar, else null
     * @param slot        index of its input size in the classifier's sizes
     * @param share       its weight in the ensemble (member weight / checkpoints of the member)
     * @param temperature divides its logits (1 = uncalibrated)
     */
    record Plan(Path file, CheckpointInfo info, String bareModel, int slot, double share, double temperature) {}

    /**
     * Everything known before loading: one plan per checkpoint, the distinct input sizes, the
     * class names (the ids as text where no sidecar has names) and the class count.
     */
    record Layout(List<Plan> plans, int[] sizes, List<String> names, int numClasses) {}

    /**
     * Reads the sidecars of every member's checkpoints (or uses {@code bareInfo} for bare
     * weights of {@code bareModel}) and checks that the members agree on the classes.
     *
     * @param temperatures one per member
     * @throws IllegalArgumentException naming the checkpoint that disagrees
     */
    static Layout layout(List<EnsembleMember> members, double[] temperatures, String bareModel, CheckpointInfo bareInfo)
            throws IOException {
        double[] w = Ensemble.normalise(members.stream().mapToDouble(EnsembleMember::weight).toArray());
        List<CheckpointInfo> infos = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<double[]> shareAndT = new ArrayList<>();
        java.util.LinkedHashSet<Integer> sizeSet = new java.util.LinkedHashSet<>();
        for (int m = 0; m < members.size(); m++) {
            EnsembleMember member = members.get(m);
            for (Path file : member.checkpoints()) {
                CheckpointInfo info = bareModel != null ? bareInfo : Checkpoint.readInfo(file);
                infos.add(info);
                files.add(file);
                shareAndT.add(new double[] {w[m] / member.checkpoints().size(), temperatures[m]});
                sizeSet.add(info.imgSize());
            }
        }
        CheckpointInfo first = infos.get(0);
        for (int i = 1; i < infos.size(); i++) {
            CheckpointInfo o = infos.get(i);
            if (o.numClasses() != first.numClasses()) {
                throw new IllegalArgumentException(files.get(i) + ": " + o.numClasses() + " classes (expected: "
                        + first.numClasses() + ", as " + files.get(0) + ")");
            }
            if (hasNames(o) && hasNames(first) && !o.classNames().equals(first.classNames())) {
                throw new IllegalArgumentException(files.get(i) + ": class names " + o.classNames() + " (expected: "
                        + first.classNames() + ", as " + files.get(0) + ")");
            }
        }
        CheckpointInfo named = infos.stream().filter(ServingModel::hasNames).findFirst().orElse(first);
        List<String> names = new ArrayList<>();
        for (int c = 0; c < first.numClasses(); c++) {
            names.add(named.className(c));
        }
        int[] sizes = sizeSet.stream().mapToInt(Integer::intValue).toArray();
        List<Plan> plans = new ArrayList<>();
        for (int i = 0; i < infos.size(); i++) {
            int slot = 0;
            while (sizes[slot] != infos.get(i).imgSize()) {
                slot++;
            }
            plans.add(new Plan(files.get(i), infos.get(i), bareModel, slot, shareAndT.get(i)[0], shareAndT.get(i)[1]));
        }
        return new Layout(List.copyOf(plans), sizes, List.copyOf(names), first.numClasses());
    }

    private static boolean hasNames(CheckpointInfo i) {
        return i.classNames() != null && !i.classNames().isEmpty();
    }

    private record Loaded(Checkpoint checkpoint, BatchTransform transform, Plan plan) {}

    private final List<Loaded> members = new ArrayList<>();
    private final int[] sizes;
    private final List<Tta.View> views;
    private final int topK;
    private final boolean calibrated;
    private final List<String> names;
    private final Device device;

    private ServingModel(int[] sizes, List<Tta.View> views, int topK, boolean calibrated, List<String> names,
                         Device device) {
        this.sizes = sizes.clone();
        this.views = List.copyOf(views);
        this.topK = topK;
        this.calibrated = calibrated;
        this.names = List.copyOf(names);
        this.device = device;
    }

    /** Loads every planned checkpoint onto {@code device} (call on the thread that will run batches). */
    static ServingModel load(Layout layout, List<Tta.View> views, int topK, Device device, boolean channelsLast)
            throws IOException {
        List<Plan> plans = layout.plans();
        boolean calibrated = plans.stream().anyMatch(p -> p.temperature() != 1.0);
        ServingModel m = new ServingModel(layout.sizes(), views, topK, calibrated, layout.names(), device);
        boolean cl = channelsLast && device.isCuda();
        try {
            for (Plan p : plans) {
                Checkpoint ck = p.bareModel() != null
                        ? Checkpoint.load(p.bareModel(), p.info().numClasses(), p.file(), device)
                        : Checkpoint.load(p.file(), device);
                BatchTransform t;
                try {
                    if (cl) {
                        ck.model().toChannelsLast();
                    }
                    t = new BatchTransform(AugmentConfig.defaults(), p.info().mean(), p.info().std(), m.device, cl);
                } catch (RuntimeException e) {
                    ck.close();
                    throw e;
                }
                m.members.add(new Loaded(ck, t, p));
            }
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    @Override
    public List<Prediction> run(List<byte[][]> batch) {
        int n = batch.size();
        try (NoGradGuard ng = new NoGradGuard(); var scope = Memory.step()) {
            Tensor[] inputs = new Tensor[sizes.length];
            for (int s = 0; s < sizes.length; s++) {
                byte[] all = new byte[n * sizes[s] * sizes[s] * 3];
                int plane = sizes[s] * sizes[s] * 3;
                for (int i = 0; i < n; i++) {
                    System.arraycopy(batch.get(i)[s], 0, all, i * plane, plane);
                }
                inputs[s] = Preprocessing.upload(all, n, sizes[s], sizes[s], device);
            }
            Tensor acc = null;
            for (Loaded m : members) {
                Plan p = m.plan();
                Tensor v = EnsemblePredictor.variants(m.checkpoint().model(), m.transform(), inputs[p.slot()], views,
                        p.temperature());
                // variant 3: the sum over views at the checkpoint's temperature
                Tensor probs = v.select(0, 3).mul(new Scalar(p.share() / views.size()));
                acc = acc == null ? probs : acc.add_(probs);
            }
            Tensor probs = acc.to(torch.ScalarType.Float);
            ProbabilityMetrics.TopK top = ProbabilityMetrics.topK(probs, topK);
            float[][] rows = ProbabilityMetrics.rows(probs, n);
            List<Prediction> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                List<Prediction.ClassScore> scores = new ArrayList<>(topK);
                for (int j = 0; j < topK; j++) {
                    int id = top.ids()[i][j];
                    scores.add(new Prediction.ClassScore(id, names.get(id), top.scores()[i][j]));
                }
                out.add(new Prediction(scores, rows[i], calibrated));
            }
            return out;
        }
    }

    @Override
    public void close() {
        for (Loaded m : members) {
            m.transform().close();
            m.checkpoint().close();
        }
        members.clear();
    }
}
