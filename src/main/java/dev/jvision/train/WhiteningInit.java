package dev.jvision.train;

import dev.jvision.config.TrainConfig;
import dev.jvision.data.Batch;
import dev.jvision.data.BatchLoader;
import dev.jvision.data.BatchUploader;
import dev.jvision.data.Dataset;
import dev.jvision.models.ImageModel;
import dev.jvision.models.QuickNet;
import dev.jvision.train.task.Task;
import dev.jvision.runtime.Memory;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.LoggerFactory;

/**
 * {@code train.whitening}: sets a model's whitening stem from the first {@code images} training
 * images (dataset order, evaluation transform, no augmentation) before the first step. Stateless.
 */
final class WhiteningInit {
    private WhiteningInit() {}

    /**
     * @param resuming the weights come from a checkpoint: only the freeze is applied again
     * @throws IllegalArgumentException when the model has no whitening stem
     */
    static void apply(ImageModel model, TrainConfig.Whitening w, Dataset train, int imgSize, Task.Session session,
                      BatchUploader upload, boolean resuming) {
        if (!(model instanceof QuickNet q)) {
            throw new IllegalArgumentException("train.whitening.enabled: true, but model '" + model.spec().name()
                    + "' has no whitening stem (expected: a quicknet_* model)");
        }
        if (resuming) {
            if (w.freeze()) {
                model.namedParameters().get("stem.weight").requires_grad_(false);
            }
            return;
        }
        int n = Math.min(w.images(), train.size());
        long t0 = System.nanoTime();
        try (BatchLoader loader = new BatchLoader(train, imgSize, Math.min(n, 500), false, 0, false, 2);
             var scope = Memory.step()) {
            loader.startEpoch(0);
            List<Tensor> parts = new ArrayList<>();
            int seen = 0;
            while (seen < n && loader.hasNext()) {
                Batch b = loader.next();
                Tensor x = session.evalInput(upload.images(b));
                int take = Math.min(b.size(), n - seen);
                parts.add(take == b.size() ? x : x.narrow(0, 0, take));
                seen += take;
            }
            Tensor images = parts.size() == 1 ? parts.get(0) : torch.cat(new TensorVector(parts.toArray(new Tensor[0])));
            q.whiten(images.contiguous(), w.eps(), w.freeze());
        }
        LoggerFactory.getLogger(WhiteningInit.class).info("whitening: stem set from {} training images in {} ms{}", n,
                (System.nanoTime() - t0) / 1_000_000, w.freeze() ? " (filters frozen)" : "");
    }
}
