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
 * classification bias starts at the logit of a 1% prior (RetinaNet), so the many background
 * locations do not dominate the first steps. Not thread-safe.
 */
public final class DecoupledHead extends Layer {
    private static final double PRIOR = 0.01;
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
        double prior = Math.log(PRIOR / (1 - PRIOR));
        for (int c : in) {
            Conv2d clsOut = new Conv2d(clsWidth, numClasses, 1, 1, 0, true);
            Conv2d boxOut = new Conv2d(boxWidth, 4L * regMax, 1, 1, 0, true);
            try (NoGradGuard ng = new NoGradGuard()) {
                clsOut.namedParameters().get("bias").fill_(T.s(prior));
                boxOut.namedParameters().get("bias").fill_(T.s(1.0));
            }
            cls.add(new Sequential(new ConvBnAct(c, clsWidth, 3, 1), new ConvBnAct(clsWidth, clsWidth, 3, 1), clsOut));
            box.add(new Sequential(new ConvBnAct(c, boxWidth, 3, 1), new ConvBnAct(boxWidth, boxWidth, 3, 1), boxOut));
        }
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
