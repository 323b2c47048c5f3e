package dev.jvision.models;

import dev.jvision.nn.BatchNorm2d;
import dev.jvision.nn.Conv2d;
import dev.jvision.nn.Layer;
import dev.jvision.nn.Linear;
import dev.jvision.nn.Ops;
import dev.jvision.nn.Sequential;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;

/**
 * ResNet (He et al. 2015) with timm's parameter names and initialisation: stem
 * {@code conv1/bn1}, stages {@code layer1..layer4} of {@link Basic} or {@link Bottleneck}
 * blocks, {@code fc}. The last norm of every residual branch starts at zero, as in timm.
 * Not thread-safe.
 */
public final class ResNet extends ImageModel {
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Sequential[] stages = new Sequential[4];
    private final int numFeatures;
    private final double dropRate;
    private Linear fc;

    static void register(Map<String, ModelSpec> registry) {
        add(registry, "resnet18", false, 2, 2, 2, 2);
        add(registry, "resnet26", true, 2, 2, 2, 2);
        add(registry, "resnet34", false, 3, 4, 6, 3);
        add(registry, "resnet50", true, 3, 4, 6, 3);
        add(registry, "resnet101", true, 3, 4, 23, 3);
    }

    private static void add(Map<String, ModelSpec> registry, String name, boolean bottleneck, int... depths) {
        ModelSpec[] self = new ModelSpec[1];
        self[0] = new ModelSpec(name, "resnet", 224, ModelSpec.IMAGENET_MEAN, ModelSpec.IMAGENET_STD, 0.95, "bicubic",
                o -> new ResNet(self[0], bottleneck, depths, o));
        registry.put(name, self[0]);
    }

    private ResNet(ModelSpec spec, boolean bottleneck, int[] depths, ModelOptions o) {
        super(spec);
        this.dropRate = o.dropRate();
        conv1 = registerChild("conv1", new Conv2d(3, 64, 7, 2, 3, false));
        bn1 = registerChild("bn1", new BatchNorm2d(64));
        int expansion = bottleneck ? 4 : 1;
        int inplanes = 64;
        int total = 0;
        for (int d : depths) {
            total += d;
        }
        int blockIndex = 0;
        for (int s = 0; s < 4; s++) {
            int planes = 64 << s;
            int stride = s == 0 ? 1 : 2;
            Sequential stage = new Sequential();
            for (int b = 0; b < depths[s]; b++) {
                int st = b == 0 ? stride : 1;
                Layer down = null;
                if (b == 0 && (st != 1 || inplanes != planes * expansion)) {
                    down = new Sequential(new Conv2d(inplanes, (long) planes * expansion, 1, st, 0, false),
                            new BatchNorm2d((long) planes * expansion));
                }
                double dpr = o.dropPathRate() * blockIndex / Math.max(1, total - 1);
                stage.add(bottleneck ? new Bottleneck(inplanes, planes, st, down, dpr) : new Basic(inplanes, planes, st, down, dpr));
                inplanes = planes * expansion;
                blockIndex++;
            }
            stages[s] = registerChild("layer" + (s + 1), stage);
        }
        numFeatures = inplanes;
        fc = registerChild("fc", new Linear(numFeatures, o.numClasses()));
    }

    @Override
    public int numClasses() {
        return (int) fc.outFeatures();
    }

    @Override
    public String classifierName() {
        return "fc";
    }

    @Override
    public Tensor forwardFeatures(Tensor x) {
        checkOpen();
        Tensor y = Ops.reluInPlace(bn1.forward(conv1.forward(x)));
        y = Ops.maxPool(y, 3, 2, 1);
        for (Sequential s : stages) {
            y = s.forward(y);
        }
        return y;
    }

    @Override
    public Tensor forwardHead(Tensor features) {
        Tensor pooled = Ops.globalAvgPool(features);
        return fc.forward(Ops.dropout(pooled, dropRate, isTraining()));
    }

    @Override
    public void resetClassifier(int numClasses) {
        Linear old = fc;
        fc = new Linear(numFeatures, numClasses);
        replaceChild("fc", fc);
        old.close();
    }

    /** timm's BasicBlock: conv1/bn1, conv2/bn2, optional downsample. */
    static final class Basic extends Layer {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final Conv2d conv2;
        private final BatchNorm2d bn2;
        private final Layer downsample;
        private final double dropPath;

        Basic(int inplanes, int planes, int stride, Layer downsample, double dropPath) {
            conv1 = registerChild("conv1", new Conv2d(inplanes, planes, 3, stride, 1, false));
            bn1 = registerChild("bn1", new BatchNorm2d(planes));
            conv2 = registerChild("conv2", new Conv2d(planes, planes, 3, 1, 1, false));
            bn2 = registerChild("bn2", new BatchNorm2d(planes));
            bn2.zeroInitWeight();
            this.downsample = downsample == null ? null : registerChild("downsample", downsample);
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = Ops.reluInPlace(bn1.forward(conv1.forward(x)));
            y = Ops.dropPath(bn2.forward(conv2.forward(y)), dropPath, isTraining());
            Tensor shortcut = downsample == null ? x : downsample.forward(x);
            return Ops.reluInPlace(y.add_(shortcut));
        }
    }

    /** timm's Bottleneck: 1x1 conv1/bn1, 3x3 conv2/bn2 (stride), 1x1 conv3/bn3, optional downsample. */
    static final class Bottleneck extends Layer {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final Conv2d conv2;
        private final BatchNorm2d bn2;
        private final Conv2d conv3;
        private final BatchNorm2d bn3;
        private final Layer downsample;
        private final double dropPath;

        Bottleneck(int inplanes, int planes, int stride, Layer downsample, double dropPath) {
            conv1 = registerChild("conv1", new Conv2d(inplanes, planes, 1, 1, 0, false));
            bn1 = registerChild("bn1", new BatchNorm2d(planes));
            conv2 = registerChild("conv2", new Conv2d(planes, planes, 3, stride, 1, false));
            bn2 = registerChild("bn2", new BatchNorm2d(planes));
            conv3 = registerChild("conv3", new Conv2d(planes, planes * 4L, 1, 1, 0, false));
            bn3 = registerChild("bn3", new BatchNorm2d(planes * 4L));
            bn3.zeroInitWeight();
            this.downsample = downsample == null ? null : registerChild("downsample", downsample);
            this.dropPath = dropPath;
        }

        @Override
        public Tensor forward(Tensor x) {
            Tensor y = Ops.reluInPlace(bn1.forward(conv1.forward(x)));
            y = Ops.reluInPlace(bn2.forward(conv2.forward(y)));
            y = Ops.dropPath(bn3.forward(conv3.forward(y)), dropPath, isTraining());
            Tensor shortcut = downsample == null ? x : downsample.forward(x);
            return Ops.reluInPlace(y.add_(shortcut));
        }
    }

    /** {@code layer2}, {@code layer3} and {@code layer4} outputs (strides 8, 16, 32). */
    @Override
    public Tensor[] forwardPyramid(Tensor x) {
        checkOpen();
        Tensor y = Ops.reluInPlace(bn1.forward(conv1.forward(x)));
        y = Ops.maxPool(y, 3, 2, 1);
        Tensor[] out = new Tensor[3];
        for (int s = 0; s < 4; s++) {
            y = stages[s].forward(y);
            if (s > 0) {
                out[s - 1] = y;
            }
        }
        return out;
    }

    @Override
    public int[] pyramidChannels() {
        int expansion = numFeatures / 512;
        return new int[] {128 * expansion, 256 * expansion, 512 * expansion};
    }
}
