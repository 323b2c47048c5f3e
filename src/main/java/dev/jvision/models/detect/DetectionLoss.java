package dev.jvision.models.detect;

import static dev.jvision.models.detect.T.s;

import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The detector's training loss over a padded batch of targets. Anchors are assigned by the
 * {@link TaskAlignedAssigner}; the classification loss is Varifocal (IoU-aware targets, the
 * default) or plain BCE against the same normalised alignment targets; the box loss is
 * {@code 1 - CIoU} plus Distribution Focal Loss on the four side distributions, both weighted per
 * foreground anchor by its target score. Every term is divided by the sum of target scores
 * (at least 1), so the loss scale does not depend on the number of objects. Images without boxes
 * contribute only background classification.
 *
 * <p>Targets: {@code gtBoxes} float [B, M, 4] corners in the detector's input pixels and
 * {@code gtClasses} int64 [B, M] with {@code -1} marking padding rows (M may be 0).
 * Immutable and thread-safe; returned tensors belong to the caller's scope.
 */
public final class DetectionLoss {
    /** Classification loss. */
    public enum ClassLoss { VARIFOCAL, BCE }

    /**
     * Loss settings. Immutable.
     *
     * @param classLoss  VARIFOCAL or BCE
     * @param boxGain    weight of the CIoU term
     * @param classGain  weight of the classification term
     * @param dflGain    weight of the DFL term
     * @param vflAlpha   Varifocal weight of negatives
     * @param vflGamma   Varifocal focusing exponent
     * @param assigner   the anchor assignment
     */
    public record Options(ClassLoss classLoss, double boxGain, double classGain, double dflGain, double vflAlpha,
                          double vflGamma, TaskAlignedAssigner assigner) {
        public Options {
            if (classLoss == null || assigner == null) throw new IllegalArgumentException("classLoss/assigner: null");
            if (boxGain < 0 || classGain < 0 || dflGain < 0) {
                throw new IllegalArgumentException("loss gains: box " + boxGain + ", cls " + classGain + ", dfl " + dflGain
                        + " (expected: >= 0)");
            }
        }

        /**
         * Varifocal classification; gains box 7.5, cls 0.5, dfl 1.5 (the balance YOLO users know
         * from its documented hyper-parameters); alpha 0.75, gamma 2 (the VarifocalNet paper).
         */
        public static Options defaults() {
            return new Options(ClassLoss.VARIFOCAL, 7.5, 0.5, 1.5, 0.75, 2.0, TaskAlignedAssigner.defaults());
        }

        public Options withClassLoss(ClassLoss c) {
            return new Options(c, boxGain, classGain, dflGain, vflAlpha, vflGamma, assigner);
        }

        public Options withAssigner(TaskAlignedAssigner a) {
            return new Options(classLoss, boxGain, classGain, dflGain, vflAlpha, vflGamma, a);
        }
    }

    /**
     * The loss of one batch: {@code total} (scalar, differentiable) = box * boxGain + cls *
     * classGain + dfl * dflGain; the unweighted parts for logging; {@code foreground} the number
     * of foreground anchors (int64 scalar).
     */
    public record Parts(Tensor total, Tensor box, Tensor cls, Tensor dfl, Tensor foreground) {}

    private final Options options;

    public DetectionLoss(Options options) {
        this.options = options;
    }

    public Options options() {
        return options;
    }

    /**
     * The divisor of every loss term, from the (detached) sum of this batch's target scores.
     * The default is {@code max(sum, 1)}; a data-parallel fit divides by the global batch's sum
     * instead, so that averaging the ranks' gradients gives the one-process gradient.
     */
    @FunctionalInterface
    public interface Normaliser {
        /** The divisor (a scalar tensor) for {@code targetScoreSum} (a detached scalar tensor). */
        Tensor divisor(Tensor targetScoreSum);

        /** {@code max(sum, 1)}: the batch's own sum. */
        Normaliser LOCAL = sum -> T.clampMin(sum, 1);
    }

    /** The loss of {@code out} against the padded targets (see the class comment). */
    public Parts compute(DetectorOutput out, Tensor gtBoxes, Tensor gtClasses) {
        return compute(out, gtBoxes, gtClasses, Normaliser.LOCAL);
    }

    /** As {@link #compute(DetectorOutput, Tensor, Tensor)}, every term divided by {@code normaliser}'s divisor. */
    public Parts compute(DetectorOutput out, Tensor gtBoxes, Tensor gtClasses, Normaliser normaliser) {
        Tensor points = out.anchors().points();
        Tensor strides = out.anchors().strides();
        Tensor sideLogits = out.sideLogits();                                    // [B, A, 4, R]
        Tensor dist = out.distances();                                          // [B, A, 4] stride units
        Tensor predBoxes = BoxOps.distancesToBoxes(points, dist.mul(strides));  // [B, A, 4] pixels
        Tensor classLogits = out.classLogits().to(torch.ScalarType.Float);
        var assigned = options.assigner().assign(torch.sigmoid(classLogits.detach()), predBoxes.detach(), points,
                gtBoxes.to(points.device(), torch.ScalarType.Float), gtClasses.to(points.device(), torch.ScalarType.Long));
        Tensor targetScores = assigned.scores();
        Tensor norm = normaliser.divisor(targetScores.sum().detach());

        Tensor clsTerms = options.classLoss() == ClassLoss.VARIFOCAL
                ? Losses.varifocal(classLogits, targetScores, options.vflAlpha(), options.vflGamma())
                : Losses.bce(classLogits, targetScores);
        Tensor cls = clsTerms.sum().div(norm);

        Tensor fg = assigned.foreground().to(torch.ScalarType.Float);
        Tensor weight = targetScores.sum(new long[] {-1}, false, new ScalarTypeOptional()).mul(fg);  // [B, A]
        Tensor ciou = BoxOps.ciou(predBoxes, assigned.boxes());
        Tensor box = ciou.neg().add(s(1)).mul(weight).sum().div(norm);

        Tensor targetDist = BoxOps.boxesToDistances(points, assigned.boxes()).div(strides);   // [B, A, 4]
        Tensor dflPerAnchor = Losses.distributionFocal(sideLogits, targetDist).mean(new long[] {-1}, false,
                new ScalarTypeOptional());
        Tensor dfl = dflPerAnchor.mul(weight).sum().div(norm);

        Tensor total = box.mul(s(options.boxGain())).add(cls.mul(s(options.classGain())))
                .add(dfl.mul(s(options.dflGain())));
        Tensor count = assigned.foreground().sum(new long[] {0, 1}, false, new ScalarTypeOptional());
        return new Parts(total, box.detach(), cls.detach(), dfl.detach(), count);
    }
}
