package dev.jvision.train;

import dev.jvision.data.Sample;
import dev.jvision.track.OofLogits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What one fold's training produced: best epoch and its validation scores, the best
 * checkpoint, and the out-of-fold logits of the validation samples at that epoch (for
 * calibration and ensemble scoring). Immutable by convention (arrays are not copied).
 */
public record FoldResult(int fold, int bestEpoch, double bestF1, double bestAcc, double bestLoss, Path checkpoint,
                         List<Sample> validation, float[][] oofLogits, double seconds) {
    /** Gathers the out-of-fold logits of trained folds, in fold order. */
    public static OofLogits gatherOof(List<FoldResult> folds) {
        List<String> ids = new ArrayList<>();
        List<Integer> fs = new ArrayList<>();
        List<Integer> ts = new ArrayList<>();
        List<float[]> ls = new ArrayList<>();
        for (FoldResult r : folds) {
            if (r.oofLogits() == null || r.oofLogits().length != r.validation().size()) {
                throw new IllegalArgumentException("fold " + r.fold() + ": " + (r.oofLogits() == null ? "no" : r.oofLogits().length)
                        + " out-of-fold logit rows (expected: " + r.validation().size() + ", one per validation sample)");
            }
            for (int i = 0; i < r.validation().size(); i++) {
                ids.add(r.validation().get(i).id());
                fs.add(r.fold());
                ts.add(r.validation().get(i).label());
                ls.add(r.oofLogits()[i]);
            }
        }
        return new OofLogits(List.copyOf(ids), fs.stream().mapToInt(Integer::intValue).toArray(),
                ts.stream().mapToInt(Integer::intValue).toArray(), ls.toArray(new float[0][]));
    }
}
