package dev.jvision.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jvision.config.Experiment;
import dev.jvision.config.TrainConfig;
import dev.jvision.models.ImageModel;
import dev.jvision.models.ModelOptions;
import dev.jvision.models.Models;
import dev.jvision.optim.LrSchedule;
import dev.jvision.optim.ParamGroup;
import dev.jvision.optim.StepOptimizer;
import dev.jvision.runtime.Memory;
import dev.jvision.runtime.NativeRuntime;
import dev.jvision.runtime.Tensors;
import dev.jvision.runtime.TorchSettings;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The optimiser built from {@code train.layer_decay} / {@code train.lr_multipliers} moves every
 * parameter by {@code base lr x group scale x schedule}: SGD without momentum or weight decay
 * changes a parameter by exactly {@code -lr * grad}, so the measured step size per parameter is
 * its learning rate.
 */
class LayerLrStepTest {

    @BeforeAll
    static void init() {
        NativeRuntime.init();
        TorchSettings.setThreads(1);
    }

    @Test
    void sgdStep_movesEachParameterByBaseTimesScaleTimesSchedule() {
        Experiment exp = Experiment.defaults().with("train.optimizer=sgd", "train.momentum=0", "train.nesterov=false",
                "train.weight_decay=0", "train.lr=0.1", "train.min_lr=0", "train.warmup_epochs=1", "train.epochs=2",
                "train.layer_decay=0.5", "train.head_lr_scale=2", "train.lr_multipliers={\"layer4.1.*\": 4.0}");
        TrainConfig t = exp.train();
        TorchSettings.seed(1);
        try (ImageModel model = Models.create("resnet18", ModelOptions.of(3));
             StepOptimizer opt = Trainer.buildOptimizer(model, t)) {
            LrSchedule schedule = Trainer.buildSchedule(t, 4);
            long step = 2; // half-way through the warm-up
            double lr = schedule.at(step);
            assertEquals(0.1 * 3 / 4, lr, 1e-12, "warm-up: step 2 of 4 runs at (2 + 1) / 4 of the base rate");
            Map<String, float[]> before = new HashMap<>();
            Map<String, float[]> grads = new HashMap<>();
            try (var scope = Memory.step()) {
                Tensor x = torch.randn(new long[] {2, 3, 32, 32});
                model.train(true);
                Tensor y = model.forward(x);
                y.mul(y).sum().backward();
                for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                    before.put(e.getKey(), Tensors.toFloats(e.getValue().detach().clone()));
                    grads.put(e.getKey(), Tensors.toFloats(e.getValue().grad()));
                }
                opt.step(lr);
            }
            Map<String, Double> scaleOf = new HashMap<>();
            for (ParamGroup g : opt.groups()) {
                g.names().forEach(n -> scaleOf.put(n, g.lrScale()));
            }
            // resnet18: stem layer 0, layer1.0 .. layer4.1 = 1..8, fc 9 (the head)
            Map<String, Double> expected = Map.of(
                    "conv1.weight", Math.pow(0.5, 9),
                    "layer2.0.conv1.weight", Math.pow(0.5, 6),
                    "layer4.1.conv2.weight", 0.5 * 4.0,
                    "fc.weight", 2.0,
                    "fc.bias", 2.0);
            for (Map.Entry<String, Double> e : expected.entrySet()) {
                assertEquals(e.getValue(), scaleOf.get(e.getKey()), 1e-12, e.getKey() + " scale");
            }
            int checked = 0;
            for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
                String n = e.getKey();
                float[] after = Tensors.toFloats(e.getValue());
                float[] b = before.get(n);
                float[] g = grads.get(n);
                double want = lr * scaleOf.get(n);
                for (int i = 0; i < after.length; i++) {
                    if (Math.abs(g[i]) > 1e-3) {
                        double measured = (b[i] - after[i]) / g[i];
                        assertEquals(want, measured, 2e-3 * want + 1e-6 * Math.abs(b[i] / g[i]), n + "[" + i + "]");
                        checked++;
                    }
                }
            }
            assertTrue(checked > 1000, "compared " + checked + " elements");
        }
    }
}
