package dev.jvision.models.detect;

import dev.jvision.nn.Conv2d;
import dev.jvision.nn.ConvBnAct;
import dev.jvision.nn.Layer;
import dev.jvision.nn.Sequential;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The anchor-free prediction head (FCOS's per-location prediction with YOLOX's decoupled
 * branches): for each pyramid level {@code i}, a classification branch {@code cls.i} (two 3x3
 * {@link ConvBnAct}, then a 1x1 convolution to {@code numClasses} logits) and a box branch
 * {@code box.i} (two 3x3 {@link ConvBnAct}, then a 1x1 convolution to {@code 4 * regMax} logits:
 * each side of the box as a distribution over {@code regMax} bins, Generalized Focal Loss). The
 * classification bias of level {@code i} starts at the logit of the prior
 * {@code 5 / numClasses / (640 / stride_i)^2} (about five objects per 640-pixel image spread
 * over the level's locations and the classes: RetinaNet's low-prior initialisation, scaled per
 * level as YOLO detectors do), so the many background locations do not dominate the first steps;
 * with a uniform 1% prior the background term of a 20-class BCE loss starts near 300 and pushes
 * every score down before any class is learnt. The box bias starts at 1 (all bins equal: the
 * expected distance is the middle of the range). Not thread-safe.
 */
public final class DecoupledHead extends Layer {
    /** The reference image side of the class prior (see the class comment). */
    private static final double PRIOR_SIDE = 640;
    private final Sequential cls;
    private final Sequential box;
    private final int numClasses;
    private final int regMax;

    /**
     * @param in         channels of the three input maps
     * @param numClasses classes, &gt;= 1
     * @param regMax     bins per box side, &gt;= 2
     */
    public DecoupledHead(int[] in, int numClasses, int regMax) {
        if (numClasses < 1) throw new IllegalArgumentException("num_classes: " + numClasses + " (expected: >= 1)");
        if (regMax < 2) throw new IllegalArgumentException("reg_max: " + regMax + " (expected: >= 2)");
        this.numClasses = numClasses;
        this.regMax = regMax;
        cls = registerChild("cls", new Sequential());
        box = registerChild("box", new Sequential());
        int clsWidth = Math.max(in[0], Math.min(numClasses, 100));
        int boxWidth = Math.max(Math.max(16, in[0] / 4), 4 * regMax);
        for (int level = 0; level < in.length; level++) {
            int c = in[level];
            double prior = classPrior(numClasses, Detector.STRIDES[level]);
            Conv2d clsOut = new Conv2d(clsWidth, numClasses, 1, 1, 0, true);
            Conv2d boxOut = new Conv2d(boxWidth, 4L * regMax, 1, 1, 0, true);
            try (NoGradGuard ng = new NoGradGuard()) {
                clsOut.namedParameters().get("bias").fill_(T.s(Math.log(prior / (1 - prior))));
                boxOut.namedParameters().get("bias").fill_(T.s(1.0));
            }
            cls.add(new Sequential(new ConvBnAct(c, clsWidth, 3, 1), new ConvBnAct(clsWidth, clsWidth, 3, 1), clsOut));
            box.add(new Sequential(new ConvBnAct(c, boxWidth, 3, 1), new ConvBnAct(boxWidth, boxWidth, 3, 1), boxOut));
        }
    }

    /** The initial class probability of a level of {@code stride}: {@code 5 / numClasses / (640 / stride)^2}. */
    static double classPrior(int numClasses, int stride) {
        double cells = (PRIOR_SIDE / stride) * (PRIOR_SIDE / stride);
        return Math.min(0.01, 5.0 / numClasses / cells);
    }

    public int numClasses() {
        return numClasses;
    }

    public int regMax() {
        return regMax;
    }

    /**
     * Runs both branches on each level and flattens the locations level after level, row-major
     * within a level (the order of {@link Anchors#of}).
     *
     * @return {@code [boxLogits [B, A, 4 * regMax], classLogits [B, A, numClasses]]}
     */
    public Tensor[] forwardLevels(Tensor[] maps) {
        checkOpen();
        Tensor[] boxes = new Tensor[maps.length];
        Tensor[] classes = new Tensor[maps.length];
        for (int i = 0; i < maps.length; i++) {
            String k = Integer.toString(i);
            boxes[i] = box.children().get(k).forward(maps[i]).flatten(2, 3);
            classes[i] = cls.children().get(k).forward(maps[i]).flatten(2, 3);
        }
        return new Tensor[] {T.cat(2, boxes).permute(0, 2, 1), T.cat(2, classes).permute(0, 2, 1)};
    }

    /** Not a single-input layer: use {@link #forwardLevels}. */
    @Override
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException("DecoupledHead takes three maps: use forwardLevels");
    }
}
